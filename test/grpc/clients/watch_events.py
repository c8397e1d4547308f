"""Health Watch streams on N separate connections, with python3-grpcio, reporting as it goes.

usage: watch_events.py TARGET N SECONDS
Each channel (its own connection: a local subchannel pool, so N channels are not one shared
connection) first calls hello.v1.Echo/Echo to learn which worker pid answers on it, then opens
grpc.health.v1.Health/Watch for service "". One JSON line per event, flushed at once:
  {"ch": i, "pid": P}            the worker this connection reached
  {"ch": i, "status": "SERVING"} each message of the stream
  {"ch": i, "end": "OK"}         the stream's end (its status code's name)
Exits once every stream ended, or after SECONDS.
"""
import json
import sys
import threading

import grpc

from grpc_client import echo_reply, len_field, serving_status

lock = threading.Lock()


def emit(event):
    with lock:
        print(json.dumps(event), flush=True)


def run(target, i):
    channel = grpc.insecure_channel(target, options=[("grpc.use_local_subchannel_pool", 1)])
    echo = channel.unary_unary("/hello.v1.Echo/Echo", request_serializer=None, response_deserializer=None)
    try:
        emit({"ch": i, "pid": echo_reply(echo(len_field(1, b"which"), timeout=5)).get("pid")})
    except grpc.RpcError as e:
        emit({"ch": i, "pid": None, "error": e.code().name})
    watch = channel.unary_stream("/grpc.health.v1.Health/Watch", request_serializer=None, response_deserializer=None)
    stream = watch(b"")
    try:
        for message in stream:
            emit({"ch": i, "status": serving_status(message)})
        emit({"ch": i, "end": stream.code().name})
    except grpc.RpcError as e:
        emit({"ch": i, "end": e.code().name, "details": e.details()})
    channel.close()


def main():
    target, n, seconds = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    threads = [threading.Thread(target=run, args=(target, i), daemon=True) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(seconds)


if __name__ == "__main__":
    main()
