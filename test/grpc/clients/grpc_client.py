"""A gRPC client for hello-server's tests, with Debian's python3-grpcio and no generated code:
the methods are called generically with raw protobuf bytes built and read by hand.

usage: grpc_client.py TARGET [--timeout SECONDS] [--metadata KEY=VALUE ...] [--ca PEM] COMMAND ...
  --ca PEM               TLS, trusting this CA (the target names the certificate's host)
  check SERVICE          grpc.health.v1.Health/Check     → {"code", "details", "status"}
  watch SERVICE N        grpc.health.v1.Health/Watch, the first N messages (then cancel)
                         → {"code", "details", "statuses"}; code is that of the stream's end
                         when it ended by itself, "CANCELLED" when N were read
  echo MESSAGE           hello.v1.Echo/Echo              → {"code", "details", "reply"}
  call PATH HEX          any unary method, raw request bytes in hex → {"code", "details", "hex"}
One JSON line on stdout; exit 0 whenever the call got a status (an error status included).
"""
import argparse
import json
import sys

import grpc

SERVING = ["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"]


def varint(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def read_varint(b, i):
    n = shift = 0
    while True:
        c = b[i]
        i += 1
        n |= (c & 0x7F) << shift
        shift += 7
        if c < 0x80:
            return n, i


def len_field(number, data):
    return varint(number << 3 | 2) + varint(len(data)) + data


def fields(b):
    """(number, value) for each field: an int for varints, bytes for LEN; fixed ones skipped."""
    i = 0
    while i < len(b):
        tag, i = read_varint(b, i)
        number, wire = tag >> 3, tag & 7
        if wire == 0:
            value, i = read_varint(b, i)
        elif wire == 2:
            length, i = read_varint(b, i)
            value, i = b[i : i + length], i + length
        elif wire in (1, 5):
            i += 8 if wire == 1 else 4
            continue
        else:
            raise ValueError(f"wire type {wire}")
        yield number, value


def health_request(service):
    return len_field(1, service.encode()) if service else b""


def serving_status(b):
    status = 0
    for number, value in fields(b):
        if number == 1:
            status = value
    return SERVING[status] if status < len(SERVING) else status


ECHO_STRINGS = {3: "peer", 4: "authority", 5: "protocol", 6: "hostname", 7: "pod", 8: "namespace", 9: "node", 11: "runtime", 12: "io"}


def echo_reply(b):
    reply = {"message": "", "metadata": []}
    for number, value in fields(b):
        if number == 1:
            reply["message"] = value.decode("utf-8", "replace")
        elif number == 2:
            entry = dict(fields(value))
            reply["metadata"].append([entry.get(1, b"").decode("latin-1"), entry.get(2, b"").decode("latin-1")])
        elif number == 10:
            reply["pid"] = value
        elif number in ECHO_STRINGS:
            reply[ECHO_STRINGS[number]] = value.decode()
    return reply


def status_of(err):
    return {"code": err.code().name, "details": err.details() or None}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("target")
    p.add_argument("--timeout", type=float, default=None)
    p.add_argument("--metadata", action="append", default=[])
    p.add_argument("--ca", default=None)
    p.add_argument("command", choices=["check", "watch", "echo", "call"])
    p.add_argument("args", nargs="*")
    a = p.parse_args()
    metadata = [tuple(m.split("=", 1)) for m in a.metadata]
    if a.ca is None:
        channel = grpc.insecure_channel(a.target)
    else:
        with open(a.ca, "rb") as f:
            channel = grpc.secure_channel(a.target, grpc.ssl_channel_credentials(root_certificates=f.read()))
    with channel:
        if a.command == "check":
            call = channel.unary_unary("/grpc.health.v1.Health/Check", request_serializer=None, response_deserializer=None)
            try:
                out = {"code": "OK", "details": None, "status": serving_status(call(health_request(a.args[0]), timeout=a.timeout, metadata=metadata))}
            except grpc.RpcError as e:
                out = status_of(e)
        elif a.command == "watch":
            call = channel.unary_stream("/grpc.health.v1.Health/Watch", request_serializer=None, response_deserializer=None)
            want = int(a.args[1])
            stream = call(health_request(a.args[0]), timeout=a.timeout, metadata=metadata)
            statuses = []
            try:
                for message in stream:
                    statuses.append(serving_status(message))
                    if len(statuses) == want:
                        stream.cancel()
                        break
                out = {"code": stream.code().name, "details": stream.details() or None}
            except grpc.RpcError as e:
                out = status_of(e)
            out["statuses"] = statuses
        elif a.command == "echo":
            call = channel.unary_unary("/hello.v1.Echo/Echo", request_serializer=None, response_deserializer=None)
            try:
                reply = call(len_field(1, a.args[0].encode()), timeout=a.timeout, metadata=metadata)
                out = {"code": "OK", "details": None, "reply": echo_reply(reply)}
            except grpc.RpcError as e:
                out = status_of(e)
        else:
            call = channel.unary_unary(a.args[0], request_serializer=None, response_deserializer=None)
            try:
                out = {"code": "OK", "details": None, "hex": call(bytes.fromhex(a.args[1]), timeout=a.timeout, metadata=metadata).hex()}
            except grpc.RpcError as e:
                out = status_of(e)
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    sys.exit(main())
