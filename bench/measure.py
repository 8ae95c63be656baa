"""Runs a command and prints its wall time, CPU seconds and peak RSS (from getrusage) as JSON.
Usage: python3 measure.py CMD [ARGS...]"""
import json
import resource
import subprocess
import sys
import time

start = time.monotonic()
proc = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
wall = time.monotonic() - start
usage = resource.getrusage(resource.RUSAGE_CHILDREN)
print(json.dumps({
    "code": proc.returncode,
    "wall": wall,
    "cpu": usage.ru_utime + usage.ru_stime,
    "maxRssKiB": usage.ru_maxrss,
    "stdoutBytes": len(proc.stdout),
    "stdout": proc.stdout.decode(errors="replace")[-2000:],
    "stderr": proc.stderr.decode(errors="replace")[-2000:],
}))
