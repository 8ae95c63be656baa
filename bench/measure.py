"""Runs a command and prints its wall time, CPU seconds and peak RSS (from getrusage) as JSON.
Usage: python3 measure.py CMD [ARGS...]"""
import json
import resource
import subprocess
import sys
import tempfile
import time

# stdout goes to a file, not a pipe: a pipe would time the reader of the output too.
with tempfile.TemporaryFile() as out:
    start = time.monotonic()
    proc = subprocess.run(sys.argv[1:], stdout=out, stderr=subprocess.PIPE)
    wall = time.monotonic() - start
    size = out.tell()
    out.seek(max(0, size - 2000))
    tail = out.read().decode(errors="replace")
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "code": proc.returncode,
    "wall": wall,
    "cpu": usage.ru_utime + usage.ru_stime,
    "maxRssKiB": usage.ru_maxrss,
    "stdoutBytes": size,
    "stdout": tail,
    "stderr": proc.stderr.decode(errors="replace")[-2000:],
}))
