#!/usr/bin/env python3
"""Overwrites BYTES in the middle of every regular file of a tree (new
random bytes, seeded), as an application rewriting part of a large file:

    change-middle.py BYTES DIR
"""
import os
import random
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    length, root = int(sys.argv[1]), sys.argv[2]
    rng = random.Random(length)
    for d, _, names in os.walk(root):
        for name in sorted(names):
            path = os.path.join(d, name)
            if os.path.islink(path) or not os.path.isfile(path):
                continue
            size = os.path.getsize(path)
            with open(path, "r+b") as f:
                f.seek(max(0, size // 2 - length // 2))
                f.write(rng.randbytes(min(length, size)))
            print(f"{path}: {min(length, size)} bytes rewritten at {max(0, size // 2 - length // 2)}")


if __name__ == "__main__":
    main()
