/**
 * The differential fuzzer's inputs over TCP, through a real runtime and back
 * end: each input in one write on a fresh connection must get exactly the
 * bytes the core answers in-process (the Date value aside), and the FIN when
 * the core ends the connection. The in-process run (test/differential/)
 * proves the core against llhttp; this proves every back end is the core.
 */
import { test } from "bun:test";
import { Generator } from "../differential/generate.ts";
import { helloOutput } from "../differential/hello.ts";
import { RawClient } from "../helpers/raw-client.ts";
import { takenByHttp2 } from "./conformance-suite.ts";
import type { RunningServer } from "../helpers/server.ts";

const SEED = 0x7c9;
const COUNT = 300;
const PARALLEL = 12;
const WAIT_MS = 4000;
const latin1 = new TextDecoder("latin1");
/** The only field whose value may differ between two runs of the same bytes. */
const maskDate = (s: string): string => s.replace(/\r\nDate: [^\r]*/g, "\r\nDate: -");

interface TcpCase {
  index: number;
  input: Uint8Array;
  expected: string;
  ended: boolean;
}

function tcpCases(): TcpCase[] {
  const gen = new Generator(SEED);
  const out: TcpCase[] = [];
  for (let i = 0; out.length < COUNT; i++) {
    const input = gen.input(i).bytes;
    // 100 Continue depends on whether the body arrived in the same read, which TCP does not promise.
    if (/100-continue/i.test(latin1.decode(input))) continue;
    // The core in-process (and the peers test/differential compares it with) answers an h2c upgrade as
    // HTTP/1.1; the default server switches to HTTP/2 (101), which test/server/h2-suite checks.
    if (takenByHttp2(input)) continue;
    const { bytes, ended } = helloOutput(input);
    // An input the core still waits on would wait for the header timeout here; the core run covers it.
    if (!ended && bytes.length === 0) continue;
    out.push({ index: i, input, expected: maskDate(latin1.decode(bytes)), ended });
  }
  return out;
}

async function runOne(c: TcpCase, port: number): Promise<string | null> {
  const client = await RawClient.connect(port);
  try {
    client.write(c.input);
    await client.waitFor(() => client.received().length >= c.expected.length && (!c.ended || client.ended), "the core's answer", WAIT_MS).catch(() => {});
    const got = maskDate(latin1.decode(client.received()));
    if (got !== c.expected) return `input #${c.index}: got ${JSON.stringify(got.slice(0, 300))}, the core answers ${JSON.stringify(c.expected.slice(0, 300))}`;
    if (c.ended !== client.ended) return `input #${c.index}: connection ${client.ended ? "closed" : "left open"}, the core ${c.ended ? "closes it" : "keeps it"}`;
    return null;
  } finally {
    client.destroy();
  }
}

export function addDifferentialTcpTests(server: () => Promise<RunningServer>): void {
  test(`${COUNT} fuzzed inputs over TCP get the core's exact answers`, async () => {
    const { port } = await server();
    const cases = tcpCases();
    const problems: string[] = [];
    for (let i = 0; i < cases.length; i += PARALLEL) {
      const results = await Promise.all(cases.slice(i, i + PARALLEL).map((c) => runOne(c, port)));
      for (const r of results) if (r !== null) problems.push(r);
    }
    if (problems.length > 0) throw new Error(`${problems.length} of ${cases.length} differ:\n${problems.slice(0, 5).join("\n")}`);
  }, 60_000);
}
