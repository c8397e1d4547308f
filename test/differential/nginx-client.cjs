// Sends each input to nginx on its own connection, then FIN, and reports what
// came back: run by `node` (its sockets; under `bun test` the same loop ran
// 10x slower), driven by test/differential/nginx.ts with oracle.ts's framing:
// stdin frames of [u32le length][bytes], stdout one JSON line each:
//   {"text": "<everything nginx sent, latin1>"}
"use strict";
const { connect } = require("node:net");
const { readFrames } = require("./frames.cjs");
const port = Number(process.argv[2]);

function answer(input) {
  return new Promise((resolve) => {
    const chunks = [];
    const s = connect({ port, host: "127.0.0.1", allowHalfOpen: true });
    const timer = setTimeout(() => s.destroy(), 3000);
    s.on("data", (b) => chunks.push(b));
    s.on("error", () => {});
    s.on("close", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString("latin1"));
    });
    s.on("connect", () => s.end(input));
  });
}

let chain = Promise.resolve();
readFrames((inputs) => {
  for (const input of inputs) chain = chain.then(() => answer(input)).then((text) => process.stdout.write(JSON.stringify({ text }) + "\n"));
});
process.stdin.on("end", () => chain.then(() => process.exit(0)));
