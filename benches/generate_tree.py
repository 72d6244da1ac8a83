#!/usr/bin/env python3
"""Writes a tree of generated source and .env files that reference Service Connector variables,
with a realistic share of mistakes, for benches/check_vs_ripgrep.sh.

usage: generate_tree.py OUT_DIR FILE_COUNT
"""
import os
import random
import sys

out, count = sys.argv[1], int(sys.argv[2])
random.seed(42)

PY = '''import os
import psycopg2

# service {i}
def connect():
    dsn = os.environ["{var}"]
    return psycopg2.connect(dsn)

def other_{i}(x):
    return [y * 2 for y in range(x) if y % 3]
'''
JS = '''const {{ Client }} = require("pg");
// service {i}
const client = new Client({{
  host: process.env.NEON_POSTGRESQL_HOST,
  user: process.env.NEON_POSTGRESQL_USER,
  password: process.env.NEON_POSTGRESQL_PASSWORD,
  database: process.env.{db},
  port: Number(process.env.NEON_POSTGRESQL_PORT),
  ssl: process.env.NEON_POSTGRESQL_SSL === "true",
}});
module.exports = client;
'''
GO = '''package main

import (
\t"os"
)

// service {i}
func dsn() string {{
\treturn os.Getenv("{var}")
}}
'''
ENV = '''NEON_POSTGRESQL_CONNECTIONSTRING="dbname=neondb host=ep-still-mud-a12aa123.eastus2.azure.neon.tech port=5432 sslmode={mode} user=app password=<password>"
NEON_POSTGRESQL_HOST=ep-still-mud-a12aa123.eastus2.azure.neon.tech
'''

for i in range(count):
    service = os.path.join(out, f"svc{i // 50}", f"mod{i}")
    os.makedirs(service, exist_ok=True)
    kind = i % 3
    if kind == 0:
        var = random.choice(["NEON_POSTGRESQL_CONNECTIONSTRING"] * 8 + ["NEON_POSTGRESQL_CONNECTION_STRING", "NEON_POSTGRESQL_HOST"])
        with open(os.path.join(service, "db.py"), "w") as f:
            f.write(PY.format(i=i, var=var))
    elif kind == 1:
        db = random.choice(["NEON_POSTGRESQL_DATABASE"] * 8 + ["NEON_POSTGRESQL_NAME", "NEON_POSTGRES_DATABASE"])
        with open(os.path.join(service, "db.js"), "w") as f:
            f.write(JS.format(i=i, db=db))
    else:
        var = random.choice(["NEON_POSTGRESQL_CONNECTIONSTRING"] * 9 + ["NEON_POSTGRESQL_URL"])
        with open(os.path.join(service, "main.go"), "w") as f:
            f.write(GO.format(i=i, var=var))
    if i % 10 == 0:
        with open(os.path.join(service, ".env"), "w") as f:
            f.write(ENV.format(mode=random.choice(["require"] * 3 + ["disable"])))
