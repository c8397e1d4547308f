/**
 * Http2Session beyond single-read cases: the stream state table, flow control,
 * the floods and their budgets, timeouts, the two-step GOAWAY drain,
 * backpressure, deferred and streamed answers, h2c Upgrade.
 */
import { describe, expect, test } from "bun:test";
import { ErrorCode, Flag, FrameType, nextStreamState, SettingId, StreamEvent, StreamState } from "../../src/http2/constants.ts";
import { encodeTrailers } from "../../src/http2/hpack/index.ts";
import { Http2Session } from "../../src/http2/session.ts";
import { DEFAULT_HTTP2_OPTIONS } from "../../src/http2/types.ts";
import { FakeTransport } from "../helpers/fake-transport.ts";
import { block, concat, events, frame, GET, Harness, HELLO_BLOCK, mergeData, parseFrames, preface, settingsPayload, TestApp, u32 } from "./helpers.ts";

const get = (id: number, end = true) => frame(FrameType.HEADERS, Flag.END_HEADERS | (end ? Flag.END_STREAM : 0), id, block(GET));
const rst = (id: number) => frame(FrameType.RST_STREAM, 0, id, u32(ErrorCode.CANCEL));
const ping = (n: number) => frame(FrameType.PING, 0, 0, [0, 0, 0, 0, ...u32(n)]);
const windowUpdate = (id: number, n: number) => frame(FrameType.WINDOW_UPDATE, 0, id, u32(n));

describe("stream states (RFC 9113 §5.1)", () => {
  const S = StreamState;
  const E = StreamEvent;
  test("the table has the figure's arrows and no others", () => {
    const arrows: string[] = [];
    for (const [sn, s] of Object.entries(S)) for (const [en, e] of Object.entries(E)) {
      const next = nextStreamState(s, e);
      if (next !== -1) arrows.push(`${sn} ${en} ${Object.keys(S)[next]}`);
    }
    expect(arrows.sort()).toEqual(
      [
        "IDLE RECV_HEADERS OPEN",
        "OPEN RECV_END_STREAM HALF_CLOSED_REMOTE",
        "OPEN SEND_END_STREAM HALF_CLOSED_LOCAL",
        "OPEN RESET CLOSED",
        "HALF_CLOSED_REMOTE SEND_END_STREAM CLOSED",
        "HALF_CLOSED_REMOTE RESET CLOSED",
        "HALF_CLOSED_LOCAL RECV_END_STREAM CLOSED",
        "HALF_CLOSED_LOCAL RESET CLOSED",
      ].sort(),
    );
  });
});

describe("the server's preface", () => {
  test("SETTINGS first: no RFC 7540 priorities, max streams, window, header list size", () => {
    const h = new Harness({ maxConcurrentStreams: 7, initialWindowSize: 100_000, maxHeaderListSize: 4000 });
    const [settings, wu] = parseFrames(h.transport.received());
    expect(settings!.type).toBe(FrameType.SETTINGS);
    expect(Array.from(settings!.payload)).toEqual(settingsPayload([[9, 1], [3, 7], [4, 100_000], [6, 4000]]));
    // §6.9.2: the connection window is raised with a WINDOW_UPDATE.
    expect(wu!.type).toBe(FrameType.WINDOW_UPDATE);
    expect(new DataView(wu!.payload.buffer).getUint32(0)).toBe(100_000 - 65_535);
  });

  test("all frames of one read go out in one write", () => {
    const h = new Harness();
    const before = h.transport.writes.length;
    h.feed(concat([preface(), get(1), get(3), get(5), ping(1)]));
    expect(h.transport.writes.length - before).toBe(1);
    expect(h.events()).toEqual(["STATUS 1 200", "DATA 1 5 END", "STATUS 3 200", "DATA 3 5 END", "STATUS 5 200", "DATA 5 5 END", "PING_ACK"]);
  });
});

describe("the request the app sees", () => {
  test("pseudo-fields apart, fields in order, the body collected", () => {
    const h = new Harness({ collectBody: true });
    const fields = [...GET, ["cookie", "a=1"], ["cookie", "b=2"], ["content-length", "4"]] as const;
    h.feed(concat([preface(), frame(FrameType.HEADERS, Flag.END_HEADERS, 1, block(fields)), frame(FrameType.DATA, 0, 1, [1, 2]), frame(FrameType.DATA, Flag.END_STREAM, 1, [3, 4])]));
    const req = h.app.requests[0]!;
    expect(req).toMatchObject({ streamId: 1, method: "GET", scheme: "http", path: "/", authority: "a", protocol: "h2", bodyLength: 4 });
    expect(req.fields).toEqual(["cookie", "a=1", "cookie", "b=2", "content-length", "4"]);
    expect(Array.from(req.body!)).toEqual([1, 2, 3, 4]);
  });

  test("without collectBody the body is counted, not kept", () => {
    const h = new Harness();
    h.feed(concat([preface(), get(1, false), frame(FrameType.DATA, Flag.END_STREAM, 1, [1, 2, 3])]));
    expect(h.app.requests[0]!.body).toBeNull();
    expect(h.app.requests[0]!.bodyLength).toBe(3);
  });
});

describe("flow control (§5.2, §6.9)", () => {
  test("DATA stops at the peer's stream window and resumes on WINDOW_UPDATE", () => {
    const h = new Harness({}, false);
    h.feed(concat([preface([[SettingId.INITIAL_WINDOW_SIZE, 10]]), get(1)]));
    h.app.replies[0]!.respond(HELLO_BLOCK, new Uint8Array(25));
    expect(mergeData(h.events())).toEqual(["STATUS 1 200", "DATA 1 10"]);
    h.feed(windowUpdate(1, 10));
    expect(mergeData(h.events())).toEqual(["STATUS 1 200", "DATA 1 20"]);
    h.feed(windowUpdate(1, 100));
    expect(mergeData(h.events())).toEqual(["STATUS 1 200", "DATA 1 25 END"]);
  });

  test("the connection window binds all streams", () => {
    const h = new Harness({}, false);
    h.feed(concat([preface(), get(1), get(3)]));
    h.app.replies[0]!.respond(HELLO_BLOCK, new Uint8Array(40_000));
    h.app.replies[1]!.respond(HELLO_BLOCK, new Uint8Array(40_000));
    const sent = () => mergeData(h.events()).filter((e) => e.startsWith("DATA")).reduce((n, e) => n + Number(e.split(" ")[2]), 0);
    expect(sent()).toBe(65_535);
    h.feed(concat([windowUpdate(0, 100_000), windowUpdate(1, 100_000), windowUpdate(3, 100_000)]));
    expect(sent()).toBe(80_000);
    expect(h.events().filter((e) => e.endsWith("END"))).toHaveLength(2);
  });

  test("DATA frames are cut at the peer's max frame size", () => {
    const h = new Harness({}, false);
    h.feed(concat([preface(), get(1)]));
    h.app.replies[0]!.respond(HELLO_BLOCK, new Uint8Array(40_000));
    expect(h.events().filter((e) => e.startsWith("DATA"))).toEqual(["DATA 1 16384", "DATA 1 16384", "DATA 1 7232 END"]);
  });

  test("§6.9.2: a SETTINGS_INITIAL_WINDOW_SIZE change applies to open streams, down and up", () => {
    const h = new Harness({}, false);
    h.feed(concat([preface([[SettingId.INITIAL_WINDOW_SIZE, 10]]), get(1)]));
    h.app.replies[0]!.respond(HELLO_BLOCK, new Uint8Array(30));
    // Down to 4: the window is now 4 - 10 = -6; nothing more may go.
    h.feed(frame(FrameType.SETTINGS, 0, 0, settingsPayload([[SettingId.INITIAL_WINDOW_SIZE, 4]])));
    h.feed(windowUpdate(1, 6));
    expect(mergeData(h.events())).toEqual(["STATUS 1 200", "DATA 1 10"]);
    h.feed(frame(FrameType.SETTINGS, 0, 0, settingsPayload([[SettingId.INITIAL_WINDOW_SIZE, 24]])));
    expect(mergeData(h.events())).toEqual(["STATUS 1 200", "DATA 1 30 END"]);
  });

  test("§6.9.2: a SETTINGS change that pushes a stream window past 2^31-1 is FLOW_CONTROL_ERROR", () => {
    const h = new Harness({}, false);
    h.feed(concat([preface(), get(1), windowUpdate(1, 2 ** 31 - 1 - 65_535)]));
    h.feed(frame(FrameType.SETTINGS, 0, 0, settingsPayload([[SettingId.INITIAL_WINDOW_SIZE, 65_536]])));
    expect(h.events()).toEqual(["GOAWAY 1 FLOW_CONTROL_ERROR"]);
  });

  test("DATA beyond the stream window we announced is a stream error", () => {
    const h = new Harness({ initialWindowSize: 100 });
    h.feed(concat([preface(), get(1, false), frame(FrameType.DATA, 0, 1, new Uint8Array(101))]));
    expect(h.events()).toEqual(["RST 1 FLOW_CONTROL_ERROR"]);
    expect(h.transport.ended).toBe(false);
  });

  test("our receive windows are given back in batches as DATA is consumed", () => {
    const h = new Harness({ maxBodySize: 1 << 30 });
    h.feed(concat([preface(), get(1, false)]));
    const wus = () => parseFrames(h.transport.received()).filter((f) => f.type === FrameType.WINDOW_UPDATE);
    h.feed(frame(FrameType.DATA, 0, 1, new Uint8Array(1000)));
    expect(wus()).toHaveLength(0);
    for (let i = 0; i < 40; i++) h.feed(frame(FrameType.DATA, 0, 1, new Uint8Array(1000)));
    // 41,000 octets: past half the window once, on the stream and the connection.
    expect(wus().map((f) => f.streamId).sort()).toEqual([0, 1]);
  });
});

describe("floods and limits", () => {
  test("Rapid Reset (CVE-2023-44487): HEADERS + RST_STREAM past the budget ends in GOAWAY ENHANCE_YOUR_CALM", () => {
    const h = new Harness({ resetBudget: { burst: 100, perSecond: 10 } });
    const parts = [preface()];
    for (let id = 1; id < 2 * 200; id += 2) parts.push(get(id, false), rst(id));
    h.feed(concat(parts));
    const evs = h.events();
    expect(evs[evs.length - 1]).toMatch(/^GOAWAY \d+ ENHANCE_YOUR_CALM$/);
    expect(h.app.requests).toHaveLength(0);
    expect(h.transport.ended).toBe(true);
  });

  test("the reset budget refills with time: resets at the allowed rate go on for good", () => {
    const h = new Harness({ resetBudget: { burst: 10, perSecond: 10 } });
    h.feed(preface());
    let id = 1;
    for (let round = 0; round < 50; round++) {
      h.feed(concat([get(id, false), rst(id)]));
      id += 2;
      h.clock.now += 100;
    }
    expect(h.events().some((e) => e.startsWith("GOAWAY"))).toBe(false);
  });

  test("MadeYouReset (CVE-2025-8671): resets the client provokes draw on the same budget", () => {
    const h = new Harness({ resetBudget: { burst: 20, perSecond: 1 } });
    const parts = [preface()];
    // WINDOW_UPDATE of 0 on an open stream makes us reset it (§6.9).
    for (let id = 1; id < 100; id += 2) parts.push(get(id, false), windowUpdate(id, 0));
    h.feed(concat(parts));
    expect(h.events().at(-1)).toMatch(/ENHANCE_YOUR_CALM$/);
  });

  test("CONTINUATION flood (CVE-2024-27316): past maxContinuationFrames, GOAWAY ENHANCE_YOUR_CALM", () => {
    const h = new Harness({ maxContinuationFrames: 8, maxHeaderListSize: 1 << 20 });
    const parts = [preface(), frame(FrameType.HEADERS, Flag.END_STREAM, 1, block(GET))];
    for (let i = 0; i < 9; i++) parts.push(frame(FrameType.CONTINUATION, 0, 1, block([["x-a", "1"]])));
    h.feed(concat(parts));
    expect(h.events()).toEqual(["GOAWAY 0 ENHANCE_YOUR_CALM"]);
  });

  test("a split header list just over maxHeaderListSize still decodes: 431 on its stream, the HPACK state in step", () => {
    const h = new Harness({ maxContinuationFrames: 1000, maxHeaderListSize: 4096 });
    // Incremental indexing (RFC 7541 §6.2.1) puts x-kept in the dynamic table; the next block refers to it.
    const indexed = [0x40, 6, ...new TextEncoder().encode("x-kept"), 1, 0x31];
    const parts = [preface(), frame(FrameType.HEADERS, Flag.END_STREAM, 1, [...block(GET), ...indexed])];
    for (let i = 0; i < 5; i++) parts.push(frame(FrameType.CONTINUATION, i === 4 ? Flag.END_HEADERS : 0, 1, block([["x-a", "b".repeat(1000)]])));
    // Index 62 = the newest dynamic entry: decodable only if the 431's block was decoded to its end.
    parts.push(frame(FrameType.HEADERS, Flag.END_STREAM | Flag.END_HEADERS, 3, [...block(GET), 0x80 | 62]));
    h.feed(concat(parts));
    expect(h.events()).toEqual(["STATUS 1 431", "STATUS 3 200", "DATA 3 5 END"]);
    expect(h.app.requests[0]!.fields).toEqual(["x-kept", "1"]);
  });

  test("a split header block past twice maxHeaderListSize is not decoded: GOAWAY COMPRESSION_ERROR (§4.3)", () => {
    const h = new Harness({ maxContinuationFrames: 1000, maxHeaderListSize: 4096 });
    const parts = [preface(), frame(FrameType.HEADERS, Flag.END_STREAM, 1, block(GET))];
    for (let i = 0; i < 9; i++) parts.push(frame(FrameType.CONTINUATION, 0, 1, block([["x-a", "b".repeat(1000)]])));
    h.feed(concat(parts));
    expect(h.events()).toEqual(["GOAWAY 0 COMPRESSION_ERROR"]);
  });

  test("PING flood against a transport that takes nothing: GOAWAY ENHANCE_YOUR_CALM past maxQueuedControl", () => {
    const h = new Harness({ maxQueuedControl: 50 });
    h.feed(preface());
    h.transport.budget = 0;
    for (let i = 0; i < 60; i++) h.feed(ping(i));
    expect(h.session.refusedWith).toBe("ENHANCE_YOUR_CALM");
    // The GOAWAY cannot reach a peer that does not read: the connection is cut after the linger bound.
    h.advance(2000);
    expect(h.transport.closed).toBe(true);
  });

  test("SETTINGS flood against a transport that takes nothing", () => {
    const h = new Harness({ maxQueuedControl: 50 });
    h.feed(preface());
    h.transport.budget = 0;
    for (let i = 0; i < 60; i++) h.feed(frame(FrameType.SETTINGS, 0, 0, []));
    expect(h.session.refusedWith).toBe("ENHANCE_YOUR_CALM");
  });

  test("acknowledgements a reading peer takes do not add up", () => {
    const h = new Harness({ maxQueuedControl: 50 });
    h.feed(preface());
    for (let i = 0; i < 500; i++) h.feed(ping(i));
    expect(h.events().filter((e) => e === "PING_ACK")).toHaveLength(500);
    expect(h.transport.ended).toBe(false);
  });

  test("REFUSED_STREAM draws on the reset budget: a client that ignores the limit is cut off", () => {
    const h = new Harness({ maxConcurrentStreams: 1, resetBudget: { burst: 20, perSecond: 1 } }, false);
    const parts = [preface()];
    for (let id = 1; id < 2 * 30; id += 2) parts.push(get(id));
    h.feed(concat(parts));
    const evs = h.events();
    // 20 from the burst, then the one that found it empty, written before the GOAWAY.
    expect(evs.filter((e) => e.endsWith("REFUSED_STREAM"))).toHaveLength(21);
    expect(evs.at(-1)).toMatch(/^GOAWAY \d+ ENHANCE_YOUR_CALM$/);
  });

  test("our RST_STREAM(NO_ERROR) after an early 413 does not draw on the reset budget", () => {
    const h = new Harness({ maxBodySize: 4, resetBudget: { burst: 3, perSecond: 1 } });
    const parts = [preface()];
    for (let id = 1; id < 2 * 10; id += 2) parts.push(get(id, false), frame(FrameType.DATA, 0, id, [1, 2, 3, 4, 5]));
    h.feed(concat(parts));
    const evs = h.events();
    expect(evs.filter((e) => e.endsWith("413"))).toHaveLength(10);
    expect(evs.filter((e) => e.endsWith("NO_ERROR"))).toHaveLength(10);
    expect(h.session.refusedWith).toBeNull();
  });

  test("resets the app answers with (--reset-rate) do not draw on the reset budget", () => {
    const h = new Harness({ resetBudget: { burst: 3, perSecond: 1 } }, false);
    h.feed(preface());
    // Ten reads of ten streams each, every other one reset by the app: 50 resets against a burst of 3.
    for (let round = 0, id = 1; round < 10; round++) {
      const parts: Uint8Array[] = [];
      for (let i = 0; i < 10; i++, id += 2) parts.push(get(id));
      h.feed(concat(parts));
      for (const [i, r] of h.app.replies.splice(0).entries()) {
        if (i % 2 === 0) r.reset(ErrorCode.INTERNAL_ERROR);
        else r.respond(HELLO_BLOCK, null);
      }
    }
    const evs = h.events();
    expect(evs.filter((e) => e.endsWith("INTERNAL_ERROR"))).toHaveLength(50);
    expect(evs.filter((e) => e.endsWith(" 200"))).toHaveLength(50);
    expect(h.session.refusedWith).toBeNull();
    expect(h.transport.ended).toBe(false);
  });

  test("an app that throws is the app's reset: a hundred of them cost no budget", () => {
    const transport = new FakeTransport();
    const options = { ...DEFAULT_HTTP2_OPTIONS, resetBudget: { burst: 3, perSecond: 1 } };
    const s = new Http2Session(transport, options, { request: () => { throw new Error("boom"); } }, { now: 0 });
    const parts = [preface()];
    for (let id = 1; id < 200; id += 2) parts.push(get(id));
    s.onData(concat(parts));
    expect(events(transport.received()).filter((e) => e.endsWith("INTERNAL_ERROR"))).toHaveLength(100);
    expect(s.refusedWith).toBeNull();
  });

  test("the client's resets still spend the budget after app resets", () => {
    const h = new Harness({ resetBudget: { burst: 3, perSecond: 1 } }, false);
    h.feed(concat([preface(), get(1), get(3)]));
    for (const r of h.app.replies.splice(0)) r.reset(ErrorCode.INTERNAL_ERROR);
    const parts: Uint8Array[] = [];
    for (let id = 5; id < 15; id += 2) parts.push(get(id, false), rst(id));
    h.feed(concat(parts));
    expect(h.session.refusedWith).toBe("ENHANCE_YOUR_CALM");
  });

  test("too many streams: REFUSED_STREAM beyond the limit, the open ones still answered", () => {
    const h = new Harness({ maxConcurrentStreams: 3 }, false);
    const parts = [preface()];
    for (let id = 1; id <= 11; id += 2) parts.push(get(id));
    h.feed(concat(parts));
    expect(h.events()).toEqual(["RST 7 REFUSED_STREAM", "RST 9 REFUSED_STREAM", "RST 11 REFUSED_STREAM"]);
    for (const r of h.app.replies) r.respond(HELLO_BLOCK, null);
    expect(h.events().filter((e) => e.startsWith("STATUS"))).toEqual(["STATUS 1 200", "STATUS 3 200", "STATUS 5 200"]);
    h.feed(get(13));
    expect(h.app.requests.map((r) => r.streamId)).toEqual([1, 3, 5, 13]);
  });

  test("backpressure: output past maxBufferedOutput pauses reading, drain resumes it", () => {
    const h = new Harness({ maxBufferedOutput: 1000 }, false);
    h.feed(concat([preface(), get(1)]));
    h.transport.budget = 0;
    h.app.replies[0]!.respond(HELLO_BLOCK, new Uint8Array(50_000));
    expect(h.transport.paused).toBe(true);
    h.transport.budget = Number.POSITIVE_INFINITY;
    h.session.onDrain();
    expect(h.transport.paused).toBe(false);
    expect(mergeData(h.events())).toEqual(["STATUS 1 200", "DATA 1 50000 END"]);
  });
});

describe("timeouts", () => {
  test("header timeout: no preface and SETTINGS in time, GOAWAY and close", () => {
    const h = new Harness({ headerTimeoutMs: 1000 });
    h.feed(preface().subarray(0, 10));
    h.advance(999);
    expect(h.transport.ended).toBe(false);
    h.advance(1);
    expect(h.events()).toEqual(["GOAWAY 0 PROTOCOL_ERROR"]);
    expect(h.transport.shutDown).toBe(true);
    h.advance(5000);
    expect(h.transport.closed).toBe(true);
  });

  test("idle timeout: no stream and no frame, GOAWAY NO_ERROR", () => {
    const h = new Harness({ idleTimeoutMs: 5000 });
    h.feed(concat([preface(), get(1)]));
    h.advance(4999);
    expect(h.transport.ended).toBe(false);
    h.advance(1);
    expect(h.events().at(-1)).toBe("GOAWAY 1 NO_ERROR");
  });

  test("a stream waiting for the app holds no idle deadline", () => {
    const h = new Harness({ idleTimeoutMs: 5000 }, false);
    h.feed(concat([preface(), get(1)]));
    expect(h.session.deadline).toBe(Number.POSITIVE_INFINITY);
    h.advance(60_000);
    h.app.replies[0]!.respond(HELLO_BLOCK, null);
    expect(h.events()).toEqual(["STATUS 1 200"]);
  });

  test("zero-window stall: a peer that keeps the window at zero is cut after idleTimeoutMs", () => {
    const h = new Harness({ idleTimeoutMs: 5000 }, false);
    h.feed(concat([preface([[SettingId.INITIAL_WINDOW_SIZE, 0]]), get(1)]));
    h.app.replies[0]!.respond(HELLO_BLOCK, new Uint8Array(100));
    h.advance(4999);
    expect(h.transport.ended).toBe(false);
    h.advance(1);
    expect(h.events()).toEqual(["STATUS 1 200", "GOAWAY 1 ENHANCE_YOUR_CALM"]);
  });
});

describe("graceful drain (§6.8)", () => {
  test("GOAWAY(2^31-1) + PING; streams sent meanwhile are served; the final GOAWAY on the PING ACK; close when none is left", () => {
    const h = new Harness({}, false);
    h.feed(concat([preface(), get(1)]));
    h.session.onShutdown(10_000);
    const evs = h.events();
    expect(evs.slice(-2)).toEqual([`GOAWAY ${2 ** 31 - 1} NO_ERROR`, "PING"]);
    const pingPayload = parseFrames(h.transport.received()).find((f) => f.type === FrameType.PING)!.payload;
    // The client had stream 3 in flight: it is still served.
    h.feed(concat([get(3), frame(FrameType.PING, Flag.ACK, 0, pingPayload)]));
    expect(h.events().at(-1)).toBe("GOAWAY 3 NO_ERROR");
    // After the final GOAWAY, streams above 3 are ignored.
    h.feed(get(5));
    expect(h.app.requests.map((r) => r.streamId)).toEqual([1, 3]);
    h.app.replies[0]!.respond(HELLO_BLOCK, null);
    expect(h.transport.ended).toBe(false);
    h.app.replies[1]!.respond(HELLO_BLOCK, null);
    expect(h.transport.shutDown).toBe(true);
    h.session.onEnd();
    expect(h.transport.closed).toBe(true);
  });

  test("without a PING ACK the final GOAWAY comes after the grace", () => {
    const h = new Harness();
    h.feed(concat([preface(), get(1)]));
    h.session.onShutdown(3000);
    h.advance(2999);
    expect(h.events().filter((e) => e.startsWith("GOAWAY"))).toHaveLength(1);
    h.advance(1);
    expect(h.events().at(-1)).toBe("GOAWAY 1 NO_ERROR");
    expect(h.transport.shutDown).toBe(true);
  });

  test("goAway() (shutdown delay) sends only the first GOAWAY; new streams are still answered", () => {
    const h = new Harness();
    h.feed(concat([preface(), get(1)]));
    h.session.goAway();
    h.feed(get(3));
    expect(h.events().filter((e) => e.startsWith("GOAWAY") || e.startsWith("STATUS"))).toEqual(["STATUS 1 200", `GOAWAY ${2 ** 31 - 1} NO_ERROR`, "STATUS 3 200"]);
    expect(h.transport.ended).toBe(false);
  });
});

describe("answers", () => {
  test("a deferred answer is written when given, and onClose fires", () => {
    const h = new Harness({}, false);
    h.feed(concat([preface(), get(1)]));
    let closed = 0;
    h.app.replies[0]!.onClose = () => closed++;
    const before = h.transport.writes.length;
    h.app.replies[0]!.respond(HELLO_BLOCK, new TextEncoder().encode("later"), encodeTrailers([["grpc-status", "0"]]));
    expect(h.transport.writes.length - before).toBe(3);
    expect(h.events()).toEqual(["STATUS 1 200", "DATA 1 5", "TRAILERS 1"]);
    expect(closed).toBe(1);
    expect(h.app.replies[0]!.closed).toBe(true);
  });

  test("streaming: start, data pieces, trailers", () => {
    const h = new Harness({}, false);
    h.feed(concat([preface(), get(1)]));
    const r = h.app.replies[0]!;
    r.start(HELLO_BLOCK);
    r.data(new Uint8Array(3), false);
    r.data(new Uint8Array(4), false);
    r.trailers(encodeTrailers([["grpc-status", "0"]]));
    expect(h.events()).toEqual(["STATUS 1 200", "DATA 1 3", "DATA 1 4", "TRAILERS 1"]);
    expect(r.closed).toBe(true);
  });

  test("the peer's RST_STREAM closes the reply and calls onClose; later writes are dropped", () => {
    const h = new Harness({}, false);
    h.feed(concat([preface(), get(1)]));
    const r = h.app.replies[0]!;
    let closed = false;
    r.onClose = () => (closed = true);
    h.feed(rst(1));
    expect(closed && r.closed).toBe(true);
    r.respond(HELLO_BLOCK, null);
    expect(h.events()).toEqual([]);
  });

  test("reset(code) sends RST_STREAM", () => {
    const h = new Harness({}, false);
    h.feed(concat([preface(), get(1)]));
    h.app.replies[0]!.reset(ErrorCode.INTERNAL_ERROR);
    expect(h.events()).toEqual(["RST 1 INTERNAL_ERROR"]);
  });

  test("an app that throws costs its stream, not the connection", () => {
    const transport = new FakeTransport();
    const s = new Http2Session(transport, DEFAULT_HTTP2_OPTIONS, { request: () => { throw new Error("boom"); } }, { now: 0 });
    s.onData(concat([preface(), get(1)]));
    expect(events(transport.received())).toEqual(["RST 1 INTERNAL_ERROR"]);
    expect(transport.ended).toBe(false);
  });

  test("a response header block larger than the peer's frame size is split into CONTINUATION", () => {
    const h = new Harness({}, false);
    h.feed(concat([preface(), get(1)]));
    h.app.replies[0]!.respond(new Uint8Array([0x88, ...block([["x-big", "v".repeat(20_000)]])]), null);
    const frames = parseFrames(h.transport.received()).filter((f) => f.type === FrameType.HEADERS || f.type === FrameType.CONTINUATION);
    expect(frames.map((f) => [f.type, f.flags])).toEqual([[FrameType.HEADERS, Flag.END_STREAM], [FrameType.CONTINUATION, Flag.END_HEADERS]]);
  });
});

describe("h2c Upgrade (RFC 9113 §3.2 / RFC 7540 §3.2)", () => {
  test("stream 1 is the upgraded request, answered after our SETTINGS; the preface follows", () => {
    const transport = new FakeTransport();
    const app = new TestApp();
    const request = { streamId: 1, method: "GET", scheme: "http", authority: "a", path: "/", protocol: "h2" as const, fields: [], bodyLength: 0, body: null };
    const s = new Http2Session(transport, DEFAULT_HTTP2_OPTIONS, app, { now: 0 }, { settings: Uint8Array.from(settingsPayload([[SettingId.INITIAL_WINDOW_SIZE, 3]])), request });
    // The HTTP2-Settings window (3) applies to stream 1.
    expect(mergeData(events(transport.received()))).toEqual(["STATUS 1 200", "DATA 1 3"]);
    s.onData(concat([preface(), get(3)]));
    expect(app.requests.map((r) => r.streamId)).toEqual([1, 3]);
  });
});
