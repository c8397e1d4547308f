/**
 * The behavioural suite against `--io syscall`, on Bun and on Deno: the
 * same core as the socket back ends, driven by the libc event loop.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { connect, type Socket } from "node:net";
import { checkOutcome, loadConformanceCases, matchStatuses, noBodyPlan } from "../helpers/conformance.ts";
import { header, parseAllResponses, parseResponses, type ParsedResponse } from "../helpers/http-parse.ts";
import { exchange, FFI_RUNTIMES, startServer, type RunningServer } from "./harness.ts";

const GET = "GET / HTTP/1.1\r\nHost: t\r\n\r\n";
const GET_CLOSE = "GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n";

/** `n` complete responses have arrived. */
const responses = (n: number) => (bytes: Uint8Array) => parseResponses(bytes).responses.length >= n;

/** One client connection that can send several times and wait for replies. */
class Session {
  private readonly socket: Socket;
  private bytes = Buffer.alloc(0);
  private waiters: Array<() => void> = [];
  closed = false;
  readonly ready: Promise<void>;
  constructor(port: number) {
    this.socket = connect(port, "127.0.0.1");
    this.ready = new Promise((resolve) => this.socket.once("connect", () => resolve()));
    const wake = () => this.waiters.splice(0).forEach((w) => w());
    this.socket.on("data", (chunk: Buffer) => {
      this.bytes = Buffer.concat([this.bytes, chunk]);
      wake();
    });
    const end = () => {
      this.closed = true;
      wake();
    };
    this.socket.on("end", end);
    this.socket.on("error", end);
    this.socket.on("close", end);
  }
  send(text: string): void {
    this.socket.write(text);
  }
  /** Waits until `ok(received bytes)` or the connection ends; fails after `timeoutMs`. */
  async until(ok: (bytes: Uint8Array) => boolean, timeoutMs = 5000): Promise<Uint8Array> {
    const deadline = Date.now() + timeoutMs;
    while (!ok(new Uint8Array(this.bytes)) && !this.closed) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out; got ${JSON.stringify(this.bytes.toString("latin1"))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    return new Uint8Array(this.bytes);
  }
  async waitClosed(timeoutMs = 5000): Promise<void> {
    await this.until(() => false, timeoutMs).catch(() => undefined);
    if (!this.closed) throw new Error("the server did not close the connection");
  }
  destroy(): void {
    this.socket.destroy();
  }
}

function statuses(list: ParsedResponse[]): number[] {
  return list.map((r) => r.status);
}

for (const runtime of FFI_RUNTIMES) {
  for (const eager of [true, false]) {
    const mode = eager ? "eager" : "--no-eager";
    describe(`--io syscall on ${runtime} (${mode})`, () => {
      let server: RunningServer;
      beforeAll(async () => {
        server = await startServer(runtime, eager ? [] : ["--no-eager"]);
      });
      afterAll(async () => {
        expect(await server.stop()).toBe(0);
      });

      test("keep-alive: two requests, one after the other, on one connection", async () => {
        const s = new Session(server.port);
        await s.ready;
        s.send(GET);
        await s.until(responses(1));
        s.send(GET);
        const all = parseAllResponses(await s.until(responses(2)));
        expect(statuses(all)).toEqual([200, 200]);
        expect(all.map((r) => new TextDecoder().decode(r.body))).toEqual(["hello", "hello"]);
        expect(s.closed).toBe(false);
        s.destroy();
      });

      test("pipelining: three requests in one write get three answers in order", async () => {
        const { received, closed } = await exchange(server.port, GET + "HEAD / HTTP/1.1\r\nHost: t\r\n\r\n" + GET, (b) => {
          try {
            return parseResponses(b, noBodyPlan([{ statuses: [200], optional: false, noBody: false }, { statuses: [200], optional: false, noBody: true }])).responses.length >= 3;
          } catch {
            return false;
          }
        });
        const plan = noBodyPlan([
          { statuses: [200], optional: false, noBody: false },
          { statuses: [200], optional: false, noBody: true },
          { statuses: [200], optional: false, noBody: false },
        ]);
        const { responses: got, used } = parseResponses(received, plan);
        expect(statuses(got)).toEqual([200, 200, 200]);
        expect(got[1]!.body.length).toBe(0);
        expect(used).toBe(received.length);
        expect(closed).toBe(false);
      });

      test("Connection: close gets its answer, then the server closes", async () => {
        const { received, closed } = await exchange(server.port, GET_CLOSE);
        const all = parseAllResponses(received);
        expect(statuses(all)).toEqual([200]);
        expect(header(all[0]!, "connection")).toBe("close");
        expect(closed).toBe(true);
      });

      test("a malformed request gets 400 and the connection closes", async () => {
        const { received, closed } = await exchange(server.port, "GET / HTTP/1.1\r\nHost t\r\n\r\n");
        expect(statuses(parseAllResponses(received))).toEqual([400]);
        expect(closed).toBe(true);
      });

      test("a client that resets mid-request does not hurt the next one", async () => {
        const s = new Session(server.port);
        await s.ready;
        s.send("GET / HTTP/1.1\r\nHo");
        s.destroy();
        const { received } = await exchange(server.port, GET_CLOSE);
        expect(statuses(parseAllResponses(received))).toEqual([200]);
      });

      test("a large pipelined burst is answered completely (partial sends, EPOLLOUT)", async () => {
        // 2000 answers ≈ 330 KB: more than the socket buffer takes at once, and the client reads only after sending.
        const n = 2000;
        const { received } = await exchange(server.port, GET.repeat(n), responses(n), 15_000);
        expect(parseAllResponses(received).length).toBe(n);
      });
    });
  }

  describe(`--io syscall on ${runtime}: graceful stop`, () => {
    test("SIGTERM closes idle connections, answers the request in flight with Connection: close, exits 0", async () => {
      const server = await startServer(runtime);
      try {
        const idle = new Session(server.port);
        const busy = new Session(server.port);
        await Promise.all([idle.ready, busy.ready]);
        // Loopback delivers on send, and the loop dispatches every ready socket before it yields to the
        // runtime's signal handler: once `idle` is answered, `busy`'s half head has been read too.
        busy.send("GET / HTTP/1.1\r\nHost: t\r\n");
        idle.send(GET);
        await idle.until(responses(1));
        server.child.kill("SIGTERM");
        await idle.waitClosed();
        busy.send("\r\n");
        const got = parseAllResponses(await busy.until(responses(1)));
        expect(statuses(got)).toEqual([200]);
        expect(header(got[0]!, "connection")).toBe("close");
        await busy.waitClosed();
        expect(await server.exited).toBe(0);
      } finally {
        await server.stop();
      }
    });
  });

  describe(`--io syscall on ${runtime}: conformance data`, () => {
    let server: RunningServer;
    beforeAll(async () => {
      // The data is HTTP/1.1: with HTTP/2 on, its preface and h2c cases would switch protocols
      // (test/server's conformance suite checks that switch on this back end too).
      server = await startServer(runtime, ["--http2", "off"]);
    });
    afterAll(async () => {
      expect(await server.stop()).toBe(0);
    });
    for (const original of loadConformanceCases()) {
      test(`${original.name} ${original.title}`, async () => {
        // A case that expects silence on an open connection is followed by a GET, whose lone answer proves both.
        const c =
          original.close || original.responses.length > 0
            ? original
            : {
                ...original,
                input: new Uint8Array([...original.input, ...new TextEncoder().encode(GET)]),
                responses: [{ statuses: [200], optional: false, noBody: false }],
              };
        const plan = noBodyPlan(c.responses);
        // Done when the expected answers are all here (open cases); close cases wait for the close.
        const enough = (bytes: Uint8Array) => {
          if (c.close) return false;
          try {
            const { responses: got, used } = parseResponses(bytes, plan);
            return used === bytes.length && matchStatuses(statuses(got), c.responses) === null;
          } catch {
            return false;
          }
        };
        const { received, closed } = await exchange(server.port, c.input, enough, 4000);
        expect(checkOutcome(c, received, closed)).toEqual([]);
      });
    }
  });
}
