/**
 * Two kinds of client at once against one server: "refused" clients whose request the server
 * refuses with a 400 and a half-close (the lingering close of RFC 9112 §9.6), and which close
 * their end as soon as the answer arrives; and keep-alive clients that ask three requests each on
 * fresh connections. The refused ones make the server shut down and close sockets while new ones
 * are accepted, so a half-close aimed at a closed descriptor lands on whichever connection took its
 * number next: a keep-alive client then sees its connection end early. Bounded: `rounds` each.
 */
import { connect } from "node:net";

const REFUSED = "GET / HTTP/1.1\r\n\r\nGET / HTTP/1.1\r\n\r\n"; // no Host (RFC 9112 §3.2): 400, more bytes behind it
const GET = "GET / HTTP/1.1\r\nHost: a\r\n\r\n";
const PER_CONNECTION = 3;

export interface HalfCloseLoadResult {
  /** Keep-alive connections that got all their answers. */
  served: number;
  /** Keep-alive connections that ended (FIN, reset) before their last answer, with what they saw. */
  cut: string[];
}

function refusedClient(port: number): Promise<void> {
  return new Promise((resolve) => {
    const s = connect({ port, host: "127.0.0.1" }, () => s.write(REFUSED));
    s.on("data", () => s.destroy());
    s.on("error", () => undefined);
    s.on("close", () => resolve());
  });
}

function keepAliveClient(port: number, body: string, result: HalfCloseLoadResult): Promise<void> {
  return new Promise((resolve) => {
    const s = connect({ port, host: "127.0.0.1", allowHalfOpen: true }, () => s.write(GET));
    let got = "";
    let answers = 0;
    let done = false;
    const finish = (why: string | null): void => {
      if (done) return;
      done = true;
      if (why === null) result.served++;
      else result.cut.push(`${why} after ${answers} answers`);
      s.destroy();
      resolve();
    };
    s.on("data", (d: Buffer) => {
      got += d.toString("latin1");
      // One answer is whole when the text ends with the body (the server's answers are all the same).
      if (!got.endsWith(body)) return;
      answers = got.split("HTTP/1.1 200 ").length - 1;
      if (answers >= PER_CONNECTION) finish(null);
      else s.write(GET);
    });
    s.on("end", () => finish("FIN"));
    s.on("error", (e) => finish(e.message));
  });
}

export async function halfCloseLoad(port: number, rounds: number, lanes = 8, body = "hello"): Promise<HalfCloseLoadResult> {
  const result: HalfCloseLoadResult = { served: 0, cut: [] };
  const lane = async (one: () => Promise<void>): Promise<void> => {
    for (let i = 0; i < rounds; i++) await one();
  };
  await Promise.all([
    ...Array.from({ length: lanes }, () => lane(() => refusedClient(port))),
    ...Array.from({ length: lanes }, () => lane(() => keepAliveClient(port, body, result))),
  ]);
  return result;
}
