#!/usr/bin/python3
"""Too many streams: HEADERS without END_STREAM keep each stream open, far past
SETTINGS_MAX_CONCURRENT_STREAMS.

usage: too_many_streams.py HOST PORT [STREAMS=5000]
Expected: REFUSED_STREAM for each stream past the limit (100), and, for a client
that keeps going, GOAWAY ENHANCE_YOUR_CALM once the refusals spend the reset budget.
"""
from h2raw import END_HEADERS, HEADERS, Conn, args, frame, request_block

host, port, n = args("too_many_streams.py HOST PORT [STREAMS]")
n = n or 5000
c = Conn("too_many_streams", host, port)
block = request_block(host, "/", "POST")
sid = 1
while sid < 2 * n and not c.closed and c.goaway_code is None:
    top = min(sid + 200, 2 * n)
    if not c.send(b"".join(frame(HEADERS, END_HEADERS, s, block) for s in range(sid, top, 2)), frames=len(range(sid, top, 2))):
        break
    sid = top
    c.poll(0)
c.wait_goaway()
c.finish(streams=(sid - 1) // 2)
