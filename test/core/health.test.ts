/**
 * --health-path and the stopping state (--shutdown-delay) in the core: the health
 * path answers 200 "ok" whatever --status says, 503 once shutdown has begun; every
 * other path keeps the configured answer; during the delay every answer closes.
 */
import { describe, expect, test } from "bun:test";
import { HELP, parseCommand, UsageError } from "../../src/config.ts";
import { ResponseCache } from "../../src/http/response.ts";
import { CoreHarness, testConfig } from "../helpers/fake-transport.ts";
import { bodyText, header, parseAllResponses } from "../helpers/http-parse.ts";

const req = (target: string, method = "GET", extra = "") => `${method} ${target} HTTP/1.1\r\nHost: a\r\n${extra}\r\n`;

function answers(h: CoreHarness, bytes: string) {
  const before = h.transport.received().length;
  h.feed(bytes);
  return parseAllResponses(h.transport.received().subarray(before));
}

describe("--health-path", () => {
  test("the path, with or without a query, answers 200 ok whatever --status says; other paths keep the configured answer", () => {
    const h = new CoreHarness(testConfig({ status: 500, body: "broken on purpose", healthPath: "/healthz" }));
    const rs = answers(h, [req("/healthz"), req("/healthz?probe=1"), req("/"), req("/healthzz"), req("/health"), req("/healthz/"), req("/HEALTHZ"), req("/x/healthz")].join(""));
    expect(rs.map((r) => r.status)).toEqual([200, 200, 500, 500, 500, 500, 500, 500]);
    expect(bodyText(rs[0]!)).toBe("ok");
    expect(header(rs[0]!, "cache-control")).toBe("no-store");
    expect(bodyText(rs[2]!)).toBe("broken on purpose");
    expect(h.transport.ended).toBe(false);
  });

  test("HEAD on the health path: the fields, no body; HTTP/1.0 keep-alive is honoured", () => {
    const h = new CoreHarness(testConfig({ healthPath: "/ready" }));
    h.feed(req("/ready", "HEAD"));
    const head = new TextDecoder().decode(h.transport.received());
    expect(head).toStartWith("HTTP/1.1 200 OK\r\n");
    expect(head).toContain("Content-Length: 2\r\n");
    expect(head.endsWith("\r\n\r\n")).toBe(true);
    const h10 = new CoreHarness(testConfig({ healthPath: "/ready" }));
    h10.feed("GET /ready HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    const [r] = parseAllResponses(h10.transport.received());
    expect(header(r!, "connection")).toBe("keep-alive");
    expect(bodyText(r!)).toBe("ok");
  });

  test("unset: /healthz is an ordinary path", () => {
    const h = new CoreHarness(testConfig({ status: 404 }));
    expect(answers(h, req("/healthz")).map((r) => r.status)).toEqual([404]);
  });

  test("a head split across reads (copied by the head reader) still matches", () => {
    const h = new CoreHarness(testConfig({ status: 418, healthPath: "/healthz" }));
    h.feed("GET /heal");
    h.feed("thz HTTP/1.1\r\nHost: a\r\n\r\n");
    expect(parseAllResponses(h.transport.received()).map((r) => r.status)).toEqual([200]);
  });

  test("beginShutdown (the delay): the health path says 503, every answer closes its connection, new connections are served", () => {
    const h = new CoreHarness(testConfig({ healthPath: "/healthz" }));
    expect(answers(h, req("/healthz")).map((r) => r.status)).toEqual([200]);
    h.core.beginShutdown();
    // The kept-alive connection is not closed by the delay itself…
    expect(h.transport.ended).toBe(false);
    const [r] = answers(h, req("/healthz"));
    expect(r!.status).toBe(503);
    expect(header(r!, "connection")).toBe("close");
    // …its next answer closes it.
    expect(h.transport.closed).toBe(true);
    const fresh = h.connect();
    fresh.feed(req("/"));
    const [ok] = parseAllResponses(fresh.transport.received());
    expect(ok!.status).toBe(200);
    expect(bodyText(ok!)).toBe("hello");
    expect(header(ok!, "connection")).toBe("close");
    expect(fresh.transport.closed).toBe(true);
  });

  test("after shutdown (the drain) the health path says 503 too", () => {
    const h = new CoreHarness(testConfig({ healthPath: "/healthz" }));
    const busy = h.connect();
    busy.feed("GET /healthz HTTP/1.1\r\nHo");
    void h.core.shutdown();
    busy.feed("st: a\r\n\r\n");
    const [r] = parseAllResponses(busy.transport.received());
    expect(r!.status).toBe(503);
    expect(header(r!, "connection")).toBe("close");
  });

  test("the answers are prebuilt: the same buffer for every request in a second", () => {
    const cache = new ResponseCache({ status: 200, body: "x", contentType: "text/plain", headers: [] });
    cache.setTime(1_700_000_000_000);
    expect(cache.health(0, false, false)).toBe(cache.health(0, false, false));
    expect(cache.health(0, false, true)).not.toBe(cache.health(0, false, false));
  });
});

describe("config: --health-path, --shutdown-delay, --log-format", () => {
  const serve = (argv: string[], env: Record<string, string> = {}) => {
    const c = parseCommand(argv, env);
    if (c.kind !== "serve") throw new Error(c.kind);
    return c.config;
  };
  const refuse = (argv: string[], env: Record<string, string> = {}) => {
    expect(() => parseCommand(argv, env)).toThrow(UsageError);
  };

  test("flags and environment", () => {
    expect(serve([]).healthPath).toBe(null);
    expect(serve([]).shutdownDelay).toBe(0);
    expect(serve([]).logFormat).toBe("text");
    expect(serve(["--health-path", "/healthz", "--shutdown-delay", "2.5", "--log-format", "json"])).toMatchObject({
      healthPath: "/healthz",
      shutdownDelay: 2.5,
      logFormat: "json",
    });
    expect(serve([], { HEALTH_PATH: "/-/ready", SHUTDOWN_DELAY: "5", LOG_FORMAT: "json" })).toMatchObject({
      healthPath: "/-/ready",
      shutdownDelay: 5,
      logFormat: "json",
    });
    expect(serve(["--shutdown-delay=0"], { SHUTDOWN_DELAY: "5" }).shutdownDelay).toBe(0);
  });

  test("bad values are usage errors (exit 2)", () => {
    for (const p of ["healthz", "/a b", "/a?b", "/a#b", "", "*", "http://x/healthz"]) refuse(["--health-path", p]);
    for (const d of ["-1", "x", "3601", "1e3"]) refuse(["--shutdown-delay", d]);
    refuse(["--log-format", "yaml"]);
    refuse([], { LOG_FORMAT: "JSON" });
  });

  test("the default host: :: where the host has IPv6, else 0.0.0.0; HOST and --host win", () => {
    expect(serve([]).host).toBe("::");
    const c = parseCommand([], {}, { ipv6: false });
    expect(c.kind === "serve" && c.config.host).toBe("0.0.0.0");
    const v = parseCommand([], { HOST: "::1" }, { ipv6: false });
    expect(v.kind === "serve" && v.config.host).toBe("::1");
  });

  test("--help names each new flag with its variable and default", () => {
    expect(HELP).toContain("--shutdown-delay S");
    expect(HELP).toContain("[SHUTDOWN_DELAY] (default 0)");
    expect(HELP).toContain("--health-path PATH");
    expect(HELP).toContain("[HEALTH_PATH] (default none)");
    expect(HELP).toContain("--log-format text|json");
    expect(HELP).toContain("[LOG_FORMAT] (default text)");
    expect(HELP).toContain("(default ::, IPv6 and IPv4 on one");
  });
});
