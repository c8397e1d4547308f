#!/usr/bin/python3
"""A client that watches a graceful shutdown (RFC 9113 §6.8) from inside one connection.

usage: shutdown.py HOST PORT delay|nodelay [SLOW_MS=1500]
  1. opens stream 1 (`/?delay=SLOW_MS`) and, with `nodelay`, stream 3 (`/?delay=SLOW_MS+200`);
     then a PING: its ACK proves the server has read the streams;
  2. prints "ready" on stdout (the test sends SIGTERM now);
  3. `delay`: on the first GOAWAY opens stream 3 (`/`), and stream 5 (`/hz`, the health path)
     300 ms later, both while the shutdown delay runs;
  4. acknowledges every PING (the server's drain PING among them) and reads until the server
     closes or 10 s pass; prints one JSON object:
       {"events": [[ms, kind, ...], ...], "closed": bool}
     ms counted from "ready"; kinds: ["goaway", last, code], ["status", stream, status],
     ["end", stream], ["rst", stream, code], ["sent", stream], ["close"].
Run with /usr/bin/python3 (Debian's python3-hpack).
"""
import json
import select
import socket
import sys
import time

import hpack
from h2raw import (ACK, CONTINUATION, DATA, END_HEADERS, END_STREAM, ERRORS, GOAWAY, HEADERS, PING, PREFACE,
                   RST_STREAM, SETTINGS, frame, request_block, settings)

host, port, mode = sys.argv[1], int(sys.argv[2]), sys.argv[3]
slow = int(sys.argv[4]) if len(sys.argv) > 4 else 1500
sock = socket.create_connection((host, port), timeout=5.0)
sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
decoder = hpack.Decoder()
events = []
t0 = time.monotonic()
buf = b""
block = b""
closed = False
probe_acked = False


def log(*event):
    events.append([round((time.monotonic() - t0) * 1000)] + list(event))


def get(stream, path):
    try:
        sock.sendall(frame(HEADERS, END_HEADERS | END_STREAM, stream, request_block(host, path)))
        log("sent", stream)
    except OSError:
        log("send-failed", stream)


def on_frame(kind, flags, sid, payload):
    global block, probe_acked
    if kind in (HEADERS, CONTINUATION):
        block += payload
        if flags & END_HEADERS:
            fields = dict(decoder.decode(block))
            block = b""
            if ":status" in fields:
                log("status", sid, int(fields[":status"]))
        if flags & END_STREAM:
            log("end", sid)
    elif kind == DATA and flags & END_STREAM:
        log("end", sid)
    elif kind == RST_STREAM:
        log("rst", sid, ERRORS[int.from_bytes(payload[:4], "big")])
    elif kind == GOAWAY:
        log("goaway", int.from_bytes(payload[0:4], "big") & 0x7FFFFFFF, ERRORS[int.from_bytes(payload[4:8], "big")])
    elif kind == PING:
        if flags & ACK:
            probe_acked = probe_acked or payload == b"probe!!!"
        else:
            sock.sendall(frame(PING, ACK, 0, payload))
    elif kind == SETTINGS and not flags & ACK:
        sock.sendall(frame(SETTINGS, ACK, 0))


def read(seconds):
    """Reads what arrives within `seconds` (returns at once after a read), handling every whole frame."""
    global buf, closed
    ready, _, _ = select.select([sock], [], [], max(0.0, seconds))
    if not ready:
        return
    try:
        chunk = sock.recv(1 << 16)
    except OSError:
        chunk = b""
    if not chunk:
        closed = True
        log("close")
        return
    buf += chunk
    while len(buf) >= 9:
        length = int.from_bytes(buf[0:3], "big")
        if len(buf) < 9 + length:
            break
        on_frame(buf[3], buf[4], int.from_bytes(buf[5:9], "big") & 0x7FFFFFFF, buf[9:9 + length])
        buf = buf[9 + length:]


sock.sendall(PREFACE + settings())
get(1, f"/?delay={slow}ms")
if mode == "nodelay":
    get(3, f"/?delay={slow + 200}ms")
sock.sendall(frame(PING, 0, 0, b"probe!!!"))
deadline = time.monotonic() + 5
while not probe_acked and not closed and time.monotonic() < deadline:
    read(deadline - time.monotonic())
events.clear()
t0 = time.monotonic()
print("ready", flush=True)

health_at = None
deadline = time.monotonic() + 10
while not closed and time.monotonic() < deadline:
    wait = deadline - time.monotonic()
    if health_at:
        wait = min(wait, health_at - time.monotonic())
    read(wait)
    if mode == "delay" and health_at is None and any(e[1] == "goaway" for e in events):
        get(3, "/")
        health_at = time.monotonic() + 0.3
    if health_at and time.monotonic() >= health_at and not closed:
        get(5, "/hz")
        health_at = 0
print(json.dumps({"events": events, "closed": closed}), flush=True)
