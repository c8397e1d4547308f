/** src/config.ts: flags, environment fallbacks, and the one-line UsageError for every bad value. */
import { describe, expect, test } from "bun:test";
import { DEFAULTS, parseCommand } from "../../src/config.ts";
import { serve, usageError } from "../helpers/config.ts";

describe("defaults", () => {
  test("no flags, no environment: the documented defaults", () => {
    const c = serve([]);
    expect(c).toEqual(DEFAULTS);
    expect(c.port).toBe(8000);
    expect(c.host).toBe("::");
    expect(c.body).toBe("hello");
    expect(c.status).toBe(200);
    expect(c.contentType).toBe("text/plain; charset=utf-8");
    expect(c.maxHeaderSize).toBe(8192);
  });
});

describe("flags", () => {
  test("every value flag, space and = forms", () => {
    const c = serve([
      "--port", "0",
      "--host=127.0.0.1",
      "--workers", "3",
      "--body", "hi there",
      "--status=404",
      "--header", "X-A: 1",
      "--header=X-B:  two words ",
      "--content-type", "application/json",
      "--max-header-size", "1024",
      "--max-body-size=10",
      "--header-timeout", "1.5",
      "--idle-timeout", "2",
      "--shutdown-timeout", "0.5",
      "--backlog", "16",
      "--io", "socket",
    ]);
    expect(c.port).toBe(0);
    expect(c.host).toBe("127.0.0.1");
    expect(c.workers).toBe(3);
    expect(c.body).toBe("hi there");
    expect(c.status).toBe(404);
    expect(c.headers).toEqual([["X-A", "1"], ["X-B", "two words"]]);
    expect(c.contentType).toBe("application/json");
    expect(c.maxHeaderSize).toBe(1024);
    expect(c.maxBodySize).toBe(10);
    expect(c.headerTimeout).toBe(1.5);
    expect(c.idleTimeout).toBe(2);
    expect(c.shutdownTimeout).toBe(0.5);
    expect(c.backlog).toBe(16);
    expect(c.io).toBe("socket");
  });

  test("boolean flags", () => {
    expect(serve(["--quiet"]).quiet).toBe(true);
    expect(serve(["--no-eager"]).eager).toBe(false);
    expect(serve([]).eager).toBe(true);
  });

  test("--workers auto", () => {
    expect(serve(["--workers", "auto"]).workers).toBe("auto");
  });

  test("IPv6 host in brackets is unwrapped", () => {
    expect(serve(["--host", "[::1]"]).host).toBe("::1");
  });

  test("an empty body is allowed", () => {
    expect(serve(["--body", ""]).body).toBe("");
  });

  test("--help, --version and --healthcheck", () => {
    expect(parseCommand(["--help"], {}).kind).toBe("help");
    expect(parseCommand(["--version"], {}).kind).toBe("version");
    // --help wins over everything else, even a bad value after it.
    expect(parseCommand(["--port", "1", "--help"], {}).kind).toBe("help");
    const h = parseCommand(["--healthcheck", "--port", "9"], {});
    expect(h.kind).toBe("healthcheck");
    if (h.kind === "healthcheck") expect(h.config.port).toBe(9);
  });
});

describe("environment fallbacks", () => {
  test("each variable is read when its flag is absent", () => {
    const c = serve([], {
      PORT: "9001",
      HOST: "127.0.0.2",
      WORKERS: "2",
      BODY: "from env",
      STATUS: "201",
      CONTENT_TYPE: "text/html",
      MAX_HEADER_SIZE: "4096",
      MAX_BODY_SIZE: "100",
      HEADER_TIMEOUT: "3",
      IDLE_TIMEOUT: "4",
      SHUTDOWN_TIMEOUT: "5",
      BACKLOG: "64",
      IO: "syscall",
    });
    expect(c).toMatchObject({
      port: 9001,
      host: "127.0.0.2",
      workers: 2,
      body: "from env",
      status: 201,
      contentType: "text/html",
      maxHeaderSize: 4096,
      maxBodySize: 100,
      headerTimeout: 3,
      idleTimeout: 4,
      shutdownTimeout: 5,
      backlog: 64,
      io: "syscall",
    });
  });

  test("a flag wins over its variable", () => {
    expect(serve(["--port", "1234"], { PORT: "9001" }).port).toBe(1234);
    expect(serve(["--body", "flag"], { BODY: "env" }).body).toBe("flag");
  });

  test("an empty variable is ignored", () => {
    expect(serve([], { PORT: "" }).port).toBe(8000);
  });

  test("a bad variable is a usage error naming the setting", () => {
    expect(usageError([], { PORT: "http" })).toContain("port");
    expect(usageError([], { STATUS: "204" })).toContain("204");
  });
});

describe("bad flags and values: UsageError with one line", () => {
  const cases: Array<[string, string[]]> = [
    ["unknown flag", ["--nope"]],
    ["positional argument", ["serve"]],
    ["single dash", ["-p", "80"]],
    ["missing value", ["--port"]],
    ["value on a boolean flag", ["--quiet=yes"]],
    ["port not a number", ["--port", "eighty"]],
    ["negative port", ["--port", "-1"]],
    ["port too large", ["--port", "65536"]],
    ["port with a fraction", ["--port", "80.5"]],
    ["workers 0", ["--workers", "0"]],
    ["workers word", ["--workers", "many"]],
    ["status below 200", ["--status", "199"]],
    ["status above 599", ["--status", "600"]],
    ["status 204 has no body", ["--status", "204"]],
    ["status 304 has no body", ["--status", "304"]],
    ["header without colon", ["--header", "X-A"]],
    ["header with empty name", ["--header", ": v"]],
    ["header name with space", ["--header", "X A: v"]],
    ["header value with CR LF", ["--header", "X-A: v\r\nX-Injected: 1"]],
    ["header Content-Length is the server's", ["--header", "Content-Length: 1"]],
    ["header Connection is the server's", ["--header", "connection: close"]],
    ["header Date is the server's", ["--header", "Date: x"]],
    ["content-type with a newline", ["--content-type", "text/plain\n"]],
    ["max-header-size too small", ["--max-header-size", "10"]],
    ["max-body-size negative", ["--max-body-size", "-5"]],
    ["header-timeout zero", ["--header-timeout", "0"]],
    ["header-timeout word", ["--header-timeout", "soon"]],
    ["idle-timeout negative", ["--idle-timeout", "-1"]],
    ["backlog zero", ["--backlog", "0"]],
    ["io unknown", ["--io", "epoll"]],
    ["host with a slash", ["--host", "a/b"]],
  ];
  for (const [name, argv] of cases) {
    test(name, () => {
      usageError(argv);
    });
  }

  test("the message names the flag", () => {
    expect(usageError(["--nope"])).toContain("--nope");
    expect(usageError(["--port", "x"])).toContain("--port");
    expect(usageError(["--status", "99"])).toContain("--status");
  });
});

describe("Kubernetes service links", () => {
  // A Service named `hello-server` puts these into every pod of its namespace (enableServiceLinks,
  // on by default); a Service named `hello-server-worker` would add HELLO_SERVER_WORKER_PORT.
  const SERVICE_LINKS = {
    HELLO_SERVER_PORT: "tcp://10.0.0.1:8000",
    HELLO_SERVER_PORT_8000_TCP: "tcp://10.0.0.1:8000",
    HELLO_SERVER_PORT_8000_TCP_ADDR: "10.0.0.1",
    HELLO_SERVER_PORT_8000_TCP_PORT: "8000",
    HELLO_SERVER_PORT_8000_TCP_PROTO: "tcp",
    HELLO_SERVER_SERVICE_HOST: "10.0.0.1",
    HELLO_SERVER_SERVICE_PORT: "8000",
    HELLO_SERVER_WORKER_PORT: "tcp://10.0.0.2:8000",
    HELLO_SERVER_WORKER_SERVICE_HOST: "10.0.0.2",
  };

  test("HELLO_SERVER_* variables change nothing", () => {
    expect(serve([], SERVICE_LINKS)).toEqual(DEFAULTS);
    expect(serve(["--port", "9000"], SERVICE_LINKS).port).toBe(9000);
  });

  test("no source file names a HELLO_SERVER_ variable (the spawner's own start with `_`)", async () => {
    const { readdirSync, readFileSync } = await import("node:fs");
    const { join } = await import("node:path");
    const root = join(import.meta.dir, "../../src");
    const files = readdirSync(root, { recursive: true, encoding: "utf8" }).filter((f) => f.endsWith(".ts"));
    expect(files.length).toBeGreaterThan(10);
    const offenders = files.filter((f) => /["'`]HELLO_SERVER_/.test(readFileSync(join(root, f), "utf8")));
    expect(offenders).toEqual([]);
  });
});
