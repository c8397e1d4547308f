/**
 * The HTTP/2 load of test/spawner/rolling-driver.ts (`--load h2`): two loads over h2c at once for
 * the whole run.
 *   - h2load (-D, 8 connections × 8 streams): its succeeded / failed / errored counts. h2load
 *     does not say why a stream failed, so this is the figure, not the proof;
 *   - an accounting client (node:http2 in a child process, 4 connections × 8 streams): each
 *     stream ends answered (200), told to retry (RST_STREAM REFUSED_STREAM, or an id above the
 *     last stream id of a GOAWAY it got: RFC 9113 §6.8 says those were not processed), or lost
 *     (anything else). On a GOAWAY it opens its next connection, as a client should.
 * h2-rolling.test.ts runs it.
 */
import { spawn } from "node:child_process";
import type { RollingLoad } from "../spawner/rolling-driver.ts";

/** The accounting client prints one dot a line per this many answers: the only progress it reports. */
const ANSWERS_PER_DOT = 500;

/** The accounting client: runs until its stdin closes, then prints its counts. */
const CLIENT = `
const http2 = require("node:http2");
const [url, conns, depth] = [process.argv[1], Number(process.argv[2]), Number(process.argv[3])];
const out = { ok: 0, retried: 0, retriedSample: [], lost: [], sessions: 0, goaways: 0 };
let stopping = false, open = 0;
process.stdin.resume();
process.stdin.on("end", () => { stopping = true; if (open === 0) done(); });
function done() { console.log(JSON.stringify(out)); process.exit(0); }
// A line of one dot per ${ANSWERS_PER_DOT} answers: the driver paces its restarts on them.
function session() {
  if (stopping) return;
  out.sessions++; open++;
  const s = http2.connect(url);
  let last = 2 ** 31 - 1, replaced = false, inflight = 0;
  const replace = () => { if (!replaced) { replaced = true; session(); } };
  s.on("goaway", (code, lastId) => { out.goaways++; last = Math.min(last, lastId); replace(); });
  s.on("error", () => {});
  s.on("close", () => { open--; replace(); if (stopping && open === 0) done(); });
  const one = () => {
    if (stopping || replaced || s.closed || s.destroyed) { if (inflight === 0 && !s.closed) s.close(); return; }
    let req;
    try { req = s.request({ ":path": "/" }); } catch { return replace(); }
    inflight++;
    let status = 0;
    req.on("response", (h) => (status = h[":status"]));
    req.on("error", () => {});
    req.resume();
    req.on("close", () => {
      inflight--;
      if (status === 200 && req.rstCode === 0) { if (++out.ok % ${ANSWERS_PER_DOT} === 0) process.stdout.write(".\\n"); }
      else if (req.rstCode === http2.constants.NGHTTP2_REFUSED_STREAM || (req.id !== undefined && req.id > last)) { out.retried++; if (out.retriedSample.length < 4) out.retriedSample.push({ id: req.id, status, rstCode: req.rstCode, last }); }
      else out.lost.push({ id: req.id, status, rstCode: req.rstCode, last });
      one();
    });
  };
  for (let i = 0; i < depth; i++) one();
}
for (let i = 0; i < conns; i++) session();
`;

interface H2loadCounts {
  total: number;
  succeeded: number;
  failed: number;
  errored: number;
}

function parseH2load(text: string): H2loadCounts | null {
  const m = /requests: (\d+) total, \d+ started, \d+ done, (\d+) succeeded, (\d+) failed, (\d+) errored/.exec(text);
  return m === null ? null : { total: Number(m[1]), succeeded: Number(m[2]), failed: Number(m[3]), errored: Number(m[4]) };
}

/**
 * Starts both clients against `port`; h2load runs for a fixed time long enough for `restarts`
 * restarts (each takes well under a second on an idle machine), and `stop` waits for it to end
 * before it stops the accounting client.
 */
export function h2RollingLoad(port: number, restarts: number): RollingLoad {
  const url = `http://127.0.0.1:${port}`;
  const accounting = spawn("node", ["-e", CLIENT, url, "4", "8"], { stdio: ["pipe", "pipe", "pipe"] });
  let clientOut = "";
  accounting.stdout!.setEncoding("utf8").on("data", (c: string) => (clientOut += c));
  const clientDone = new Promise<void>((r) => accounting.once("close", () => r()));
  const seconds = 3 + 2 * restarts;
  const h2load = spawn("h2load", ["-D", String(seconds), "-c", "8", "-m", "8", `${url}/`], { stdio: ["ignore", "pipe", "pipe"] });
  let h2loadOut = "";
  h2load.stdout!.setEncoding("utf8").on("data", (c: string) => (h2loadOut += c));
  const h2loadDone = new Promise<void>((r) => h2load.once("close", () => r()));
  return {
    answered: () => (clientOut.split(".").length - 1) * ANSWERS_PER_DOT,
    step: 2 * ANSWERS_PER_DOT,
    stop: async () => {
      await h2loadDone;
      accounting.stdin!.end();
      const killer = setTimeout(() => accounting.kill("SIGKILL"), 10_000);
      await clientDone;
      clearTimeout(killer);
      return {
        h2load: parseH2load(h2loadOut),
        h2loadOutput: h2loadOut.split("\n").filter((l) => /^(requests|status codes|finished)/.test(l)),
        client: JSON.parse(clientOut.trim().split("\n").at(-1) ?? "null"),
      };
    },
  };
}
