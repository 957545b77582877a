#!/usr/bin/env python3
"""Writes bam's benchmark corpus: a tree shaped like a small web server.

    make-corpus.py DIR [SCALE]

The same DIR and SCALE always give the same bytes (one seeded generator).
At scale 1 it holds about 21,600 files and 550 MB:

  var/www/        20,000 pages of 0.2-16 KB of word-like text, in 40 sites
  etc/            400 configuration files of 0.1-4 KB, mode 0640
  home/           200 binary files of 0.1-1 MB of random bytes
  var/lib/images  3 disk-image-like files of 100 MB: random first half,
                  text second half (what compresses and what does not)
  var/www/current a symlink to the first site
"""
import os
import random
import sys


class Writer:
    def __init__(self, root, seed):
        self.root = root
        self.rng = random.Random(seed)
        letters = "etaoinshrdlcumwfgypbvkjxqz"
        self.vocabulary = ["".join(self.rng.choices(letters, k=self.rng.randint(2, 11))) for _ in range(6000)]

    def prose(self, size):
        """`size` bytes of lines of words: compresses like real text."""
        chunks, total = [], 0
        while total < size:
            line = " ".join(self.rng.choices(self.vocabulary, k=self.rng.randint(4, 15))) + "\n"
            chunks.append(line)
            total += len(line)
        return "".join(chunks).encode()[:size]

    def noise(self, size):
        return self.rng.randbytes(size)

    def put(self, relative, data, mode=0o644):
        path = os.path.join(self.root, relative)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as out:
            out.write(data)
        os.chmod(path, mode)


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit(__doc__)
    root = sys.argv[1]
    scale = float(sys.argv[2]) if len(sys.argv) == 3 else 1.0
    w = Writer(root, seed=20261203)
    for n in range(int(20000 * scale)):
        w.put(f"var/www/site{n % 40:02d}/section{n // 40 % 25:02d}/page{n}.html", w.prose(w.rng.randint(200, 16000)))
    for n in range(int(400 * scale)):
        w.put(f"etc/service{n % 20:02d}/setting{n}.conf", w.prose(w.rng.randint(100, 4000)), 0o640)
    for n in range(int(200 * scale)):
        w.put(f"home/user{n % 10}/data{n}.bin", w.noise(w.rng.randint(100_000, 1_000_000)))
    half = int(50_000_000 * min(scale, 1.0))
    for n in range(max(1, int(3 * scale))):
        w.put(f"var/lib/images/disk{n}.img", w.noise(half) + w.prose(half))
    os.symlink("site00", os.path.join(root, "var/www/current"))


if __name__ == "__main__":
    main()
