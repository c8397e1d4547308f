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
 * With --tls-cert/--tls-key it serves gRPC over TLS (h2 by ALPN, grpc-js's
 * ServerCredentials.createSsl), compare's grpc-tls peer.
 *
 * Usage: node grpc-js.cjs [--port 0] [--host 127.0.0.1] [--tls-cert F --tls-key F]   (bun grpc-js.cjs alike)
 * (bundled with esbuild as CommonJS first: node 20 cannot run .ts, and
 * grpc-js require()s node's builtins, which an ESM bundle cannot).
 * Prints `grpc-js listening on http://HOST:PORT (pid N)` on stderr.
 */
import * as grpc from "@grpc/grpc-js";
import { readFileSync } from "node:fs";
import { parseNativeArgs } from "./args.ts";

const args = parseNativeArgs(process.argv.slice(2));
// One process: the comparison's gRPC scenarios run on one server core.
if (args.workers !== 1) throw new Error("grpc-js: one process only");

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
const tls = args.tlsCert !== null && args.tlsKey !== null;
const credentials = tls
  ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: readFileSync(args.tlsCert!), private_key: readFileSync(args.tlsKey!) }], false)
  : grpc.ServerCredentials.createInsecure();
server.bindAsync(`${args.host}:${args.port}`, credentials, (error, port) => {
  if (error) throw error;
  console.error(`grpc-js listening on ${tls ? "https" : "http"}://${args.host}:${port} (pid ${process.pid})`);
});
