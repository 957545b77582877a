#!/usr/bin/env python3
"""Writes a tree of COUNT small files in deep and wide directories, the same
bytes for the same COUNT:

    make-files-tree.py DIR COUNT

Files of 0-1024 bytes of word-like text, 100 to a directory; directories
nest by the digits of their number (wide: up to 10 per level), and every
seventh one sits at the end of a chain eight levels deeper.
"""
import os
import random
import sys


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    root, count = sys.argv[1], int(sys.argv[2])
    rng = random.Random(count)
    words = ["".join(rng.choices("etaoinshrdlcumwfgypbvkjxqz", k=rng.randint(2, 9))) for _ in range(2000)]
    text = " ".join(rng.choices(words, k=300_000)).encode()
    per_dir = 100
    for d in range((count + per_dir - 1) // per_dir):
        parts = list(f"{d:06d}")
        if d % 7 == 0:
            parts += [f"deep{n}" for n in range(8)]
        path = os.path.join(root, "srv", *parts)
        os.makedirs(path, exist_ok=True)
        for i in range(min(per_dir, count - d * per_dir)):
            size = rng.randint(0, 1024)
            start = rng.randrange(len(text) - size)
            with open(os.path.join(path, f"f{i}.txt"), "wb") as f:
                f.write(text[start:start + size])


if __name__ == "__main__":
    main()
