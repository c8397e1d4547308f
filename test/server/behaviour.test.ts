/**
 * The real server under each runtime (bun, deno, node), as child processes
 * on free ports: one behavioural suite and every conformance case, per
 * runtime. The runtimes' tests run concurrently; each runtime shares one
 * default server, and tests needing other flags start their own.
 *
 * Needs dist/hello-server.js (`npm run build`; `npm test` builds first).
 * TEST_RUNTIMES=bun,node narrows the runtimes for a quick local loop.
 */
import { afterAll, describe } from "bun:test";
import { assertBundle, selectedRuntimes, startServer, stopAll, type RunningServer } from "../helpers/server.ts";
import { addBehaviourTests } from "./behaviour-suite.ts";
import { addConformanceTests } from "./conformance-suite.ts";
import { addDifferentialTcpTests } from "./differential-suite.ts";
import { addWatchTests } from "./watch-suite.ts";

assertBundle();
afterAll(stopAll);

for (const runtime of selectedRuntimes()) {
  let shared: Promise<RunningServer> | undefined;
  const server = (): Promise<RunningServer> => (shared ??= startServer(runtime));
  // HTTP/1.1 only: the conformance inputs a default server hands to HTTP/2 (see conformance-suite.ts).
  let http1: Promise<RunningServer> | undefined;
  const http1Only = (): Promise<RunningServer> => (http1 ??= startServer(runtime, ["--http2", "off"]));
  describe(runtime.label, () => {
    describe("behaviour", () => addBehaviourTests(runtime, server));
    describe("conformance over TCP", () => addConformanceTests(server, http1Only));
    describe("differential inputs over TCP", () => addDifferentialTcpTests(server));
    describe("watch: echo, X-Served-By, metrics", () => addWatchTests(runtime));
  });
}
