/**
 * The conformance cases of test/conformance/*.txt, sent over TCP to a real
 * server: each case in one write on a fresh connection. A case that closes
 * must end with the server's FIN, and a new connection right after must be
 * served; a case that keeps the connection must answer one more request on it.
 */
import { test } from "bun:test";
import { checkOutcome, loadConformanceCases, noBodyPlan, type ConformanceCase, type ExpectedResponse } from "../helpers/conformance.ts";
import { GET, RawClient, request } from "../helpers/raw-client.ts";
import type { RunningServer } from "../helpers/server.ts";

/** Bound on each wait; the slowest case (a 1 MiB body) takes milliseconds. */
const WAIT_MS = 4000;
const PROBE: ExpectedResponse = { statuses: [200], optional: false, noBody: false };

export async function runCaseOnServer(c: ConformanceCase, port: number): Promise<string[]> {
  const client = await RawClient.connect(port);
  try {
    client.write(c.input);
    if (c.close) {
      await client.waitEnd(WAIT_MS).catch(() => {});
      const problems = checkOutcome(c, client.received(), client.ended);
      // The process keeps serving everyone else.
      const [after] = await request(port, GET);
      if (after?.status !== 200) problems.push(`a new connection right after got ${after?.status}`);
      return problems;
    }
    const withProbe: ConformanceCase = { ...c, responses: [...c.responses, PROBE] };
    const noBody = noBodyPlan(withProbe.responses);
    const finals = c.responses.filter((r) => !r.optional).length;
    await client.waitResponses(finals, { noBody, timeoutMs: WAIT_MS }).catch(() => {});
    // Still open: one more request on the same connection is answered.
    if (!client.ended) {
      client.write(GET);
      await client.waitResponses(finals + 1, { noBody, timeoutMs: WAIT_MS }).catch(() => {});
    }
    return checkOutcome(withProbe, client.received(), client.ended);
  } finally {
    client.destroy();
  }
}

/** Registers one test per case; `server` is shared by all of them. */
export function addConformanceTests(server: () => Promise<RunningServer>): void {
  for (const c of loadConformanceCases()) {
    test.concurrent(`${c.name} ${c.title}`, async () => {
      const { port } = await server();
      const problems = await runCaseOnServer(c, port);
      if (problems.length > 0) throw new Error(problems.join("; "));
    });
  }
}
