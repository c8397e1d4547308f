"""Debian's python3-hpack as the other side of the HPACK differential test.

  hpack-python.py encode SEED COUNT  -> one JSON line per block: {"wire": hex, "headers": [[name, value], ...], "huffman": bool, "resized": bool}
  hpack-python.py decode             <- JSON lines {"wire": hex}; -> one JSON line per block: {"headers": [...]}

Names and values travel as latin1 strings (one char per octet). The encoder
draws header lists from a seeded generator: repeated request fields (so the
dynamic table is used), random names and values over all 256 octets,
never-indexed fields, Huffman on or off per block, and table-size changes
(each becomes a size update at the start of the next block, RFC 7541 §4.2).
"""
import json
import random
import sys

import hpack

TOKEN = "abcdefghijklmnopqrstuvwxyz0123456789-_"
COMMON = [
    (":method", "GET"), (":method", "POST"), (":scheme", "http"), (":scheme", "https"),
    (":path", "/"), (":path", "/index.html"), (":authority", "localhost:8080"),
    ("user-agent", "curl/8.5.0"), ("accept", "*/*"), ("accept-encoding", "gzip, deflate, br"),
    ("cookie", "session=abc123; theme=dark"), ("x-request-id", "7f3a9c"),
]
SIZES = [0, 64, 256, 1024, 4096]


def latin1(b):
    return b.decode("latin-1")


def random_value(rng):
    kind = rng.random()
    n = rng.choice([0, 1, 5, 20, 60, 200, 1000]) if kind < 0.9 else rng.randrange(0, 3000)
    if rng.random() < 0.3:
        return bytes(rng.randrange(256) for _ in range(n))
    return bytes(rng.randrange(0x20, 0x7F) for _ in range(n))


def random_list(rng):
    headers = []
    for _ in range(rng.randrange(0, 20)):
        r = rng.random()
        if r < 0.5:
            name, value = rng.choice(COMMON)
            headers.append((name.encode(), value.encode()))
        elif r < 0.65:
            name, _ = rng.choice(COMMON)
            headers.append((name.encode(), random_value(rng)))
        else:
            name = "".join(rng.choice(TOKEN) for _ in range(rng.randrange(1, 30))).encode()
            headers.append((name, random_value(rng)))
        if rng.random() < 0.1:
            headers[-1] = hpack.NeverIndexedHeaderTuple(*headers[-1])
    return headers


def encode(seed, count):
    rng = random.Random(seed)
    encoder = hpack.Encoder()
    for _ in range(count):
        resized = False
        if rng.random() < 0.08:
            size = rng.choice(SIZES)
            # python's Encoder sends an update only when the size changes.
            resized = size != encoder.header_table_size
            encoder.header_table_size = size
        headers = random_list(rng)
        huffman = rng.random() < 0.5
        wire = encoder.encode(headers, huffman=huffman)
        out = [[latin1(bytes(n)), latin1(bytes(v))] for n, v in headers]
        print(json.dumps({"wire": wire.hex(), "headers": out, "huffman": huffman, "resized": resized}))


def decode():
    decoder = hpack.Decoder()
    decoder.max_header_list_size = 1 << 24
    for line in sys.stdin:
        block = bytes.fromhex(json.loads(line)["wire"])
        headers = decoder.decode(block, raw=True)
        print(json.dumps({"headers": [[latin1(n), latin1(v)] for n, v in headers]}))


if __name__ == "__main__":
    if sys.argv[1] == "encode":
        encode(int(sys.argv[2]), int(sys.argv[3]))
    else:
        decode()
