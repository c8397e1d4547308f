#!/usr/bin/python3
"""HPACK bomb: one 4 KiB field put in the dynamic table, then header blocks that
refer to it thousands of times (a 1-octet index each: 16 KB in, 64 MB of fields out).

usage: hpack_bomb.py HOST PORT [STREAMS=300]
Expected: each bomb stream answered 431 (the header-list limit is enforced while
decoding; the table stays in step), no GOAWAY, and a plain request afterwards
on the same connection still gets 200.
"""
from h2raw import END_HEADERS, END_STREAM, HEADERS, Conn, args, frame, literal, request_block

host, port, n = args("hpack_bomb.py HOST PORT [STREAMS]")
n = n or 300
c = Conn("hpack_bomb", host, port)
base = request_block(host)
# 4 KiB table, entry size = name + value + 32 (RFC 7541 §4.1): the largest value that fits.
seed = base + literal("x-bomb", "b" * (4096 - 32 - 6), indexed=True)
c.send(frame(HEADERS, END_HEADERS | END_STREAM, 1, seed))
# Index 62: the newest dynamic entry (RFC 7541 §2.3.3), as an indexed field (0x80 | 62).
bomb = base + bytes([0x80 | 62]) * (16_000 - len(base))
sid = 3
for _ in range(n):
    if not c.send(frame(HEADERS, END_HEADERS | END_STREAM, sid, bomb)):
        break
    sid += 2
    c.poll(0)
c.send(frame(HEADERS, END_HEADERS | END_STREAM, sid, base))
c.poll(1.0)
deadline_reads = 0
while sum(c.statuses.values()) < n + 2 and not c.closed and deadline_reads < 20:
    c.poll(0.2)
    deadline_reads += 1
c.finish(bombs=n, references_per_bomb=len(bomb) - len(base))
