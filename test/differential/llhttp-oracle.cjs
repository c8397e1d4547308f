// The oracle of the differential fuzzer: Node's own HTTP parser, llhttp, in
// strict mode (no lenient flags: what `insecureHTTPParser: false` gives every
// node:http server). Run by `node`, never by Bun (whose node:http is not
// llhttp): test/differential/oracle.ts spawns it.
//
// Protocol: stdin is a stream of frames, each a 4-byte little-endian length
// and that many bytes of one input; stdout gets one JSON line per frame:
//   {"m":[[headEnd,end],...],"end":"complete"|"incomplete"|"refused"|"closed"|"upgrade",
//    "at":offset,"code":"HPE_...","reason":"...","head":partialHeadEnd}
// Bytes are fed one per execute() so every callback's byte offset is exact:
// llhttp fires on_headers_complete on the blank line's LF and
// on_message_complete on a message's last byte.
"use strict";
const { HTTPParser } = require("_http_common");
const { readFrames } = require("./frames.cjs");

function verdict(input) {
  const parser = new HTTPParser();
  parser.initialize(HTTPParser.REQUEST, {}, 0, HTTPParser.kLenientNone);
  const messages = [];
  let pos = 0;
  let head = -1;
  let keep = true;
  let upgrade = false;
  parser[HTTPParser.kOnHeaders] = () => {};
  parser[HTTPParser.kOnHeadersComplete] = (_maj, _min, _h, _method, _url, _sc, _sm, up, keepAlive) => {
    head = pos + 1;
    keep = keepAlive;
    upgrade = up;
    return 0;
  };
  parser[HTTPParser.kOnBody] = () => {};
  parser[HTTPParser.kOnMessageComplete] = () => {
    messages.push([head, pos + 1]);
    head = -1;
  };
  parser[HTTPParser.kOnExecute] = () => {};
  const out = { m: messages, end: "complete" };
  for (pos = 0; pos < input.length; pos++) {
    const before = messages.length;
    const r = parser.execute(input.subarray(pos, pos + 1));
    if (r instanceof Error) {
      if (r.code === "HPE_CLOSED_CONNECTION" || (messages.length > 0 && !keep && head === -1)) out.end = "closed";
      else out.end = "refused";
      out.at = pos;
      out.code = r.code;
      out.reason = r.reason;
      break;
    }
    // An Upgrade (or CONNECT) request: Node's binding stops reporting errors once llhttp
    // flags it (the rest belongs to the 'upgrade' handler), so llhttp's HTTP ends at its head.
    if (upgrade && head !== -1) {
      out.end = "upgrade";
      out.head = head;
      break;
    }
    if (messages.length > before) {
      // llhttp hands the bytes after an upgrade (or CONNECT) to the application: no more HTTP.
      if (upgrade) {
        out.end = "upgrade";
        break;
      }
      if (!keep) {
        out.end = "closed";
        break;
      }
    }
  }
  if (out.end === "complete") {
    const f = parser.finish();
    if (f instanceof Error || head !== -1) {
      out.end = "incomplete";
      if (head !== -1) out.head = head;
    }
  }
  parser.close();
  return out;
}

readFrames((inputs) => process.stdout.write(inputs.map((input) => JSON.stringify(verdict(input))).join("\n") + "\n"));
process.stdin.on("end", () => process.exit(0));
