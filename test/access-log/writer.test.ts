/**
 * The access log's pure pieces: the two line formats (combined + duration + pid; JSON with
 * fixed field names), escaping that keeps a line one line, the 4 KiB bound; and the writer:
 * lines of one turn packed into writes of at most 4 KiB of whole lines, one write in flight,
 * a bounded buffer whose overflow is dropped and counted, and a real pipe whose reader stops
 * reading: serving (the event loop) goes on and the drops are counted.
 */
import { expect, test } from "bun:test";
import { execFileSync } from "node:child_process";
import { closeSync, constants, mkdtempSync, openSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { formatAccessLine, MAX_LINE_BYTES, type AccessRecord } from "../../src/access-log/format.ts";
import { AccessLogWriter, fdSink, type AccessSink, type DirectSink } from "../../src/access-log/writer.ts";
import { AccessEntry, describeRequest } from "../../src/access-log/log.ts";
import type { Transport } from "../../src/contract/socket.ts";
import { Http1Request } from "../../src/http/exchange-request.ts";
import { parseHead, RequestHead } from "../../src/http/head.ts";

const RECORD: AccessRecord = {
  time: Date.UTC(2026, 11, 7, 18, 44, 28, 123),
  client: { address: "127.0.0.1", port: 51234 },
  method: "GET",
  target: "/a?b=1",
  protocol: "HTTP/1.1",
  status: 200,
  bytes: 5,
  referer: null,
  userAgent: 'curl/8 "x"',
  forwardedFor: "10.0.0.1",
  requestId: null,
  durationUs: 123.4,
  pid: 4242,
  streamId: 0,
  refused: null,
  fault: null,
  ws: null,
};

test("text: the combined log format, then duration µs and pid, then the optional fields; quotes and control bytes escaped", () => {
  expect(formatAccessLine("text", RECORD)).toBe(
    '127.0.0.1:51234 - - [07/Dec/2026:18:44:28 +0000] "GET /a?b=1 HTTP/1.1" 200 5 "-" "curl/8 \\x22x\\x22" 123 4242 xff="10.0.0.1"',
  );
  const refused = formatAccessLine("text", { ...RECORD, client: { address: "::1", port: 7 }, target: "/\n", status: 431, refused: "headers_too_large", forwardedFor: null, userAgent: null });
  expect(refused).toBe('[::1]:7 - - [07/Dec/2026:18:44:28 +0000] "GET /\\x0A HTTP/1.1" 431 5 "-" "-" 123 4242 refused=headers_too_large');
  expect(formatAccessLine("text", { ...RECORD, forwardedFor: null, userAgent: null, streamId: 3, fault: "error", ws: { received: 2, sent: 2 } })).toEndWith(
    " 123 4242 stream=3 fault=error ws_received=2 ws_sent=2",
  );
});

test("json: every field always present under its fixed name, null when absent", () => {
  const o = JSON.parse(formatAccessLine("json", RECORD));
  expect(o).toEqual({
    time: "2026-12-07T18:44:28.123Z", client: "127.0.0.1:51234", method: "GET", target: "/a?b=1", protocol: "HTTP/1.1", status: 200, bytes: 5,
    referer: null, user_agent: 'curl/8 "x"', forwarded_for: "10.0.0.1", request_id: null, duration_us: 123, pid: 4242,
    stream_id: null, refused: null, fault: null, grpc_status: null, ws_received: null, ws_sent: null,
  });
});

test("a line never exceeds 4 KiB with its newline, however long the target and fields", () => {
  for (const format of ["text", "json"] as const) {
    for (const ch of ["a", "\u0001", "é", "\u{1F600}"]) {
      const big = { ...RECORD, target: "/" + ch.repeat(20_000), userAgent: ch.repeat(5000), referer: ch.repeat(5000), forwardedFor: ch.repeat(5000), requestId: ch.repeat(5000) };
      const line = formatAccessLine(format, big);
      expect(new TextEncoder().encode(line + "\n").length).toBeLessThanOrEqual(MAX_LINE_BYTES);
      expect(line).not.toContain("\n");
    }
  }
});

/** A sink that records writes and completes them when told. */
function heldSink(): { sink: AccessSink; writes: Uint8Array[]; complete(): void } {
  const writes: Uint8Array[] = [];
  const pending: Array<() => void> = [];
  return {
    sink: (bytes, done) => {
      writes.push(bytes.slice());
      pending.push(() => done(null, bytes.length));
    },
    writes,
    complete: () => pending.shift()?.(),
  };
}

const turn = () => new Promise<void>((r) => setImmediate(r));

test("one turn's lines go out together in writes of whole lines, at most 4 KiB each, one in flight; overflow dropped and counted", async () => {
  const s = heldSink();
  const w = new AccessLogWriter(s.sink, 10_000);
  const line = "x".repeat(999); // 1000 bytes with its newline
  for (let i = 0; i < 9; i++) w.add(line);
  expect(s.writes.length).toBe(0); // nothing during the turn
  await turn();
  expect(s.writes.map((b) => b.length)).toEqual([4000]); // four whole lines; the rest waits for the write
  for (let i = 0; i < 9; i++) w.add(line); // 5000 waiting + 9000 > 10,000: 5 fit, 4 dropped
  expect([w.buffered, w.dropped]).toEqual([10_000, 4]);
  for (let k = 0; k < 4; k++) {
    s.complete();
    await turn();
  }
  expect(s.writes.map((b) => b.length)).toEqual([4000, 4000, 4000, 2000]);
  const text = new TextDecoder().decode(Buffer.concat(s.writes));
  expect(text.split("\n").filter(Boolean).every((l) => l === line)).toBe(true);
  expect(w.buffered).toBe(0);
});

test("a reader that stops reading: the event loop keeps turning, lines beyond the bound are dropped and counted", async () => {
  // A FIFO whose read end is open and never read: it fills (64 KiB), then every write waits.
  const dir = mkdtempSync(join(tmpdir(), "access-log-"));
  const fifo = join(dir, "fifo");
  execFileSync("mkfifo", [fifo]);
  const reader = openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK);
  const fd = openSync(fifo, constants.O_WRONLY);
  try {
    const w = new AccessLogWriter(fdSink(fd), 64 * 1024);
    const line = "y".repeat(199);
    let turns = 0;
    const t0 = performance.now();
    // 2,000 turns of 10 lines (4 MB): far more than the pipe and the buffer hold.
    while (turns < 2000) {
      for (let i = 0; i < 10; i++) w.add(line);
      await turn();
      turns++;
    }
    expect(turns).toBe(2000);
    expect(performance.now() - t0).toBeLessThan(10_000);
    // The pipe took at most 64 KiB, the write in flight 4 KiB, the buffer holds at most 64 KiB: the rest was dropped, counted.
    expect(w.dropped).toBeGreaterThanOrEqual(20_000 - (132 * 1024) / 200);
    expect(w.buffered).toBeLessThanOrEqual(64 * 1024);
  } finally {
    // Closing the read end fails the write in flight (EPIPE): its callback runs and the writer stops.
    closeSync(reader);
    await turn();
    closeSync(fd);
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a descriptor written directly: one turn's lines in whole-line writes of at most 4 KiB; when it would block, one asynchronous write takes over, in order", async () => {
  const direct: Array<[number, number]> = [];
  const later: Uint8Array[] = [];
  const pending: Array<() => void> = [];
  let full = false;
  const sink: DirectSink = {
    now: (bytes, start, end) => {
      if (full) return -1;
      direct.push([start, end]);
      return end - start;
    },
    later: (bytes, done) => {
      later.push(bytes.slice());
      pending.push(() => done(null, bytes.length));
    },
    atomic: MAX_LINE_BYTES,
  };
  const w = new AccessLogWriter(sink, 100_000);
  const line = "z".repeat(999);
  for (let i = 0; i < 9; i++) w.add(line);
  expect(direct.length).toBe(0);
  await turn();
  expect(direct.map(([s, e]) => e - s)).toEqual([4000, 4000, 1000]);
  full = true;
  for (let i = 0; i < 5; i++) w.add(`${i}`.repeat(999));
  await turn();
  // The first chunk went to the blocking write; the rest waits behind it, none written directly.
  expect([later.length, later[0]!.length, w.buffered]).toEqual([1, 4000, 1000]);
  full = false;
  pending.shift()!();
  expect(direct.length).toBe(4);
  expect(w.buffered).toBe(0);
  expect(new TextDecoder().decode(later[0]!).split("\n").filter(Boolean).map((l) => l[0])).toEqual(["0", "1", "2", "3"]);
});

test("one walk of an HTTP/1 head reads the four fields, names in any case, repeated lines joined as fields.get joins them", () => {
  const head = new TextEncoder().encode(
    "GET /x HTTP/1.1\r\nHost: a\r\nUSER-AGENT:  curl/8 \r\nX-Forwarded-For: 10.0.0.1\r\nx-forwarded-for: 10.0.0.2\r\nReferer: http://r/\r\nX-Request-Idx: no\r\nX-Request-Id: r-1\r\n\r\n",
  );
  const parsed = new RequestHead();
  parseHead(head, 0, head.length, parsed, 8192, 1 << 20);
  expect(parsed.error).toBeNull();
  const request = new Http1Request(parsed).point(head, 0, head.length, { remoteAddress: () => ({ address: "::1", port: 9 }) } as unknown as Transport);
  const e = new AccessEntry(0);
  describeRequest(e, request);
  expect([e.method, e.target, e.protocol, e.client]).toEqual(["GET", "/x", "HTTP/1.1", { address: "::1", port: 9 }]);
  const fromGet = ["referer", "user-agent", "x-forwarded-for", "x-request-id"].map((n) => request.get(n));
  expect([e.referer, e.userAgent, e.forwardedFor, e.requestId]).toEqual(fromGet);
  expect(fromGet).toEqual(["http://r/", "curl/8", "10.0.0.1, 10.0.0.2", "r-1"]);
});

test("the process's exit writes the lines of its last turn (a child that logs, then exits before another turn)", () => {
  const child = `
    import { AccessLog } from ${JSON.stringify(new URL("../../src/access-log/log.ts", import.meta.url).pathname)};
    import { openAccessLog } from ${JSON.stringify(new URL("../../src/access-log/output.ts", import.meta.url).pathname)};
    import { AccessEntry } from ${JSON.stringify(new URL("../../src/access-log/log.ts", import.meta.url).pathname)};
    const log = openAccessLog("text", {});
    for (let i = 0; i < 100; i++) { const e = new AccessEntry(performance.now()); e.target = "/" + i; log.add(e); }
    process.exit(0);
  `;
  const out = execFileSync(process.execPath, ["-e", child], { encoding: "utf8", timeout: 10_000 });
  const lines = out.split("\n").filter(Boolean);
  expect(lines.length).toBe(100);
  expect(lines[99]).toContain('"- /99 -"');
});
