// The `ws` package as a client, run by Node (Bun swaps `ws` for its own client): echoes text,
// binary, a fragmented message, 1 MiB, and one byte over 1 MiB (expecting close 1009) against
// the URL in argv[2]. Prints one JSON line of results.
import WebSocket from "ws";
import { randomBytes } from "node:crypto";

const url = process.argv[2];
const ws = new WebSocket(url, { maxPayload: 8 << 20 });
const queue = [];
let waiter = null;
ws.on("message", (data, isBinary) => {
  const m = { data: Buffer.from(data), isBinary };
  if (waiter) {
    const w = waiter;
    waiter = null;
    w(m);
  } else queue.push(m);
});
const next = () => (queue.length > 0 ? Promise.resolve(queue.shift()) : new Promise((r) => (waiter = r)));
const closed = new Promise((resolve) => ws.on("close", (code) => resolve(code)));
ws.on("error", () => {});
await new Promise((resolve, reject) => {
  ws.once("open", resolve);
  ws.once("error", reject);
});

const results = {};
const same = (m, bytes, binary) => m.isBinary === binary && m.data.equals(bytes);

ws.send("héllo, wörld");
results.text = same(await next(), Buffer.from("héllo, wörld"), false);

const bin = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
ws.send(bin, { binary: true });
results.binary = same(await next(), bin, true);

ws.send("frag", { fin: false });
ws.send("men", { fin: false });
ws.send("ted", { fin: true });
results.fragmented = same(await next(), Buffer.from("fragmented"), false);

const big = randomBytes(1 << 20);
ws.send(big, { binary: true });
results.mebibyte = same(await next(), big, true);

ws.send(randomBytes((1 << 20) + 1), { binary: true });
results.overCloseCode = await closed;
console.log(JSON.stringify(results));
