// The `ws` package as a client, run by Node: stays silent and waits for argv[3] pings from the
// server at argv[2] (the client answers each with a pong, as §5.5.2 requires), then closes 1000.
// Prints one JSON line: how many pings came and their payloads' lengths.
import WebSocket from "ws";

const [url, wanted] = [process.argv[2], Number(process.argv[3])];
const ws = new WebSocket(url);
const lengths = [];
ws.on("error", (e) => {
  console.error(String(e));
  process.exit(1);
});
ws.on("ping", (data) => {
  lengths.push(data.length);
  if (lengths.length === wanted) ws.close(1000);
});
const code = await new Promise((resolve) => ws.on("close", (c) => resolve(c)));
console.log(JSON.stringify({ pings: lengths.length, payloadLengths: lengths, closeCode: code }));
