"""Reference reader in the original design's style: Python's csv module, count and averages.
Usage: python3 csv_reader.py FILE"""
import csv
import sys

n = 0
cpu = 0.0
ram = 0.0
with open(sys.argv[1], newline="") as f:
    rows = csv.reader(f)
    next(rows)
    for row in rows:
        n += 1
        cpu += float(row[1])
        ram += float(row[2])
print(n, cpu / n if n else 0, ram / n if n else 0)
