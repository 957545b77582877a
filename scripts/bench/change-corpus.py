#!/usr/bin/env python3
"""Changes a benchmark corpus as a day on a server would, the same way for
the same SEED:

    change-corpus.py DIR [SEED]

1% of the pages get 8 bytes overwritten in place, 4 KiB in the middle of
the first disk image are rewritten, 5 pages are deleted and 20 new
configuration files appear under etc/.
"""
import os
import random
import sys


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    root = sys.argv[1]
    rng = random.Random(int(sys.argv[2]) if len(sys.argv) == 3 else 1)
    everything = sorted(os.path.join(d, name) for d, _, names in os.walk(root) for name in names)
    pages = [p for p in everything if p.endswith(".html")]
    images = [p for p in everything if p.endswith(".img")]
    for page in rng.sample(pages, max(1, len(pages) // 100)):
        with open(page, "r+b") as f:
            f.seek(rng.randint(0, max(0, os.path.getsize(page) - 8)))
            f.write(b"EDITED!!")
    if images:
        with open(images[0], "r+b") as f:
            f.seek(os.path.getsize(images[0]) // 2)
            f.write(rng.randbytes(4096))
    for page in rng.sample([p for p in pages if os.path.exists(p)], min(5, len(pages))):
        os.remove(page)
    for n in range(20):
        with open(os.path.join(root, "etc", f"added{rng.randrange(10**9)}.conf"), "w") as f:
            f.write(f"setting {n} = added today\n" * 40)


if __name__ == "__main__":
    main()
