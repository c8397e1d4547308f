/** src/config.ts: the WebSocket flags — values, variables, defaults, --help, and the paths they may not share. */
import { describe, expect, test } from "bun:test";
import { DEFAULTS, HELP } from "../../src/config.ts";
import { serve, usageError } from "../helpers/config.ts";

describe("WebSocket flags", () => {
  test("off by default: no path, 1 MiB messages, no pings", () => {
    const c = serve([]);
    expect(c.wsEchoPath).toBeNull();
    expect(c.wsMaxMessage).toBe(1024 * 1024);
    expect(c.wsPingInterval).toBe(0);
    expect(DEFAULTS).toMatchObject({ wsEchoPath: null, wsMaxMessage: 1024 * 1024, wsPingInterval: 0 });
  });

  test("flags, with sizes and durations as the other flags take them", () => {
    expect(serve(["--ws-echo-path", "/ws", "--ws-max-message", "16k", "--ws-ping-interval", "500ms"])).toMatchObject({
      wsEchoPath: "/ws",
      wsMaxMessage: 16 * 1024,
      wsPingInterval: 0.5,
    });
    expect(serve(["--ws-max-message", "2M", "--ws-ping-interval", "30"])).toMatchObject({ wsMaxMessage: 2 * 1024 * 1024, wsPingInterval: 30 });
    expect(serve(["--ws-ping-interval", "0"]).wsPingInterval).toBe(0);
  });

  test("variables, and a flag wins over its variable", () => {
    const env = { WS_ECHO_PATH: "/socket", WS_MAX_MESSAGE: "64k", WS_PING_INTERVAL: "2s" };
    expect(serve([], env)).toMatchObject({ wsEchoPath: "/socket", wsMaxMessage: 64 * 1024, wsPingInterval: 2 });
    expect(serve(["--ws-echo-path", "/ws"], env).wsEchoPath).toBe("/ws");
  });

  test("--help lists every WebSocket flag with its variable", () => {
    for (const [flag, variable] of [["--ws-echo-path", "WS_ECHO_PATH"], ["--ws-max-message", "WS_MAX_MESSAGE"], ["--ws-ping-interval", "WS_PING_INTERVAL"]]) {
      expect(HELP).toContain(flag!);
      expect(HELP).toContain(`[${variable}]`);
    }
  });
});

describe("bad WebSocket values and combinations: one-line usage errors naming the flag", () => {
  const cases: Array<[string, string[], Record<string, string>, string]> = [
    ["path without slash", ["--ws-echo-path", "ws"], {}, "--ws-echo-path"],
    ["path with a query", ["--ws-echo-path", "/ws?x=1"], {}, "--ws-echo-path"],
    ["max-message word", ["--ws-max-message", "big"], {}, "--ws-max-message"],
    ["max-message 0", ["--ws-max-message", "0"], {}, "--ws-max-message"],
    ["max-message over 1024M", ["--ws-max-message", "2048M"], {}, "--ws-max-message"],
    ["ping-interval word", ["--ws-ping-interval", "often"], {}, "--ws-ping-interval"],
    ["ping-interval too short", ["--ws-ping-interval", "10ms"], {}, "--ws-ping-interval"],
    ["ping-interval over an hour", ["--ws-ping-interval", "61m"], {}, "--ws-ping-interval"],
    ["WS_MAX_MESSAGE bad", [], { WS_MAX_MESSAGE: "1.5k" }, "--ws-max-message"],
    ["ws path equals echo path", ["--ws-echo-path", "/e", "--echo-path", "/e"], {}, "--echo-path"],
    ["ws path equals health path", ["--ws-echo-path", "/h", "--health-path", "/h"], {}, "--health-path"],
    ["ws path equals health path by variables", [], { WS_ECHO_PATH: "/h", HEALTH_PATH: "/h" }, "--ws-echo-path"],
  ];
  for (const [name, argv, env, named] of cases) test(name, () => expect(usageError(argv, env)).toContain(named));

  test("the ws path may sit beside the echo and health paths", () => {
    expect(serve(["--ws-echo-path", "/ws", "--echo-path", "/echo", "--health-path", "/healthz"])).toMatchObject({
      wsEchoPath: "/ws",
      echoPath: "/echo",
      healthPath: "/healthz",
    });
  });
});
