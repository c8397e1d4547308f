import { expect, test } from "bun:test";
import { decodeHistogram, encodeHistogram, HIGHEST_US, newHistogram, percentiles, recordUs, spectrum } from "../../bench/openloop/histogram.ts";
import { bytesEqual, responseLength, type ResponseHead } from "../../bench/lib/measure/response.ts";

test("percentiles of 1..10,000 µs within HdrHistogram's 0.1% precision", () => {
  const h = newHistogram();
  for (let v = 1; v <= 10_000; v++) recordUs(h, v);
  const p = percentiles(h);
  expect(p.count).toBe(10_000);
  const near = (got: number, want: number) => expect(Math.abs(got - want) / want).toBeLessThanOrEqual(0.001);
  near(p.p50, 5000);
  near(p.p90, 9000);
  near(p.p99, 9900);
  near(p.p999, 9990);
  near(p.max, 10_000);
  expect(p.mean).toBeCloseTo(5000.5, -1);
});

test("a stall shows in the tail: 99% at 100 µs and 1% at 1 s puts p99.9 near 1 s and p50 at 100 µs", () => {
  const h = newHistogram();
  for (let i = 0; i < 9900; i++) recordUs(h, 100);
  for (let i = 0; i < 100; i++) recordUs(h, 1_000_000);
  const p = percentiles(h);
  expect(p.p50).toBe(100);
  expect(p.p99).toBe(100);
  expect(Math.abs(p.p999 - 1_000_000) / 1e6).toBeLessThan(0.001);
});

test("values are rounded to whole µs and clamped to the range", () => {
  const h = newHistogram();
  recordUs(h, 2.4);
  recordUs(h, -5);
  recordUs(h, HIGHEST_US * 10);
  expect(h.totalCount).toBe(3);
  expect(h.minNonZeroValue).toBe(2);
  expect(Math.abs(h.maxValue - HIGHEST_US) / HIGHEST_US).toBeLessThan(0.001);
});

test("an empty histogram has NaN percentiles and no spectrum", () => {
  const p = percentiles(newHistogram());
  expect(p.count).toBe(0);
  expect(p.p99).toBeNaN();
  expect(spectrum(newHistogram())).toEqual([]);
});

test("the spectrum stops where the sample count cannot resolve a percentile, and ends at the maximum", () => {
  const h = newHistogram();
  for (let v = 1; v <= 1000; v++) recordUs(h, v);
  const s = spectrum(h);
  expect(s.map(([p]) => p)).toEqual([0, 50, 75, 90, 95, 99, 99.5, 99.9, 100]);
  expect(s[0]).toEqual([0, 1]);
  expect(s[s.length - 1]![1]).toBe(h.maxValue);
  for (let i = 1; i < s.length; i++) expect(s[i]![1]).toBeGreaterThanOrEqual(s[i - 1]![1]);
});

test("a histogram survives the compressed base64 of the JSON report", () => {
  const h = newHistogram();
  for (let v = 1; v <= 5000; v++) recordUs(h, v * 7);
  const back = decodeHistogram(encodeHistogram(h));
  expect(back.totalCount).toBe(5000);
  expect(back.getValueAtPercentile(99)).toBe(h.getValueAtPercentile(99));
  expect(back.getValueAtPercentile(100)).toBe(h.getValueAtPercentile(100));
});

const enc = (s: string) => new TextEncoder().encode(s);
const head = (): ResponseHead => ({ status: 0, bodyStart: 0, problem: "", close: false });

test("responseLength: a complete answer, a partial one, and the body compared byte for byte", () => {
  const text = "HTTP/1.1 200 OK\r\nServer: x\r\ncontent-LENGTH: 5\r\nDate: now\r\n\r\nhello";
  const b = enc(text);
  const h = head();
  expect(responseLength(b, b.length, h)).toBe(b.length);
  expect(h.status).toBe(200);
  expect(bytesEqual(b, h.bodyStart, b.length, enc("hello"))).toBe(true);
  expect(bytesEqual(b, h.bodyStart, b.length, enc("hellO"))).toBe(false);
  expect(bytesEqual(b, h.bodyStart, b.length, enc("hell"))).toBe(false);
  for (const cut of [1, 10, text.indexOf("\r\n\r\n") + 2, b.length - 1]) expect(responseLength(b, cut, head())).toBe(0);
  // Two answers back to back: the first one's length.
  const two = enc(text + text);
  expect(responseLength(two, two.length, head())).toBe(b.length);
});

test("responseLength: Connection: close is seen (any case, as a token), keep-alive and look-alikes are not", () => {
  const at = (field: string) => {
    const b = enc(`HTTP/1.1 200 OK\r\n${field}\r\nContent-Length: 0\r\n\r\n`);
    const h = head();
    expect(responseLength(b, b.length, h)).toBe(b.length);
    return h.close;
  };
  expect(at("Connection: close")).toBe(true);
  expect(at("connection:CLOSE")).toBe(true);
  expect(at("Connection: close, foo")).toBe(true);
  expect(at("Connection: keep-alive")).toBe(false);
  expect(at("Connection: closed")).toBe(false);
  expect(at("X-Connection: close")).toBe(false);
  // The flag is per answer: a reused head object is reset.
  const h = head();
  const c = enc("HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 0\r\n\r\n");
  const k = enc("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
  responseLength(c, c.length, h);
  responseLength(k, k.length, h);
  expect(h.close).toBe(false);
});

test("responseLength: status codes, bodiless answers and what it refuses", () => {
  const h = head();
  const busy = enc("HTTP/1.1 503 Busy\r\nContent-Length: 0\r\n\r\n");
  expect(responseLength(busy, busy.length, h)).toBe(busy.length);
  expect(h.status).toBe(503);
  const noContent = enc("HTTP/1.1 204 No Content\r\n\r\n");
  expect(responseLength(noContent, noContent.length, h)).toBe(noContent.length);
  const refuse = (s: string, why: string) => {
    const x = head();
    expect(responseLength(enc(s), enc(s).length, x)).toBe(-1);
    expect(x.problem).toContain(why);
  };
  refuse("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n", "Transfer-Encoding");
  refuse("HTTP/1.1 200 OK\r\nServer: x\r\n\r\nhello", "no Content-Length");
  refuse("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello", "Content-Length");
  refuse("HTTP/1.1 200 OK\r\nContent-Length: x\r\n\r\n", "Content-Length");
  refuse("HTTX/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "status line");
  refuse("HTTP/1.1 2x0 OK\r\nContent-Length: 0\r\n\r\n", "status");
  const long = new Uint8Array(20_000).fill(65);
  expect(responseLength(long, long.length, h)).toBe(-1);
});
