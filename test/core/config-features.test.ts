/** src/config.ts: the flags of "steer", "watch" and HTTPS — values, variables, combinations, and the admin command. */
import { describe, expect, test } from "bun:test";
import { DEFAULTS, HELP, parseCommand } from "../../src/config.ts";
import { serve, usageError } from "../helpers/config.ts";
import { parseDuration, parseProbability, parseSize } from "../../src/units.ts";

describe("units", () => {
  test("durations", () => {
    expect(parseDuration("250ms")).toBe(250);
    expect(parseDuration("1.5s")).toBe(1500);
    expect(parseDuration("2")).toBe(2000);
    expect(parseDuration("2m")).toBe(120_000);
    for (const bad of ["", "-1s", "1h", "1.s", "s", "1 s", "0x10"]) expect(parseDuration(bad)).toBeNull();
  });
  test("sizes", () => {
    expect(parseSize("512")).toBe(512);
    expect(parseSize("16k")).toBe(16 * 1024);
    expect(parseSize("1M")).toBe(1024 * 1024);
    for (const bad of ["", "-1", "1.5k", "1G", "k", "9999999999999999"]) expect(parseSize(bad)).toBeNull();
  });
  test("probabilities", () => {
    expect(parseProbability("0")).toBe(0);
    expect(parseProbability("0.05")).toBe(0.05);
    expect(parseProbability("1")).toBe(1);
    for (const bad of ["", "1.5", "-0.1", "2", ".5", "5%"]) expect(parseProbability(bad)).toBeNull();
  });
});

describe("every new feature is off by default", () => {
  test("defaults", () => {
    const c = serve([]);
    expect(c).toEqual(DEFAULTS);
    expect(c.requestControl).toBe(false);
    expect(c.failRate).toBe(0);
    expect(c.resetRate).toBe(0);
    expect(c.delay).toBeNull();
    expect(c.adminPort).toBeNull();
    expect(c.echoPath).toBeNull();
    expect(c.servedBy).toBe(false);
    expect(c.metricsPort).toBeNull();
    expect(c.tlsCert).toBeNull();
  });
});

describe("flags and variables", () => {
  test("steer", () => {
    const c = serve(["--request-control", "--max-delay", "5s", "--max-size", "1M", "--fail-rate", "0.1", "--fail-status", "502",
      "--delay", "100ms..2s", "--reset-rate", "0.01", "--seed", "42", "--admin-port", "9901", "--admin-host", "::1"]);
    expect(c).toMatchObject({ requestControl: true, maxDelay: 5, maxSize: 1024 * 1024, failRate: 0.1, failStatus: 502,
      delay: { min: 0.1, max: 2 }, resetRate: 0.01, seed: 42, adminPort: 9901, adminHost: "::1" });
    expect(serve(["--delay", "250ms"]).delay).toEqual({ min: 0.25, max: 0.25 });
    expect(serve(["--delay", "0"]).delay).toBeNull();
  });
  test("watch", () => {
    const c = serve(["--echo-path", "/echo", "--served-by", "--metrics-port", "9100", "--metrics-host", "127.0.0.1"]);
    expect(c).toMatchObject({ echoPath: "/echo", servedBy: true, metricsPort: 9100, metricsHost: "127.0.0.1" });
  });
  test("tls", () => {
    const c = serve(["--tls-cert", "c.pem", "--tls-key", "k.pem", "--tls-port", "8443", "--tls-client-ca", "ca.pem"]);
    expect(c).toMatchObject({ tlsCert: "c.pem", tlsKey: "k.pem", tlsPort: 8443, tlsClientCa: "ca.pem" });
  });
  test("environment", () => {
    const c = serve([], { REQUEST_CONTROL: "1", SERVED_BY: "true", ECHO_PATH: "/e", METRICS_PORT: "9100", FAIL_RATE: "0.5",
      DELAY: "1s", SEED: "7", ADMIN_PORT: "9901", TLS_CERT: "c", TLS_KEY: "k" });
    expect(c).toMatchObject({ requestControl: true, servedBy: true, echoPath: "/e", metricsPort: 9100, failRate: 0.5,
      delay: { min: 1, max: 1 }, seed: 7, adminPort: 9901, tlsCert: "c", tlsKey: "k" });
    expect(serve([], { REQUEST_CONTROL: "0" }).requestControl).toBe(false);
  });
  test("--help lists every flag", () => {
    for (const f of ["request-control", "max-delay", "max-size", "fail-rate", "fail-status", "--delay", "reset-rate", "seed",
      "admin-port", "admin-host", "echo-path", "served-by", "metrics-port", "metrics-host", "tls-cert", "tls-key", "tls-port", "tls-client-ca"]) {
      expect(HELP).toContain(f.startsWith("--") ? f : `--${f}`);
    }
    expect(HELP).not.toContain("Bun and Deno;");
  });
});

describe("bad values and combinations: one-line usage errors", () => {
  const cases: Array<[string, string[], Record<string, string>?]> = [
    ["fail-rate above 1", ["--fail-rate", "1.5"]],
    ["fail-rate percent", ["--fail-rate", "5%"]],
    ["fail-status 99", ["--fail-status", "99"]],
    ["delay word", ["--delay", "soon"]],
    ["delay reversed range", ["--delay", "2s..1s"]],
    ["delay above max-delay", ["--delay", "40s"]],
    ["max-size word", ["--max-size", "big"]],
    ["seed negative", ["--seed", "-1"]],
    ["admin-port too large", ["--admin-port", "70000"]],
    ["echo-path without slash", ["--echo-path", "echo"]],
    ["echo-path equals health path", ["--echo-path", "/h", "--health-path", "/h"]],
    ["tls cert without key", ["--tls-cert", "c.pem"]],
    ["tls-port without cert", ["--tls-port", "8443"]],
    ["tls with io syscall", ["--tls-cert", "c", "--tls-key", "k", "--io", "syscall"]],
    ["tls with io uring", ["--tls-cert", "c", "--tls-key", "k", "--io", "uring"]],
    ["REQUEST_CONTROL=yes", [], { REQUEST_CONTROL: "yes" }],
    ["metrics-port equals port", ["--port", "9100", "--metrics-port", "9100"]],
    ["admin-port equals metrics-port", ["--admin-port", "9100", "--metrics-port", "9100"]],
    ["tls-port equals port", ["--port", "8443", "--tls-port", "8443", "--tls-cert", "c", "--tls-key", "k"]],
  ];
  for (const [name, argv, env] of cases) test(name, () => void usageError(argv, env));
  test("messages name the flag", () => {
    expect(usageError(["--fail-rate", "2"])).toContain("--fail-rate");
    expect(usageError(["--tls-cert", "c", "--tls-key", "k", "--io", "uring"])).toContain("--io uring");
  });
});

describe("hello-server admin", () => {
  test("actions, port from flag or ADMIN_PORT, loopback by default", () => {
    expect(parseCommand(["admin", "unready", "--admin-port", "9901"], {})).toEqual({ kind: "admin", action: "unready", host: "127.0.0.1", port: 9901 });
    expect(parseCommand(["admin", "state"], { ADMIN_PORT: "9902" })).toEqual({ kind: "admin", action: "state", host: "127.0.0.1", port: 9902 });
  });
  test("no port, an unknown action, or two actions: usage errors", () => {
    expect(usageError(["admin", "state"])).toContain("--admin-port");
    expect(usageError(["admin", "reboot", "--admin-port", "1"])).toContain("reboot");
    usageError(["admin", "ready", "sick", "--admin-port", "1"]);
    usageError(["admin"]);
  });
  test("positional arguments are still refused outside admin", () => {
    usageError(["unready"]);
  });
});
