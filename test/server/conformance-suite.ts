/**
 * The conformance cases of test/conformance/*.txt, sent over TCP to a real
 * server: each case in one write on a fresh connection. A case that closes
 * must end with the server's FIN, and a new connection right after must be
 * served; a case that keeps the connection must answer one more request on it.
 *
 * The data is HTTP/1.1 (the core in-process speaks nothing else). The few
 * inputs a default server hands to HTTP/2 (the client preface, an h2c
 * upgrade) run on a server with `--http2 off`, where the data's HTTP/1.1
 * answer still holds; what the default server does with them instead is
 * the HTTP2_SWITCH table below.
 */
import { test } from "bun:test";
import { ErrorCode, FrameType } from "../../src/http2/constants.ts";
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
      const problems = withSocketError(checkOutcome(c, client.received(), client.ended), client);
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
    return withSocketError(checkOutcome(withProbe, client.received(), client.ended), client);
  } finally {
    client.destroy();
  }
}

/** A failed case says whether the socket saw an error (a reset reads as "closed" otherwise). */
function withSocketError(problems: string[], client: RawClient): string[] {
  if (problems.length > 0 && client.error !== null) problems.push(`socket error: ${client.error.message}`);
  return problems;
}

const latin1 = new TextDecoder("latin1");
const PREFACE = "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n";

/**
 * Inputs the HTTP/2 switch takes under the default `--http2 on`: a connection that starts like the
 * client preface (RFC 9113 §3.4), or a request asking to upgrade to h2c (RFC 7540 §3.2).
 */
export function takenByHttp2(input: Uint8Array): boolean {
  const text = latin1.decode(input);
  return text.startsWith("PRI * HTTP/2.0") || /\r\nupgrade:[ \t]*h2c[ \t]*\r\n/i.test(text);
}

/** The default server on the inputs it switches to HTTP/2: what the first bytes back must be. */
interface SwitchCase {
  readonly title: string;
  readonly input: string;
  /** The reply starts with this HTTP/1.1 status line (the upgrade's 101), then frames; "" = frames at once. */
  readonly statusLine: string;
  /** The first frames' types, in order (the server's SETTINGS first, §3.4). */
  readonly frames: readonly number[];
  /** The GOAWAY's error code when one is expected, and that the server then closes. */
  readonly goAway: number | null;
}

const HTTP2_SWITCH: readonly SwitchCase[] = [
  { title: "the client preface gets the server's SETTINGS (RFC 9113 §3.4)", input: PREFACE, statusLine: "", frames: [FrameType.SETTINGS], goAway: null },
  {
    title: "the preface and an empty SETTINGS: SETTINGS, then its ACK (§6.5.3)",
    input: `${PREFACE}\x00\x00\x00\x04\x00\x00\x00\x00\x00`,
    statusLine: "",
    frames: [FrameType.SETTINGS, FrameType.SETTINGS],
    goAway: null,
  },
  {
    title: "a broken preface: SETTINGS, GOAWAY PROTOCOL_ERROR and close (§3.4)",
    input: "PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n",
    statusLine: "",
    frames: [FrameType.SETTINGS, FrameType.GOAWAY],
    goAway: ErrorCode.PROTOCOL_ERROR,
  },
  {
    title: "an h2c upgrade: 101, then the server's SETTINGS",
    input: "GET / HTTP/1.1\r\nHost: a\r\nConnection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n",
    statusLine: "HTTP/1.1 101 Switching Protocols\r\n",
    frames: [FrameType.SETTINGS],
    goAway: null,
  },
];

/** Frame types (and a GOAWAY's error code) found in `bytes` from `at` on, as far as whole frame headers go. */
function frameTypes(bytes: Uint8Array, at: number): { types: number[]; goAway: number | null } {
  const types: number[] = [];
  let goAway: number | null = null;
  while (at + 9 <= bytes.length) {
    const length = (bytes[at]! << 16) | (bytes[at + 1]! << 8) | bytes[at + 2]!;
    const type = bytes[at + 3]!;
    types.push(type);
    // GOAWAY's payload: last stream id (4 octets), then the error code (4 octets) (§6.8).
    if (type === FrameType.GOAWAY && at + 17 <= bytes.length) goAway = new DataView(bytes.buffer, bytes.byteOffset + at + 13, 4).getUint32(0);
    at += 9 + length;
  }
  return { types, goAway };
}

async function runSwitchCase(c: SwitchCase, port: number): Promise<string[]> {
  const client = await RawClient.connect(port);
  try {
    client.write(Uint8Array.from(c.input, (ch) => ch.charCodeAt(0)));
    const headEnd = (): number => (c.statusLine === "" ? 0 : latin1.decode(client.received()).indexOf("\r\n\r\n") + 4);
    const done = (): boolean => {
      const at = headEnd();
      if (at < 4 && c.statusLine !== "") return false;
      const seen = frameTypes(client.received(), at);
      return seen.types.length >= c.frames.length && (c.goAway === null || client.ended);
    };
    await client.waitFor(done, "the HTTP/2 switch's answer", WAIT_MS).catch(() => {});
    const problems: string[] = [];
    const got = client.received();
    if (!latin1.decode(got).startsWith(c.statusLine)) problems.push(`expected ${JSON.stringify(c.statusLine)} first, got ${JSON.stringify(latin1.decode(got.subarray(0, 40)))}`);
    const seen = frameTypes(got, headEnd());
    const first = seen.types.slice(0, c.frames.length);
    if (first.join() !== c.frames.join()) problems.push(`frame types ${first.join(",") || "none"}, expected ${c.frames.join(",")}`);
    if (c.goAway !== null && seen.goAway !== c.goAway) problems.push(`GOAWAY error ${seen.goAway}, expected ${c.goAway}`);
    if (c.goAway !== null && !client.ended) problems.push("the connection was left open after the GOAWAY");
    return problems;
  } finally {
    client.destroy();
  }
}

/**
 * Registers one test per case: `server` (the default flags) runs every case the HTTP/2 switch does
 * not take, `http1Only` (`--http2 off`) the ones it takes; the default server's switches are checked too.
 */
export function addConformanceTests(server: () => Promise<RunningServer>, http1Only: () => Promise<RunningServer>): void {
  for (const c of loadConformanceCases()) {
    const h2 = takenByHttp2(c.input);
    test.concurrent(`${c.name} ${c.title}${h2 ? " (--http2 off)" : ""}`, async () => {
      const { port } = await (h2 ? http1Only() : server());
      const problems = await runCaseOnServer(c, port);
      if (problems.length > 0) throw new Error(problems.join("; "));
    });
  }
  for (const c of HTTP2_SWITCH) {
    test.concurrent(`HTTP/2 switch (default flags): ${c.title}`, async () => {
      const { port } = await server();
      const problems = await runSwitchCase(c, port);
      if (problems.length > 0) throw new Error(problems.join("; "));
    });
  }
}
