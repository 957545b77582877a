#!/usr/bin/env python3
"""Changes a FRACTION of the regular files of any tree, the same way for the
same tree and SEED, as a day on a server would:

    change-tree.py FRACTION [--seed N] DIR

Of the files picked: 70% get up to 4 KiB overwritten in place at a random
offset, 15% get 1 KiB appended, 10% are deleted and 5% are rewritten whole
(same size, new bytes); then a fifth as many new files as were picked
appear in a new directory. For real trees (BENCH_TREE) and the generated
millions-of-files trees, where change-corpus.py's file kinds do not exist.
"""
import argparse
import os
import random


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("fraction", type=float)
    parser.add_argument("dir")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    files = sorted(
        os.path.join(d, name)
        for d, _, names in os.walk(args.dir)
        for name in names
        if os.path.isfile(os.path.join(d, name)) and not os.path.islink(os.path.join(d, name))
    )
    picked = rng.sample(files, max(1, int(len(files) * args.fraction)))
    for n, path in enumerate(picked):
        kind = n % 20
        os.chmod(path, os.stat(path).st_mode | 0o200)
        size = os.path.getsize(path)
        if kind < 14:
            with open(path, "r+b") as f:
                length = min(size, rng.randint(8, 4096))
                f.seek(rng.randint(0, size - length))
                f.write(rng.randbytes(length))
        elif kind < 17:
            with open(path, "ab") as f:
                f.write(b"appended today\n" * 68)
        elif kind < 19:
            os.remove(path)
        else:
            with open(path, "wb") as f:
                f.write(rng.randbytes(size))
    added = os.path.join(args.dir, "added-by-change-tree")
    os.makedirs(added, exist_ok=True)
    for n in range(max(1, len(picked) // 5)):
        with open(os.path.join(added, f"new{n}.txt"), "w") as f:
            f.write(f"line {n} of a file added today\n" * rng.randint(1, 100))
    print(f"changed {len(picked)} of {len(files)} files, added {max(1, len(picked) // 5)}")


if __name__ == "__main__":
    main()
