/**
 * The HTTP/2 suite (h2-suite.ts) against the real server on every runtime × back end; https with
 * ALPN on the socket back ends, the ones with TLS.
 *
 * Needs dist/hello-server.js (`npm run build`). TEST_RUNTIMES=bun,node narrows the runtimes.
 */
import { afterAll, describe } from "bun:test";
import { assertBundle, selectedRuntimes, stopAll } from "../helpers/server.ts";
import { addHttp2Tests } from "./h2-suite.ts";

assertBundle();
afterAll(stopAll);

for (const runtime of selectedRuntimes()) {
  describe(`${runtime.label}: HTTP/2`, () => addHttp2Tests(runtime));
}
