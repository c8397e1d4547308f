"""Decodes hello-server's gRPC messages with Debian's python3-protobuf, the message types built at
run time from descriptors (health.proto's and docs/hello.proto's, written out here), so no protoc
and no generated code. Reads one JSON object per line on stdin, {"type": ..., "hex": ...}; writes
one JSON line each: the decoded message as protobuf's json_format gives it, or {"error": ...}.
With "encode", a line {"type": ..., "json": {...}} is encoded instead, and its hex written."""
import json
import sys

from google.protobuf import descriptor_pb2, descriptor_pool, json_format, message_factory

F = descriptor_pb2.FieldDescriptorProto


def field(msg, name, number, kind, label=F.LABEL_OPTIONAL, type_name=None):
    f = msg.field.add(name=name, number=number, type=kind, label=label)
    if type_name:
        f.type_name = type_name


def build():
    pool = descriptor_pool.DescriptorPool()
    health = descriptor_pb2.FileDescriptorProto(name="health.proto", package="grpc.health.v1", syntax="proto3")
    req = health.message_type.add(name="HealthCheckRequest")
    field(req, "service", 1, F.TYPE_STRING)
    res = health.message_type.add(name="HealthCheckResponse")
    enum = res.enum_type.add(name="ServingStatus")
    for i, n in enumerate(["UNKNOWN", "SERVING", "NOT_SERVING", "SERVICE_UNKNOWN"]):
        enum.value.add(name=n, number=i)
    field(res, "status", 1, F.TYPE_ENUM, type_name=".grpc.health.v1.HealthCheckResponse.ServingStatus")
    pool.Add(health)

    hello = descriptor_pb2.FileDescriptorProto(name="hello.proto", package="hello.v1", syntax="proto3")
    er = hello.message_type.add(name="EchoRequest")
    field(er, "message", 1, F.TYPE_BYTES)
    md = hello.message_type.add(name="Metadata")
    field(md, "key", 1, F.TYPE_STRING)
    field(md, "value", 2, F.TYPE_STRING)
    rep = hello.message_type.add(name="EchoReply")
    field(rep, "message", 1, F.TYPE_BYTES)
    field(rep, "metadata", 2, F.TYPE_MESSAGE, F.LABEL_REPEATED, ".hello.v1.Metadata")
    for number, name in enumerate(["peer", "authority", "protocol", "hostname", "pod", "namespace", "node"], start=3):
        field(rep, name, number, F.TYPE_STRING)
    field(rep, "pid", 10, F.TYPE_UINT32)
    field(rep, "runtime", 11, F.TYPE_STRING)
    field(rep, "io", 12, F.TYPE_STRING)
    pool.Add(hello)

    names = ["grpc.health.v1.HealthCheckRequest", "grpc.health.v1.HealthCheckResponse", "hello.v1.EchoRequest", "hello.v1.Metadata", "hello.v1.EchoReply"]
    # GetMessageClass arrived in protobuf 4.22; Debian's 4.21 has MessageFactory.GetPrototype.
    get = getattr(message_factory, "GetMessageClass", None) or message_factory.MessageFactory(pool).GetPrototype
    return {n: get(pool.FindMessageTypeByName(n)) for n in names}


def main():
    types = build()
    for line in sys.stdin:
        if not line.strip():
            continue
        job = json.loads(line)
        cls = types[job["type"]]
        try:
            if "json" in job:
                msg = json_format.ParseDict(job["json"], cls())
                out = {"hex": msg.SerializeToString().hex()}
            else:
                msg = cls()
                msg.ParseFromString(bytes.fromhex(job["hex"]))
                out = json_format.MessageToDict(msg, preserving_proto_field_name=True)
        except Exception as e:  # the test compares the refusal, not its wording
            out = {"error": type(e).__name__}
        print(json.dumps(out), flush=True)


main()
