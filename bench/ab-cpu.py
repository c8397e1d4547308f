#!/usr/bin/env python3
"""A/B of server CPU per request: two or more server commands started once
each, measured in turns (A B C A B C ...), server pinned to CPU 0, wrk to
CPU 1, 64 connections, a 2 s warm-up each, then ROUNDS runs of 4 s; CPU is
utime+stime of the server process from /proc/PID/stat. Prints the median
per server and its ratio to the first one. For quick same-run comparisons
of two builds (e.g. a change to a libc table); bench/compare.ts is the full one.

usage (wrap in flock /tmp/hello-bench.lock):
  python3 bench/ab-cpu.py ROUNDS keepalive|pipelined|close NAME=COMMAND ...
  (each COMMAND gets --port P appended; single-process servers only)
example:
  python3 bench/ab-cpu.py 5 keepalive \
    'bun=node_modules/.bin/bun dist/hello-server.js --io syscall --host 127.0.0.1 --workers 1 --quiet' \
    'deno=node_modules/.bin/deno run -A dist/hello-server.js --io syscall --host 127.0.0.1 --workers 1 --quiet'
"""
import subprocess, sys, time, os, re, statistics, socket
rounds = int(sys.argv[1]); scen = sys.argv[2]
servers = [a.split("=", 1) for a in sys.argv[3:]]
def cpu(pid):
    f = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
def wait_port(p):
    for _ in range(300):
        try: socket.create_connection(("127.0.0.1", p), 0.2).close(); return
        except OSError: time.sleep(0.05)
    raise SystemExit("no port")
res = {n: [] for n, _ in servers}
procs = {}
for i, (n, cmd) in enumerate(servers):
    port = 18800 + i
    procs[n] = (subprocess.Popen(["taskset", "-c", "0", "sh", "-c", f"exec {cmd} --port {port}"], stderr=subprocess.DEVNULL), port)
    wait_port(port)
lua = ["-s", os.path.join(os.path.dirname(os.path.abspath(__file__)), "pipeline.lua")] if scen == "pipelined" else []
hdr = ["-H", "Connection: close"] if scen == "close" else []
for n, (p, port) in procs.items():
    subprocess.run(["taskset", "-c", "1", "wrk", "-t1", "-c64", "-d2s", *lua, *hdr, f"http://127.0.0.1:{port}/"], capture_output=True)
for r in range(rounds):
    for n, (p, port) in procs.items():
        c0 = cpu(p.pid)
        out = subprocess.run(["taskset", "-c", "1", "wrk", "-t1", "-c64", "-d4s", *lua, *hdr, f"http://127.0.0.1:{port}/"], capture_output=True, text=True).stdout
        c1 = cpu(p.pid)
        reqs = int(re.search(r"(\d+) requests in", out).group(1))
        res[n].append((c1 - c0) * 1e6 / reqs)
for n, (p, port) in procs.items(): p.terminate(); p.wait()
base = statistics.median(res[servers[0][0]])
for n, v in res.items():
    m = statistics.median(v)
    print(f"{scen:10} {n:24} CPU µs/req median {m:6.2f}  ({' '.join(f'{x:.2f}' for x in v)})  vs {servers[0][0]}: {m/base:.2f}x")
