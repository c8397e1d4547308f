/**
 * `@grpc/grpc-js` as a gRPC server, the comparison's gRPC peer on Node and
 * on Bun: `grpc.health.v1.Health/Check` answers SERVING for any request,
 * as hello-server's health service does. The method is declared by hand
 * with identity (de)serializers, so no .proto is loaded and no protobuf
 * library runs: the request's bytes are taken as they are and the answer
 * is the pre-encoded HealthCheckResponse, which leaves grpc-js's own cost
 * (HTTP/2 through node:http2, framing, metadata, status trailers) as what
 * is measured. Any other method is UNIMPLEMENTED (12), grpc-js's default.
 *
 * Usage: node grpc-js.cjs [--port 0] [--host 127.0.0.1]   (bun grpc-js.cjs alike)
 * (bundled with esbuild as CommonJS first: node 20 cannot run .ts, and
 * grpc-js require()s node's builtins, which an ESM bundle cannot).
 * Prints `grpc-js listening on http://HOST:PORT (pid N)` on stderr.
 */
import * as grpc from "@grpc/grpc-js";
import { parseNativeArgs } from "./args.ts";

const args = parseNativeArgs(process.argv.slice(2));
// h2c only: the comparison's grpc scenario is unary Check over h2c, on one server core.
if (args.workers !== 1 || args.tlsCert !== null) throw new Error("grpc-js: one process, h2c only");

/** HealthCheckResponse { status (field 1, varint) = SERVING (1) }, without gRPC's 5-byte prefix (grpc-js adds it). */
const SERVING = Buffer.from([0x08, 0x01]);
const same = (b: Buffer): Buffer => b;

const HEALTH: grpc.ServiceDefinition = {
  Check: {
    path: "/grpc.health.v1.Health/Check",
    requestStream: false,
    responseStream: false,
    requestSerialize: same,
    requestDeserialize: same,
    responseSerialize: same,
    responseDeserialize: same,
  },
};

const server = new grpc.Server();
server.addService(HEALTH, {
  Check: (_call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) => done(null, SERVING),
});
server.bindAsync(`${args.host}:${args.port}`, grpc.ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  console.error(`grpc-js listening on http://${args.host}:${port} (pid ${process.pid})`);
});
