#!/usr/bin/env python3
"""Writes a big tree for the memory bar of issue 16: FILES files in all, ENV_FILES of them .env
files (a share with Service Connector variables and mistakes), a few hundred sources that use
the variables, and the rest unrelated content: small sources, JSON, logs and binaries, plus a
few large files so the tree holds about GIGABYTES of data.

usage: generate_big_tree.py OUT_DIR [FILES=200000] [ENV_FILES=5000] [GIGABYTES=3]

Deterministic (seeded); writes each distinct content once in memory and reuses it, so that
generating 3 GB costs little more than the disk writes.
"""
import os
import random
import sys

out = sys.argv[1]
files = int(sys.argv[2]) if len(sys.argv) > 2 else 200_000
env_files = int(sys.argv[3]) if len(sys.argv) > 3 else 5_000
gigabytes = float(sys.argv[4]) if len(sys.argv) > 4 else 3.0
random.seed(16)

ENV_GOOD = (
    'NEON_POSTGRESQL_CONNECTIONSTRING="dbname=neondb host=ep-still-mud-a12aa123.eastus2.azure.neon.tech '
    'port=5432 sslmode=require user=app password=<password>"\nLOG_LEVEL=info\n'
)
ENV_BAD = "NEON_POSTGRES_HOST=ep-still-mud-a12aa123.eastus2.azure.neon.tech\nNEON_POSTGRESQL_SSL=false\n"
ENV_PLAIN = "PORT=8080\nLOG_LEVEL=debug\nFEATURE_FLAGS=a,b,c\n"
RELEVANT_JS = (
    'const {{ Client }} = require("pg");\n// service {i}\n'
    "const client = new Client({{ connectionString: process.env.NEON_POSTGRESQL_CONNECTIONSTRING }});\n"
    "module.exports = client;\n"
)


def filler(kind, size):
    """Unrelated content of about `size` bytes that no prefilter needle matches."""
    if kind == "js":
        line = "export function compute{n}(values) {{ return values.map((v) => v * {n} + 1).filter(Boolean); }}\n"
    elif kind == "py":
        line = "def compute_{n}(values):\n    return [v * {n} + 1 for v in values if v]\n\n"
    elif kind == "json":
        line = '{{"id": {n}, "name": "item-{n}", "tags": ["alpha", "beta"], "score": {n}.5}}\n'
    elif kind == "log":
        line = "2026-01-01T00:00:{n:02d}Z INFO request served in {n} ms path=/api/items/{n}\n"
    else:
        line = "Lorem ipsum dolor sit amet, consectetur adipiscing elit {n}.\n"
    parts, total, n = [], 0, 0
    while total < size:
        text = line.format(n=n % 60)
        parts.append(text)
        total += len(text)
        n += 1
    return "".join(parts).encode()


# Kinds of unrelated files: (extension, content kind, sizes to pick from).
UNRELATED = [
    ("js", "js", [800, 4_000, 20_000]),
    ("ts", "js", [1_500, 9_000]),
    ("py", "py", [600, 3_000, 15_000]),
    ("json", "json", [2_000, 30_000]),
    ("md", "text", [1_000, 6_000]),
    ("log", "log", [10_000, 60_000]),
    ("txt", "text", [500]),
]
contents = {
    (ext, size): filler(kind, size) for ext, kind, sizes in UNRELATED for size in sizes
}
binary = bytes(random.getrandbits(8) for _ in range(64 * 1024))
# Sources just under the 4 MiB read limit: read in full, then dropped as irrelevant.
big_source = filler("js", 3_900_000)

relevant = min(500, files // 100)
large = max(1, int(gigabytes * 4))  # files of ~256 MiB hold most of the gigabytes
near_limit = 100
unrelated = files - env_files - relevant - large - near_limit
written = 0
for index in range(files):
    folder = os.path.join(out, f"area{index % 50:02d}", f"pkg{index // 1000:04d}")
    os.makedirs(folder, exist_ok=True)
    if index < env_files:
        sub = os.path.join(folder, f"svc{index}")
        os.makedirs(sub, exist_ok=True)
        text = (ENV_GOOD, ENV_BAD, ENV_PLAIN, ENV_PLAIN)[index % 4]
        path, data = os.path.join(sub, ".env"), text.encode()
    elif index < env_files + relevant:
        path, data = os.path.join(folder, f"db{index}.js"), RELEVANT_JS.format(i=index).encode()
    elif index < env_files + relevant + near_limit:
        path, data = os.path.join(folder, f"bundle{index}.js"), big_source
    elif index < env_files + relevant + near_limit + large:
        path = os.path.join(folder, f"dump{index}.bin")
        with open(path, "wb") as f:
            for _ in range(256 * 1024 * 1024 // len(binary)):
                f.write(binary)
        written += 256 * 1024 * 1024
        continue
    else:
        ext, _, sizes = UNRELATED[index % len(UNRELATED)]
        if index % 97 == 0:
            path, data = os.path.join(folder, f"blob{index}.dat"), binary[: 1 + index % len(binary)]
        else:
            size = sizes[index % len(sizes)]
            path, data = os.path.join(folder, f"file{index}.{ext}"), contents[(ext, size)]
    with open(path, "wb") as f:
        f.write(data)
    written += len(data)
print(f"{files} files ({env_files} .env), {written / 2**30:.2f} GiB in {out}")
