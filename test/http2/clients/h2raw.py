"""Raw HTTP/2 frames for the flood clients: what Python h2 refuses to send
(CONTINUATION without end, a client that never reads) is written here by hand.

Each flood script builds a Conn, sends, then reads until the server's GOAWAY
or close, and prints one JSON object (Conn.result):
  {"flood", "goaway_code", "last_stream_id", "frames_sent", "seconds",
   "statuses": {status: count}, "rst_codes": {code: count}, "closed", ...}
Bounded: every socket operation has a timeout, every loop a count or a deadline.
Run with /usr/bin/python3 (Debian's python3-hpack decodes the answers).
"""
import json
import select
import socket
import struct
import sys
import time

import hpack

PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, WINDOW_UPDATE, CONTINUATION = 0, 1, 3, 4, 6, 7, 8, 9
END_STREAM, ACK, END_HEADERS = 0x1, 0x1, 0x4
INITIAL_WINDOW_SIZE = 0x4
CANCEL_CODE = 8
ERRORS = ["NO_ERROR", "PROTOCOL_ERROR", "INTERNAL_ERROR", "FLOW_CONTROL_ERROR", "SETTINGS_TIMEOUT",
          "STREAM_CLOSED", "FRAME_SIZE_ERROR", "REFUSED_STREAM", "CANCEL", "COMPRESSION_ERROR",
          "CONNECT_ERROR", "ENHANCE_YOUR_CALM", "INADEQUATE_SECURITY", "HTTP_1_1_REQUIRED"]


def frame(kind: int, flags: int, stream: int, payload: bytes = b"") -> bytes:
    return struct.pack(">I", len(payload))[1:] + bytes([kind, flags]) + struct.pack(">I", stream) + payload


def hpack_int(value: int, prefix_bits: int, first: int) -> bytes:
    top = (1 << prefix_bits) - 1
    if value < top:
        return bytes([first | value])
    out = [first | top]
    value -= top
    while value >= 128:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def literal(name: str, value: str, indexed: bool = False) -> bytes:
    """RFC 7541 §6.2.1/§6.2.2: a literal with a new name, no Huffman; `indexed` adds it to the table."""
    n, v = name.encode(), value.encode()
    return (b"\x40" if indexed else b"\x00") + hpack_int(len(n), 7, 0) + n + hpack_int(len(v), 7, 0) + v


def request_block(host: str, path: str = "/", method: str = "GET") -> bytes:
    return b"".join(literal(k, v) for k, v in [(":method", method), (":scheme", "http"), (":path", path), (":authority", host)])


def settings(entries=()) -> bytes:
    return frame(SETTINGS, 0, 0, b"".join(struct.pack(">HI", k, v) for k, v in entries))


class Conn:
    def __init__(self, flood: str, host: str, port: int, client_settings=(), timeout: float = 5.0):
        self.flood = flood
        self.host = host
        self.started = time.monotonic()
        self.sock = socket.create_connection((host, port), timeout=timeout)
        self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.frames_sent = 0
        self.goaway_code = None
        self.last_stream_id = None
        self.closed = False
        self.statuses = {}
        self.rst_codes = {}
        self.data_bytes = 0
        self.window_updates = 0
        self.send_window = 65535
        self.stream_windows = {}
        self._buf = b""
        self._block = b""
        self._decoder = hpack.Decoder()
        self._decoder.max_allowed_table_size = 4096
        self.send(PREFACE + settings(client_settings), frames=1)

    def send(self, data: bytes, frames: int = 1) -> bool:
        """False once the server stopped taking bytes (closed, reset, or not reading for the timeout)."""
        if self.closed:
            return False
        try:
            self.sock.sendall(data)
            self.frames_sent += frames
            return True
        except (BrokenPipeError, ConnectionResetError, socket.timeout, OSError):
            return False

    def poll(self, seconds: float) -> None:
        """Waits up to `seconds` for bytes (0 = no wait), then reads all that is there."""
        deadline = time.monotonic() + seconds
        while not self.closed:
            left = max(0.0, deadline - time.monotonic())
            ready, _, _ = select.select([self.sock], [], [], left)
            if not ready:
                return
            try:
                chunk = self.sock.recv(1 << 16)
            except (ConnectionResetError, OSError):
                chunk = b""
            if not chunk:
                self.closed = True
                return
            self._parse(chunk)
            deadline = 0.0

    def wait_goaway(self, seconds: float = 5.0) -> None:
        deadline = time.monotonic() + seconds
        while not self.closed and self.goaway_code is None and time.monotonic() < deadline:
            self.poll(min(0.2, max(0.0, deadline - time.monotonic())))

    def _parse(self, chunk: bytes) -> None:
        self._buf += chunk
        while len(self._buf) >= 9:
            length = int.from_bytes(self._buf[0:3], "big")
            if len(self._buf) < 9 + length:
                return
            kind, flags = self._buf[3], self._buf[4]
            sid = int.from_bytes(self._buf[5:9], "big") & 0x7FFFFFFF
            payload = self._buf[9:9 + length]
            self._buf = self._buf[9 + length:]
            self._frame(kind, flags, sid, payload)

    def _frame(self, kind: int, flags: int, sid: int, payload: bytes) -> None:
        if kind in (HEADERS, CONTINUATION):
            self._block += payload
            if flags & END_HEADERS:
                fields = dict(self._decoder.decode(self._block))
                self._block = b""
                status = fields.get(":status")
                if status is not None:
                    self.statuses[status] = self.statuses.get(status, 0) + 1
        elif kind == DATA:
            self.data_bytes += len(payload)
        elif kind == RST_STREAM:
            code = ERRORS[int.from_bytes(payload[:4], "big")]
            self.rst_codes[code] = self.rst_codes.get(code, 0) + 1
        elif kind == GOAWAY and self.goaway_code is None:
            self.last_stream_id = int.from_bytes(payload[0:4], "big") & 0x7FFFFFFF
            code = int.from_bytes(payload[4:8], "big")
            self.goaway_code = ERRORS[code] if code < len(ERRORS) else str(code)
        elif kind == WINDOW_UPDATE:
            self.window_updates += 1
            n = int.from_bytes(payload[:4], "big") & 0x7FFFFFFF
            if sid == 0:
                self.send_window += n
            else:
                self.stream_windows[sid] = self.stream_windows.get(sid, 65535) + n

    def result(self, **extra) -> dict:
        out = {
            "flood": self.flood,
            "goaway_code": self.goaway_code,
            "last_stream_id": self.last_stream_id,
            "frames_sent": self.frames_sent,
            "seconds": round(time.monotonic() - self.started, 3),
            "statuses": self.statuses,
            "rst_codes": self.rst_codes,
            "closed": self.closed,
        }
        out.update(extra)
        return out

    def finish(self, **extra) -> None:
        try:
            self.sock.close()
        except OSError:
            pass
        print(json.dumps(self.result(**extra)))


def args(usage: str):
    """HOST PORT [N]: N is the flood's size (frames or streams)."""
    if len(sys.argv) < 3:
        sys.exit(f"usage: {usage}")
    return sys.argv[1], int(sys.argv[2]), (int(sys.argv[3]) if len(sys.argv) > 3 else None)
