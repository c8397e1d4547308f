/**
 * The gRPC suite (grpc-suite.ts) against the real server on every runtime × back end; gRPC over
 * TLS on the socket back ends, the ones with TLS.
 *
 * Needs dist/hello-server.js (`npm run build`). TEST_RUNTIMES=bun,node narrows the runtimes.
 */
import { afterAll, describe } from "bun:test";
import { assertBundle, selectedRuntimes, stopAll } from "../helpers/server.ts";
import { addGrpcTests } from "./grpc-suite.ts";

assertBundle();
afterAll(stopAll);

for (const runtime of selectedRuntimes()) {
  describe(`${runtime.label}: gRPC`, () => addGrpcTests(runtime));
}
