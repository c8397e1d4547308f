/**
 * hello-server's side of the differential fuzzer: the real HTTP core
 * (src/http/, the same Connection every back end drives) on a recording
 * transport, fed one byte per read so each decision's byte offset is exact:
 * a head ends on the byte after which the connection enters a body phase or
 * answers, a message on the byte after which it answers. The same input is
 * also fed whole and in random splits; the answers must not depend on how
 * the bytes arrive (a core that frames differently per split is a finding).
 */
import { ParseError, type ParseErrorKind } from "../../src/http/constants.ts";
import { Phase } from "../../src/http/connection.ts";
import { CoreHarness, FakeClient, testConfig } from "../helpers/fake-transport.ts";
import { End, type Verdict } from "./verdict.ts";

const harness = new CoreHarness(testConfig());
const STATUS_OF = new Map<number, ParseErrorKind[]>();
for (const [kind, status] of Object.entries(ParseError) as Array<[ParseErrorKind, number]>) {
  STATUS_OF.set(status, [...(STATUS_OF.get(status) ?? []), kind]);
}

/** Status code of one response's bytes ("HTTP/1.1 NNN "). */
function statusOf(w: Uint8Array): number {
  return (w[9]! - 48) * 100 + (w[10]! - 48) * 10 + (w[11]! - 48);
}

/** The verdict of the core, one byte per read. */
export function helloVerdict(input: Uint8Array): Verdict {
  const client = new FakeClient(harness.core);
  const conn = client.conn;
  const m: Array<[number, number]> = [];
  let head = -1;
  const v: Verdict = { m, end: End.COMPLETE };
  const one = new Uint8Array(1);
  for (let i = 0; i < input.length; i++) {
    one[0] = input[i]!;
    const writes = client.feed(one);
    if (head === -1 && (conn.phase === Phase.BODY_LENGTH || conn.phase === Phase.BODY_CHUNKED)) head = i + 1;
    if (writes === 0) continue;
    const w = client.transport.writes[client.transport.writes.length - 1]!;
    const status = statusOf(w);
    if (status === 100) continue;
    if (status >= 400) {
      v.end = End.REFUSED;
      v.at = i;
      v.status = status;
      v.code = conn.refusedWith ?? String(status);
      break;
    }
    m.push([head === -1 ? i + 1 : head, i + 1]);
    head = -1;
    if (conn.phase >= Phase.CLOSING) {
      v.end = End.CLOSED;
      break;
    }
  }
  if (v.end === End.COMPLETE && !conn.idle) {
    v.end = End.INCOMPLETE;
    if (head !== -1) v.head = head;
  }
  if (!client.transport.closed) conn.abort();
  return v;
}

/** Statuses answered and whether the connection ended, for one way of splitting the input into reads. */
export function helloAnswers(input: Uint8Array, cuts: readonly number[]): string {
  const client = new FakeClient(harness.core);
  let from = 0;
  for (const cut of [...cuts, input.length]) {
    if (cut > from) client.feed(input.subarray(from, cut));
    from = cut;
    if (client.transport.ended) break;
  }
  const statuses: number[] = [];
  for (const w of client.transport.writes) {
    // One write may hold a pipeline's answers: walk them by their fixed shape.
    let text = new TextDecoder("latin1").decode(w);
    for (let k = text.indexOf("HTTP/1.1 "); k !== -1; k = text.indexOf("HTTP/1.1 ", k + 1)) statuses.push(Number(text.slice(k + 9, k + 12)));
  }
  const ended = client.transport.ended;
  if (!client.transport.closed) client.conn.abort();
  return `${statuses.join(" ")} ${ended ? "ended" : "open"}`;
}

/** The hello-server error kinds that answer with `status` (for naming a refusal). */
export function kindsFor(status: number): readonly ParseErrorKind[] {
  return STATUS_OF.get(status) ?? [];
}

/** Every byte the core answers to `input` fed whole, and whether it ends the connection. */
export function helloOutput(input: Uint8Array): { bytes: Uint8Array; ended: boolean } {
  const client = new FakeClient(harness.core);
  client.feed(input);
  const bytes = client.transport.received();
  const ended = client.transport.ended;
  if (!client.transport.closed) client.conn.abort();
  return { bytes, ended };
}
