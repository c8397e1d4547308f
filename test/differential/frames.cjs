// The framing both oracle scripts read from stdin (oracle.ts writes it): each
// input as a 4-byte little-endian length and that many bytes. Calls
// `onBatch(inputs)` with every complete frame of a read, in order.
"use strict";

function readFrames(onBatch) {
  let buffered = Buffer.alloc(0);
  process.stdin.on("data", (chunk) => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    const inputs = [];
    let off = 0;
    while (buffered.length - off >= 4) {
      const n = buffered.readUInt32LE(off);
      if (buffered.length - off - 4 < n) break;
      inputs.push(Buffer.from(buffered.subarray(off + 4, off + 4 + n)));
      off += 4 + n;
    }
    buffered = buffered.subarray(off);
    if (inputs.length > 0) onBatch(inputs);
  });
}

module.exports = { readFrames };
