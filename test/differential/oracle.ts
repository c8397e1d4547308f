/**
 * Drives a script in a `node` child process: inputs go out as length-prefixed
 * frames, results come back one JSON line each, in order. LlhttpOracle runs
 * llhttp-oracle.cjs (real Node, so real llhttp, whatever runtime runs the tests).
 */
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { join } from "node:path";
import type { Verdict } from "./verdict.ts";

export class NodeScript<T> {
  private readonly child: ChildProcessWithoutNullStreams;
  private waiting: Array<(v: T) => void> = [];
  private partial = "";
  private failed: Error | null = null;

  constructor(script: string, args: readonly string[] = [], node = process.env.NODE ?? "node") {
    this.child = spawn(node, [join(import.meta.dir, script), ...args], { stdio: ["pipe", "pipe", "pipe"] });
    this.child.stdout.setEncoding("utf8");
    this.child.stdout.on("data", (text: string) => {
      const lines = (this.partial + text).split("\n");
      this.partial = lines.pop()!;
      for (const line of lines) this.waiting.shift()?.(JSON.parse(line) as T);
    });
    let stderr = "";
    this.child.stderr.on("data", (d) => (stderr += String(d)));
    this.child.on("exit", (code) => {
      if (this.waiting.length > 0) this.failed = new Error(`${script} exited with ${code}: ${stderr.slice(0, 500)}`);
    });
  }

  /** Results for a batch, in order. */
  verdicts(inputs: readonly Uint8Array[]): Promise<T[]> {
    if (this.failed) return Promise.reject(this.failed);
    const promises = inputs.map((_) => new Promise<T>((resolve) => this.waiting.push(resolve)));
    let size = 0;
    for (const b of inputs) size += 4 + b.length;
    const frame = Buffer.alloc(size);
    let o = 0;
    for (const b of inputs) {
      frame.writeUInt32LE(b.length, o);
      frame.set(b, o + 4);
      o += 4 + b.length;
    }
    this.child.stdin.write(frame);
    return Promise.all(promises);
  }

  close(): Promise<void> {
    return new Promise((resolve) => {
      this.child.on("close", () => resolve());
      this.child.stdin.end();
    });
  }
}

/** llhttp, strict, in real Node. */
export class LlhttpOracle extends NodeScript<Verdict> {
  constructor() {
    super("llhttp-oracle.cjs");
  }
}
