#!/usr/bin/python3
"""A request body past the server's maximum, sent as fast as the windows allow.

usage: body_past_max.py HOST PORT [BYTES=2097152]
Expected: 413 on the stream, then RST_STREAM(NO_ERROR) asking us to stop (§8.1);
no GOAWAY: the connection lives on (a second request on it gets 200).
"""
import time

from h2raw import DATA, END_HEADERS, END_STREAM, HEADERS, Conn, args, frame, request_block

host, port, n = args("body_past_max.py HOST PORT [BYTES]")
n = n or 2 * 1024 * 1024
c = Conn("body_past_max", host, port)
c.send(frame(HEADERS, END_HEADERS, 1, request_block(host, "/", "POST")))
chunk = b"x" * 16384
sent = 0
deadline = time.monotonic() + 5
while sent < n and not c.closed and time.monotonic() < deadline:
    if "413" in c.statuses or c.rst_codes:
        break
    room = min(c.send_window, c.stream_windows.get(1, 65535), len(chunk), n - sent)
    if room <= 0:
        c.poll(0.05)
        continue
    if not c.send(frame(DATA, END_STREAM if sent + room == n else 0, 1, chunk[:room])):
        break
    c.send_window -= room
    c.stream_windows[1] = c.stream_windows.get(1, 65535) - room
    sent += room
    c.poll(0)
c.poll(0.5)
c.send(frame(HEADERS, END_HEADERS | END_STREAM, 3, request_block(host)))
c.poll(1.0)
c.finish(body_bytes_sent=sent)
