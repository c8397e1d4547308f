/**
 * Steering (steer-suite.ts: per-request control, deferred answers, faults, run-time state and
 * its admin listener) against the real server under each runtime and back end, as child
 * processes on free ports. A file of its own, like cluster.test.ts, so its servers do not run
 * alongside the behaviour suite's on a small machine.
 *
 * Needs dist/hello-server.js and ./hello-server (`npm run build`; `npm test` builds first).
 * TEST_RUNTIMES=bun,node narrows the runtimes for a quick local loop.
 */
import { afterAll, describe } from "bun:test";
import { assertBundle, selectedRuntimes, stopAll } from "../helpers/server.ts";
import { addSteerTests } from "./steer-suite.ts";

assertBundle();
afterAll(stopAll);

for (const runtime of selectedRuntimes()) {
  describe(runtime.label, () => addSteerTests(runtime));
}
