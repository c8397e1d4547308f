"""A tiny grpcio server with the same three methods, so that grpc_client.py is tested apart from
hello-server (it proves the client, not our server). Prints its port, then serves until stdin
closes. Health: "" and "hello" are SERVING, others NOT_FOUND; Watch sends SERVING, NOT_SERVING,
then ends OK; Echo returns message (field 1), the metadata, and "fake" as runtime; metadata
x-hello-delay=SECONDS sleeps first, x-hello-grpc-status=N aborts with that code."""
import sys
import time
from concurrent import futures

import grpc

sys.path.insert(0, __file__.rsplit("/", 1)[0])
from grpc_client import fields, len_field, varint  # noqa: E402

CODES = {c.value[0]: c for c in grpc.StatusCode}


def steer(context):
    md = dict(context.invocation_metadata())
    if "x-hello-delay" in md:
        time.sleep(float(md["x-hello-delay"]))
    if "x-hello-grpc-status" in md:
        context.abort(CODES[int(md["x-hello-grpc-status"])], "asked for")
    return md


def service_of(request):
    return dict(fields(request)).get(1, b"").decode()


def check(request, context):
    if service_of(request) not in ("", "hello"):
        context.abort(grpc.StatusCode.NOT_FOUND, "unknown service")
    return b"\x08\x01"


def watch(request, context):
    yield b"\x08\x01"
    yield b"\x08\x02"


def echo(request, context):
    md = steer(context)
    out = len_field(1, dict(fields(request)).get(1, b""))
    for k, v in md.items():
        out += len_field(2, len_field(1, k.encode()) + len_field(2, v.encode()))
    return out + len_field(11, b"fake") + varint(10 << 3) + varint(4242)


def main():
    handlers = {
        "/grpc.health.v1.Health/Check": grpc.unary_unary_rpc_method_handler(check),
        "/grpc.health.v1.Health/Watch": grpc.unary_stream_rpc_method_handler(watch),
        "/hello.v1.Echo/Echo": grpc.unary_unary_rpc_method_handler(echo),
    }

    class Generic(grpc.GenericRpcHandler):
        def service(self, details):
            return handlers.get(details.method)

    server = grpc.server(futures.ThreadPoolExecutor(max_workers=4), handlers=[Generic()])
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    print(port, flush=True)
    sys.stdin.read()
    server.stop(0)


main()
