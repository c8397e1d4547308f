#!/usr/bin/python3
"""Zero-window stall: SETTINGS_INITIAL_WINDOW_SIZE 0 and never a WINDOW_UPDATE,
while asking for large answers, so the server holds them.

usage: zero_window.py HOST PORT [STREAMS=10] [PATH=/?size=1048576] [WAIT=10]
Expected: the answers' HEADERS and no DATA, then GOAWAY ENHANCE_YOUR_CALM once
the window has been held at zero for the server's idle timeout.
"""
import sys

from h2raw import END_HEADERS, END_STREAM, HEADERS, INITIAL_WINDOW_SIZE, Conn, args, frame, request_block

host, port, n = args("zero_window.py HOST PORT [STREAMS] [PATH] [WAIT]")
n = n or 10
path = sys.argv[4] if len(sys.argv) > 4 else "/?size=1048576"
wait = float(sys.argv[5]) if len(sys.argv) > 5 else 10.0
c = Conn("zero_window", host, port, client_settings=[(INITIAL_WINDOW_SIZE, 0)])
for i in range(n):
    c.send(frame(HEADERS, END_HEADERS | END_STREAM, 1 + 2 * i, request_block(host, path)))
c.wait_goaway(wait)
c.finish(data_bytes=c.data_bytes)
