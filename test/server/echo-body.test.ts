/**
 * Echo shows the request body (--echo-max-body), against the real server on every runtime × back
 * end: a UTF-8 body as text, a binary one as base64, a chunked one (split across writes, in
 * several chunks) as the bytes it decodes to, one past the limit as its first bytes with
 * `bodyTruncated` and its whole length, the text layout, HTTP/2 (h2c by prior knowledge), and a
 * pipelined chunked request to another path still answered as before. Needs dist/hello-server.js.
 */
import { afterAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { connect } from "node:net";
import { assertBundle, selectedRuntimes, startServer, stopAll } from "../helpers/server.ts";

assertBundle();
afterAll(stopAll);

const LIMIT = 16;

interface Echoed {
  bodyLength: number;
  body: string | null;
  bodyEncoding: string | null;
  bodyTruncated: boolean;
}

/** Writes each of `parts` (one write each, a turn apart) and resolves with all that came back once the server closes (bounded by 5 s). */
function raw(port: number, parts: readonly (string | Uint8Array)[]): Promise<string> {
  return new Promise((resolve, reject) => {
    let reply = "";
    const socket = connect(port, "127.0.0.1", async () => {
      for (const p of parts) {
        // Strings are octets here (latin1), so that "\xc3\xb6" is two bytes, not four.
        socket.write(typeof p === "string" ? Buffer.from(p, "latin1") : p);
        await new Promise((r) => setImmediate(r));
      }
    });
    socket.on("data", (d: Buffer) => (reply += d.toString("latin1")));
    socket.on("error", reject);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no close within 5 s; got ${JSON.stringify(reply)}`));
    }, 5000);
    socket.on("close", () => {
      clearTimeout(timer);
      resolve(reply);
    });
  });
}

/** The JSON body of each answer in `text` (answers framed with Content-Length). */
function jsonBodies(text: string): Echoed[] {
  const out: Echoed[] = [];
  let rest = text;
  while (rest.length > 0) {
    const headEnd = rest.indexOf("\r\n\r\n");
    const length = Number(/\r\nContent-Length: (\d+)/i.exec(rest.slice(0, headEnd))![1]);
    const body = rest.slice(headEnd + 4, headEnd + 4 + length);
    out.push(body.startsWith("{") ? (JSON.parse(body) as Echoed) : ({ body } as Echoed));
    rest = rest.slice(headEnd + 4 + length);
  }
  return out;
}

async function post(port: number, body: Uint8Array | string, headers: Record<string, string> = {}): Promise<Echoed> {
  const res = await fetch(`http://127.0.0.1:${port}/echo`, { method: "POST", body, headers });
  expect(res.status).toBe(200);
  return (await res.json()) as Echoed;
}

for (const runtime of selectedRuntimes()) {
  describe(runtime.label, () => {
    test("echo shows the body: UTF-8 as text, else base64; chunked; truncated past --echo-max-body; text layout; HTTP/2", async () => {
      const server = await startServer(runtime, ["--echo-path", "/echo", "--echo-max-body", String(LIMIT)]);
      try {
        const port = server.port;
        expect(await post(port, "grüezi")).toMatchObject({ bodyLength: 7, body: "grüezi", bodyEncoding: "utf-8", bodyTruncated: false });
        const binary = new Uint8Array([0, 1, 2, 0xfe, 0xff, 0x80]);
        expect(await post(port, binary)).toMatchObject({ bodyLength: 6, body: Buffer.from(binary).toString("base64"), bodyEncoding: "base64", bodyTruncated: false });
        // 20 bytes against a limit of 16: the first 16 (the ü cut after its first byte is held back, not base64).
        const long = "abcdefghijklmnoüxyz";
        expect(await post(port, long)).toMatchObject({ bodyLength: 20, body: "abcdefghijklmno", bodyEncoding: "utf-8", bodyTruncated: true });
        const empty = await (await fetch(`http://127.0.0.1:${port}/echo`)).json();
        expect(empty).toMatchObject({ bodyLength: 0, body: "", bodyEncoding: "utf-8", bodyTruncated: false });

        // Chunked, split inside a chunk-size line and inside chunk-data, with an extension and a trailer;
        // then a chunked request to another path and a last echo, pipelined on the same connection.
        const replies = jsonBodies(
          await raw(port, [
            "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n",
            "5\r\nhel",
            "lo\r\n1",
            ";ext=1\r\n \r\n6\r\nw\xc3\xb6rld\r\n0\r\nX-Trailer: t\r\n\r\n",
            "POST /other HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nskip\r\n0\r\n\r\n",
            "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok",
          ]),
        );
        expect(replies).toHaveLength(3);
        expect(replies[0]).toMatchObject({ bodyLength: 12, body: "hello wörld", bodyEncoding: "utf-8", bodyTruncated: false });
        expect(replies[1]!.body).toBe("hello");
        expect(replies[2]).toMatchObject({ bodyLength: 2, body: "ok" });
        // A chunked binary body past the limit.
        const [big] = jsonBodies(
          await raw(port, ["POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n", `14\r\n${"\xff".repeat(20)}\r\n0\r\n\r\n`]),
        );
        expect(big).toMatchObject({ bodyLength: 20, body: Buffer.alloc(LIMIT, 0xff).toString("base64"), bodyEncoding: "base64", bodyTruncated: true });

        const text = await (await fetch(`http://127.0.0.1:${port}/echo?format=text`, { method: "POST", body: "line one" })).text();
        expect(text).toEndWith("\nBody-Length: 8\nBody-Encoding: utf-8\n\nline one\n");
        const cut = await (await fetch(`http://127.0.0.1:${port}/echo?format=text`, { method: "POST", body: "x".repeat(LIMIT + 1) })).text();
        expect(cut).toEndWith(`\nBody-Length: ${LIMIT + 1}\nBody-Encoding: utf-8\nBody-Truncated: true\n\n${"x".repeat(LIMIT)}\n`);

        const h2 = spawnSync("curl", ["-sS", "--max-time", "5", "--http2-prior-knowledge", "--data-binary", "über h2", `http://127.0.0.1:${port}/echo`], { encoding: "utf8" });
        expect(h2.stderr).toBe("");
        expect(JSON.parse(h2.stdout)).toMatchObject({ version: "HTTP/2", bodyLength: 8, body: "über h2", bodyEncoding: "utf-8", bodyTruncated: false });
      } finally {
        await server.stop();
      }
    }, 30_000);
  });
}
