/**
 * nginx as the second oracle, when installed: it gives no byte offsets, only
 * what a client sees, so each input goes on a fresh connection followed by
 * the client's FIN (both servers answer what was asked, then close), and the
 * answers are compared as a sequence: requests served, then refused or not.
 * nginx serves the same `return 200 "hello"` configuration the benchmark uses.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nginxCommand } from "../../bench/lib/servers/nginx.ts";
import { waitForPort } from "../helpers/server.ts";
import { NodeScript } from "./oracle.ts";

export function findNginx(): string | null {
  for (const bin of ["/usr/sbin/nginx", "nginx"]) {
    if (spawnSync(bin, ["-v"], { stdio: "ignore" }).status === 0) return bin;
  }
  return null;
}

/** "200 200 refused": a 2xx per served request, then "refused" for a 4xx/5xx. */
export function answersOf(text: string): string {
  const out: string[] = [];
  for (const m of text.matchAll(/HTTP\/1\.[01] (\d{3}) /g)) {
    const status = Number(m[1]);
    if (status === 100) continue;
    out.push(status >= 400 ? "refused" : "200");
    if (status >= 400) break;
  }
  return out.join(" ");
}

export interface NginxAnswers {
  /** See {@link answersOf}. */
  answers: string;
  /** nginx's last answer said Connection: close: it ended the connection by its own choice. */
  closes: boolean;
}

export const NginxOutcome = { AGREE: "agree", FRAMING: "framing", LENIENT: "lenient", STRICT: "strict", EARLY: "early" } as const;

/**
 * Compares hello-server's answers with nginx's. nginx answers `return 200` as soon as a head
 * is complete (it discards the body afterwards), so an input whose last body is still
 * arriving for hello-server is answered once more by nginx: that is EARLY, not a disagreement.
 * A FRAMING disagreement is one side answering a request the other did not see, with no
 * refusal and no close to explain it.
 */
export function compareWithNginx(hello: string, helloIncomplete: boolean, nginx: NginxAnswers): { outcome: string; cls: string } {
  if (hello === nginx.answers) return { outcome: NginxOutcome.AGREE, cls: "" };
  const hs = hello.split(" ").filter(Boolean);
  const ns = nginx.answers.split(" ").filter(Boolean);
  let k = 0;
  while (k < hs.length && k < ns.length && hs[k] === ns[k]) k++;
  const h = hs[k];
  const n = ns[k];
  if (h === "200" && n === "refused") return { outcome: NginxOutcome.LENIENT, cls: `nginx refuses request ${k + 1}` };
  if (h === "refused" && n === "200") return { outcome: NginxOutcome.STRICT, cls: `hello-server refuses request ${k + 1}` };
  if (h === undefined && n === "200") return helloIncomplete ? { outcome: NginxOutcome.EARLY, cls: "" } : { outcome: NginxOutcome.FRAMING, cls: `nginx answers request ${k + 1}, hello-server saw no such request` };
  if (h === "200" && n === undefined) return nginx.closes ? { outcome: NginxOutcome.LENIENT, cls: "nginx closes the connection" } : { outcome: NginxOutcome.FRAMING, cls: `hello-server answers request ${k + 1}, nginx saw no such request` };
  // One side refuses where the other waits for the rest of an unfinished request: both refuse it.
  return { outcome: NginxOutcome.AGREE, cls: "" };
}

export class NginxOracle {
  private constructor(
    private readonly child: ChildProcess,
    private readonly dir: string,
    readonly port: number,
  ) {}

  static async start(bin: string, port: number): Promise<NginxOracle> {
    const dir = mkdtempSync(join(tmpdir(), "hello-diff-nginx-"));
    const [cmd, ...args] = nginxCommand(bin, dir, port, 1);
    const child = spawn(cmd!, args, { stdio: "ignore" });
    try {
      await waitForPort(port, 5000);
    } catch (e) {
      child.kill("SIGKILL");
      const log = existsSync(join(dir, "error.log")) ? readFileSync(join(dir, "error.log"), "utf8").slice(-500) : "";
      throw new Error(`nginx did not listen on ${port}: ${(e as Error).message}; error.log: ${log}`);
    }
    return new NginxOracle(child, dir, port);
  }

  /** nginx's answers to each input, sent in one write on its own connection, then FIN. */
  async answers(inputs: readonly Uint8Array[]): Promise<NginxAnswers[]> {
    const client = new NodeScript<{ text: string }>("nginx-client.cjs", [String(this.port)]);
    try {
      return (await client.verdicts(inputs)).map(({ text }) => {
        const last = text.lastIndexOf("HTTP/1.");
        return { answers: answersOf(text), closes: last !== -1 && /\r\nConnection: close\r\n/i.test(text.slice(last, text.indexOf("\r\n\r\n", last) + 2)) };
      });
    } finally {
      await client.close();
    }
  }

  async stop(): Promise<void> {
    const exited = new Promise((r) => this.child.once("exit", r));
    this.child.kill("SIGTERM");
    await exited;
    rmSync(this.dir, { recursive: true, force: true });
  }
}
