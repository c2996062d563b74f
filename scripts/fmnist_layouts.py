#!/usr/bin/env python3
"""Writes Fashion-MNIST images out in the layouts of `--data` (README, "Your own data").

  idx/     train-/t10k-{images-idx3,labels-idx1}-ubyte.gz        (--data idx:OUT/idx)
  list/    train.txt database.txt test.txt + images/, one-hot    (--data list:OUT/list)
  folder/  train/<class>/*.png test/<class>/*.png                (--data folder:OUT/folder)
  mosaic/  2x2 mosaics (56x56) of four random images, labelled by the classes they show
           (multi-hot), train.txt = database.txt, test.txt       (--data list:OUT/mosaic)

The first --train training and --test test images go into idx/, list/ and folder/ (the same
pixels and labels in each). Standard library only: PNGs are written with zlib.
"""
import argparse
import gzip
import os
import random
import struct
import zlib

CLASSES = ["t-shirt", "trouser", "pullover", "dress", "coat", "sandal", "shirt", "sneaker",
           "bag", "boot"]


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, n = struct.unpack(">II", data[:8])
    if magic == 0x803:
        rows, cols = struct.unpack(">II", data[8:16])
        size = rows * cols
        return [data[16 + i * size:16 + (i + 1) * size] for i in range(n)], rows, cols
    return list(data[8:8 + n]), 0, 0


def png_bytes(pixels, h, w):
    def chunk(kind, body):
        return (struct.pack(">I", len(body)) + kind + body +
                struct.pack(">I", zlib.crc32(kind + body) & 0xffffffff))
    raw = b"".join(b"\0" + bytes(pixels[y * w:(y + 1) * w]) for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 0, 0, 0, 0)) +
            chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def write(path, data):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as f:
        f.write(data)


def write_idx(out, prefix, images, labels, rows, cols):
    os.makedirs(out, exist_ok=True)
    with gzip.open(f"{out}/{prefix}-images-idx3-ubyte.gz", "wb") as f:
        f.write(struct.pack(">IIII", 0x803, len(images), rows, cols) + b"".join(images))
    with gzip.open(f"{out}/{prefix}-labels-idx1-ubyte.gz", "wb") as f:
        f.write(struct.pack(">II", 0x801, len(labels)) + bytes(labels))


def one_hot(classes, n=10):
    return " ".join("1" if k in classes else "0" for k in range(n))


def mosaic(images, picks, side):
    out = bytearray(4 * side * side)
    for q, i in enumerate(picks):
        top, left = (q // 2) * side, (q % 2) * side
        for y in range(side):
            out[(top + y) * 2 * side + left:(top + y) * 2 * side + left + side] = \
                images[i][y * side:(y + 1) * side]
    return out


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--src", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--out", required=True)
    ap.add_argument("--train", type=int, default=60000)
    ap.add_argument("--test", type=int, default=10000)
    ap.add_argument("--mosaic-train", type=int, default=0, help="0: no mosaics")
    ap.add_argument("--mosaic-test", type=int, default=1000)
    ap.add_argument("--seed", type=int, default=0)
    a = ap.parse_args()
    split = {}
    for prefix, n in (("train", a.train), ("t10k", a.test)):
        images, rows, cols = read_idx(f"{a.src}/{prefix}-images-idx3-ubyte.gz")
        labels, _, _ = read_idx(f"{a.src}/{prefix}-labels-idx1-ubyte.gz")
        split[prefix] = (images[:n], labels[:n], images, labels)
    write_idx(f"{a.out}/idx", "train", *split["train"][:2], rows, cols)
    write_idx(f"{a.out}/idx", "t10k", *split["t10k"][:2], rows, cols)
    lists = {"train": [], "test": []}
    for prefix, role in (("train", "train"), ("t10k", "test")):
        images, labels = split[prefix][:2]
        for i, (img, label) in enumerate(zip(images, labels)):
            png = png_bytes(img, rows, cols)
            name = f"images/{role}/{i:05d}.png"
            write(f"{a.out}/list/{name}", png)
            # Class folders sort by name; the numeric prefix keeps the label order 0..9.
            write(f"{a.out}/folder/{role}/{label}-{CLASSES[label]}/{i:05d}.png", png)
            lists[role].append(f"{name} {one_hot({label})}")
    write(f"{a.out}/list/train.txt", ("\n".join(lists["train"]) + "\n").encode())
    write(f"{a.out}/list/database.txt", ("\n".join(lists["train"]) + "\n").encode())
    write(f"{a.out}/list/test.txt", ("\n".join(lists["test"]) + "\n").encode())
    if a.mosaic_train > 0:
        rng = random.Random(a.seed)
        for prefix, role, n in (("train", "train", a.mosaic_train), ("t10k", "test", a.mosaic_test)):
            _, _, images, labels = split[prefix]
            lines = []
            for m in range(n):
                picks = [rng.randrange(len(images)) for _ in range(4)]
                name = f"images/{role}/{m:05d}.png"
                write(f"{a.out}/mosaic/{name}", png_bytes(mosaic(images, picks, rows), 2 * rows,
                                                          2 * cols))
                lines.append(f"{name} {one_hot({labels[i] for i in picks})}")
            write(f"{a.out}/mosaic/{role}.txt", ("\n".join(lines) + "\n").encode())
            if role == "train":
                write(f"{a.out}/mosaic/database.txt", ("\n".join(lines) + "\n").encode())


if __name__ == "__main__":
    main()
