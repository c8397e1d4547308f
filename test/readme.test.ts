/**
 * The README's commands work: the fenced blocks marked `<!-- readme-test: NAME -->` are
 * read from README.md and run, or checked against what runs them elsewhere:
 *
 *   quick-start    `npm install` is what .ci/run runs; `npm start` runs for real and the
 *                  `curl` line gets the answer its comment says, on the address it claims
 *   run            `npm run build` is the build `npm test` did; every runtime line serves
 *   compare-quick  is the command test/bench/compare-quick.test.ts runs (it is run once, there)
 *
 * Only the port changes (PORT=<free port>, and the same in the curl line): 8000 may be taken
 * on a shared machine. Also: the flags table agrees with `--help`; every relative link in
 * README.md and docs/*.md (with its #anchor) leads somewhere; and every command in them names
 * scripts that exist and flags its program has.
 * Needs the build `npm test` makes first (dist/hello-server.js, ./hello-server).
 */
import { describe, expect, test } from "bun:test";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { hostHasIPv6 } from "../src/ipv6.ts";
import { COMPARE_QUICK } from "./bench/quick.ts";
import { freePort } from "../bench/lib/servers/host.ts";

const ROOT = resolve(import.meta.dir, "..");
const README = readFileSync(join(ROOT, "README.md"), "utf8");
const PACKAGE = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { scripts: Record<string, string> };
const BUN = join(ROOT, "node_modules", ".bin", "bun");

interface Command {
  /** The command as a user types it. */
  line: string;
  /** Its comment, after `#`: for a request, the body it answers. */
  comment: string;
}

/** The commands of the sh block after `<!-- readme-test: name -->`. */
function block(name: string): Command[] {
  const m = new RegExp(`<!-- readme-test: ${name} -->\\n\`\`\`sh\\n([\\s\\S]*?)\`\`\``).exec(README);
  if (m === null) throw new Error(`README.md has no \`\`\`sh block marked <!-- readme-test: ${name} -->`);
  return m[1]!.trim().split("\n").map((l) => {
    const at = l.search(/\s#\s/);
    return at < 0 ? { line: l.trim(), comment: "" } : { line: l.slice(0, at).trim(), comment: l.slice(at).replace(/^\s#\s/, "").trim() };
  });
}

const LISTENING = /hello-server listening on (http:\/\/\S+) \(([^)]*)\)/;

interface Started {
  child: ChildProcess;
  url: string;
  /** What the listening line says in brackets: dual-stack or not, runtime, back end, pid. */
  details: string;
}

/** Runs `argv` in its own process group with `env` added; resolves at its listening line. */
async function startListening(argv: string[], env: Record<string, string>, timeoutMs: number): Promise<Started> {
  const child = spawn(argv[0]!, argv.slice(1), { cwd: ROOT, env: { ...process.env, ...env }, detached: true, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stopGroup(child);
      reject(new Error(`${argv.join(" ")}: no listening line in ${timeoutMs} ms:\n${out.slice(-2000)}`));
    }, timeoutMs);
    const seen = (chunk: Buffer) => {
      out += chunk.toString();
      const m = LISTENING.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1]!, details: m[2]! });
      }
    };
    child.stdout!.on("data", seen);
    child.stderr!.on("data", seen);
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${argv.join(" ")} exited (${code}) before listening:\n${out.slice(-2000)}`));
    });
  });
}

/** SIGTERM to the whole group (npm, its shell, the supervisor, the workers); resolves with the leader's exit. */
async function stopGroup(child: ChildProcess): Promise<number | string> {
  const exited = new Promise<number | string>((r) =>
    child.exitCode !== null || child.signalCode !== null ? r(child.exitCode ?? child.signalCode!) : child.once("exit", (code, signal) => r(code ?? signal ?? "?")),
  );
  try {
    process.kill(-child.pid!, "SIGTERM");
  } catch {
    // already gone
  }
  const code = await exited;
  try {
    process.kill(-child.pid!, "SIGKILL"); // anything of the group still there after the leader left
  } catch {
    // ESRCH: the whole group is gone
  }
  return code;
}

describe("README quick start", () => {
  const commands = block("quick-start");

  test("npm install and npm test are what CI runs on a fresh clone", () => {
    expect(commands[0]!.line).toBe("npm install");
    const ci = readFileSync(join(ROOT, ".ci/run"), "utf8");
    expect(ci).toMatch(/^npm install\b/m);
    expect(ci).toMatch(/^npm test$/m);
    expect(README).toContain("`npm test`");
  });

  test("npm start serves on :: (dual-stack) and the curl line gets its answer", async () => {
    expect(commands.map((c) => c.line.split(" ")[0])).toEqual(["npm", "npm", "curl"]);
    expect(commands[1]!.line).toBe("npm start");
    expect(commands[1]!.comment).toContain(":: dual-stack");
    const curl = commands[2]!;
    expect(curl.line).toContain(":8000/");
    const port = await freePort();
    const server = await startListening(["npm", "start"], { PORT: String(port) }, 60_000);
    try {
      // The quick start's claim: `::`, one socket for IPv6 and IPv4, where the host has IPv6.
      if (hostHasIPv6()) {
        expect(server.url).toBe(`http://[::]:${port}`);
        expect(server.details).toStartWith("dual-stack");
      } else {
        expect(server.url).toBe(`http://0.0.0.0:${port}`);
      }
      const argv = curl.line.replace(":8000/", `:${port}/`).split(" ");
      const got = spawnSync(argv[0]!, [...argv.slice(1), "-s", "-m", "5"], { cwd: ROOT, encoding: "utf8" });
      expect({ status: got.status, body: got.stdout }).toEqual({ status: 0, body: curl.comment });
    } finally {
      await stopGroup(server.child);
    }
  }, 90_000);
});

describe("README: running it on each runtime", () => {
  const [build, ...runs] = block("run");

  test("npm run build is the build npm test makes first", () => {
    expect(build!.line).toBe("npm run build");
    expect(PACKAGE.scripts.build).toBe("bun build.ts");
    expect(PACKAGE.scripts.test).toContain("bun build.ts &&");
  });

  test("one line per runtime and the single executable", () => {
    expect(runs.map((r) => r.comment.split(" ")[0])).toEqual(["Bun", "Deno", "Node", "single"]);
  });

  for (const run of runs) {
    test(`${run.line} serves`, async () => {
      const argv = run.line.split(/\s+/);
      const file = argv.find((a) => a.startsWith("dist/") || a.startsWith("./"));
      if (file !== undefined && !existsSync(join(ROOT, file))) throw new Error(`${file} is missing: run \`npm run build\` first (npm test builds it)`);
      const port = await freePort();
      const server = await startListening(argv, { PORT: String(port), WORKERS: "1" }, 30_000);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/`);
        expect(await res.text()).toBe("hello");
      } finally {
        expect(await stopGroup(server.child)).toBe(0);
      }
    }, 60_000);
  }
});

test("README: the compare quick run is the one test/bench/compare-quick.test.ts runs", () => {
  const [quick] = block("compare-quick");
  const m = /^npm run (\S+) -- (.*)$/.exec(quick!.line);
  expect(m).not.toBeNull();
  const argv = [...PACKAGE.scripts[m![1]!]!.split(" "), ...m![2]!.split(" ")];
  expect(argv).toEqual(["bun", ...COMPARE_QUICK]);
});

describe("README flags table and --help", () => {
  const help = spawnSync(BUN, [join(ROOT, "src/main.ts"), "--help"], { cwd: ROOT, encoding: "utf8" }).stdout;
  const flagsIn = (text: string) => new Set(Array.from(text.matchAll(/(?:^|[\s`])(--[a-z][a-z-]*)/g), (m) => m[1]!));
  const section = /\n## Flags\n([\s\S]*?)\n## /.exec(README)?.[1] ?? "";
  const rows = section.split("\n").filter((l) => l.startsWith("| `--"));

  test("every flag in the table is a flag --help lists, with the same variable", () => {
    expect(help).toStartWith("hello-server ");
    expect(rows.length).toBeGreaterThan(10);
    const helpFlags = flagsIn(help);
    for (const row of rows) {
      const [flagCell, envCell] = row.split(" | ");
      for (const flag of flagsIn(flagCell!)) expect(helpFlags.has(flag), `${flag} (README) is not in --help`).toBe(true);
      const env = /`([A-Z_]+)`/.exec(envCell ?? "")?.[1];
      if (env !== undefined) expect(help, `${flagCell}: variable ${env}`).toContain(`[${env}`);
    }
  });

  test("every flag of --help's main list has a row", () => {
    const main = /\nFlags \(.*\n([\s\S]*?)\n\n/.exec(help)?.[1];
    expect(main).toBeDefined();
    const inTable = flagsIn(rows.map((r) => r.split(" | ")[0]).join(" "));
    for (const flag of Array.from(main!.matchAll(/^ {2}(--[a-z][a-z-]*)/gm), (m) => m[1]!)) {
      expect(inTable.has(flag), `${flag} (--help) has no row in README's flags table`).toBe(true);
    }
  });
});

/** GitHub's anchor for a heading: lower case, punctuation dropped, spaces to hyphens. */
function slug(heading: string): string {
  return heading.trim().toLowerCase().replace(/[^\p{L}\p{N}\s_-]/gu, "").replace(/\s/g, "-");
}

test("README.md is under 300 lines, and every relative link in it and in docs/ leads somewhere", () => {
  expect(README.split("\n").length).toBeLessThan(300);
  const files = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
  const broken: string[] = [];
  for (const file of files) {
    const text = readFileSync(join(ROOT, file), "utf8").replace(/```[\s\S]*?```/g, "");
    for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
      if (/^[a-z]+:/.test(target!)) continue; // https:, mailto:
      const [path, anchor] = target!.split("#");
      const to = path === "" ? join(ROOT, file) : resolve(ROOT, dirname(file), path!);
      if (!existsSync(to)) broken.push(`${file}: ${target} (no such file)`);
      else if (anchor !== undefined && to.endsWith(".md")) {
        const headings = Array.from(readFileSync(to, "utf8").replace(/```[\s\S]*?```/g, "").matchAll(/^#+ (.*)$/gm), (m) => slug(m[1]!));
        if (!headings.includes(anchor)) broken.push(`${file}: ${target} (no heading #${anchor})`);
      }
    }
  }
  expect(broken).toEqual([]);
});

/**
 * Commands in README.md and docs/*.md, in code blocks and inline code: the scripts they run
 * exist, and the flags they pass are flags of what they run (compare.ts's usage, build.ts's
 * header, the server's --help). Not run: most of them are benchmarks or need podman or a cluster.
 */
test("every command in README and docs/ names files that exist and flags its program has", () => {
  const usage = (file: string) => flags(readFileSync(join(ROOT, file), "utf8"));
  const help = flags(spawnSync(BUN, [join(ROOT, "src/main.ts"), "--help"], { cwd: ROOT, encoding: "utf8" }).stdout);
  const programs: Array<{ at: RegExp; known: Set<string> }> = [
    { at: /(?:bench\/compare\.ts|npm run compare --)(.*)$/, known: usage("bench/lib/cli/compare-args.ts") },
    { at: /\bbuild\.ts(.*)$/, known: usage("build.ts") },
    { at: /(?:dist\/hello-server\.js|(?:^|\s)\.?\/hello-server)(.*)$/, known: help },
  ];
  const wrong: string[] = [];
  const files = ["README.md", ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`)];
  for (const file of files) {
    const text = readFileSync(join(ROOT, file), "utf8");
    const blocks = Array.from(text.matchAll(/```sh\n([\s\S]*?)```/g), (m) => m[1]!.split("\n")).flat();
    const inline = Array.from(text.replace(/```[\s\S]*?```/g, "").matchAll(/`([^`\n]+)`/g), (m) => m[1]!);
    for (const raw of [...blocks, ...inline]) {
      const command = raw.replace(/\s#\s.*$/, "").trim();
      for (const [, script] of command.matchAll(/(?:^|\s)(?:bun|bash|python3|node_modules\/\.bin\/bun)\s+((?:\.{0,2}\/)?[\w./-]+\.(?:ts|sh|py|js))\b/g)) {
        if (!existsSync(join(ROOT, script!)) && !script!.startsWith("dist/")) wrong.push(`${file}: \`${command}\`: no file ${script}`);
      }
      for (const { at, known } of programs) {
        const rest = at.exec(command)?.[1];
        if (rest === undefined) continue;
        for (const flag of flags(rest)) if (!known.has(flag)) wrong.push(`${file}: \`${command}\`: unknown flag ${flag}`);
      }
    }
  }
  expect(wrong).toEqual([]);
});

function flags(text: string): Set<string> {
  return new Set(Array.from(text.matchAll(/(?:^|[\s`[(|=])(--[a-z][a-z0-9-]*)/g), (m) => m[1]!));
}
