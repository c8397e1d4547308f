/**
 * Loads a report page in headless Chromium (Debian package `chromium`)
 * over the DevTools protocol and says what a reader would see: console
 * errors, each chart's screenshot, whether a header click sorts a table,
 * whether the page fits a phone's width. No npm dependency: Chromium's
 * --remote-debugging-port and Bun's WebSocket are enough.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { decodePng, inkStats } from "./png.ts";

export const CHROMIUM_FLAGS = [
  "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
  "--disable-background-networking", "--disable-component-update", "--disable-sync",
];

export function findChromium(): string | undefined {
  for (const name of ["chromium", "chromium-browser", "google-chrome"]) {
    const p = Bun.which(name);
    if (p) return p;
  }
  return undefined;
}

export interface ChartLook {
  id: string;
  width: number;
  height: number;
  /** Bars or line paths in the SVG. */
  marks: number;
  /** From a screenshot of the chart: share of non-white pixels, distinct colors. */
  inked: number;
  colors: number;
}

export interface PageLook {
  errors: string[];
  charts: ChartLook[];
  tables: number;
  /** Values of the clicked column after one click and after a second one. */
  sortedOnce: Array<number | null>;
  sortedTwice: Array<number | null>;
  sortColumn: string;
  /** At 390 px wide: the page's scroll width (the tables scroll inside their own box). */
  phoneScrollWidth: number;
}

type Cdp = (method: string, params?: Record<string, unknown>) => Promise<any>;

/** Looks at `file` (an index.html), clicking the header `column` of the first sortable table. */
export async function lookAtPage(chromium: string, file: string, column: string): Promise<PageLook> {
  const profile = mkdtempSync(join(os.tmpdir(), "hello-chromium-"));
  const child = spawn(chromium, [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, "--remote-debugging-port=0", "--window-size=1200,900", "about:blank"], {
    stdio: ["ignore", "ignore", "pipe"],
  });
  try {
    const wsUrl = await new Promise<string>((resolve, reject) => {
      let err = "";
      const timer = setTimeout(() => reject(new Error(`chromium did not start: ${err.slice(-500)}`)), 30_000);
      child.stderr!.setEncoding("utf8").on("data", (s: string) => {
        err += s;
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(err);
        if (m) clearTimeout(timer), resolve(m[1]!);
      });
      child.once("exit", (code) => reject(new Error(`chromium exited ${code}: ${err.slice(-500)}`)));
    });
    const port = new URL(wsUrl).port;
    const targets = (await (await fetch(`http://127.0.0.1:${port}/json/list`)).json()) as Array<{ type: string; webSocketDebuggerUrl: string }>;
    const page = targets.find((t) => t.type === "page");
    if (!page) throw new Error("chromium has no page target");
    const ws = new WebSocket(page.webSocketDebuggerUrl);
    await new Promise((resolve, reject) => ((ws.onopen = resolve), (ws.onerror = () => reject(new Error("DevTools WebSocket failed")))));
    let id = 0;
    const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
    const listeners: Array<(method: string, params: any) => void> = [];
    ws.onmessage = (ev) => {
      const msg = JSON.parse(String(ev.data));
      if (msg.id !== undefined) {
        const p = pending.get(msg.id);
        pending.delete(msg.id);
        if (msg.error) p?.reject(new Error(`${msg.error.message}`));
        else p?.resolve(msg.result);
      } else for (const l of listeners) l(msg.method, msg.params);
    };
    const cdp: Cdp = (method, params = {}) =>
      new Promise((resolve, reject) => {
        pending.set(++id, { resolve, reject });
        ws.send(JSON.stringify({ id, method, params }));
      });
    const evaluate = async (expression: string) => {
      const r = await cdp("Runtime.evaluate", { expression, returnByValue: true, awaitPromise: true });
      if (r.exceptionDetails) throw new Error(`page script failed: ${r.exceptionDetails.text} ${r.exceptionDetails.exception?.description ?? ""}`);
      return r.result.value;
    };

    const errors: string[] = [];
    listeners.push((method, p) => {
      if (method === "Runtime.exceptionThrown") errors.push(`exception: ${p.exceptionDetails.exception?.description ?? p.exceptionDetails.text}`);
      if (method === "Runtime.consoleAPICalled" && (p.type === "error" || p.type === "assert")) errors.push(`console.${p.type}: ${p.args.map((a: any) => a.value ?? a.description).join(" ")}`);
      if (method === "Log.entryAdded" && p.entry.level === "error") errors.push(`log: ${p.entry.text} ${p.entry.url ?? ""}`);
    });
    await cdp("Runtime.enable");
    await cdp("Log.enable");
    await cdp("Page.enable");
    const loaded = new Promise<void>((resolve) => listeners.push((m) => m === "Page.loadEventFired" && resolve()));
    await cdp("Page.navigate", { url: `file://${file}` });
    await loaded;

    const charts: ChartLook[] = [];
    const found = (await evaluate(`Array.from(document.querySelectorAll("figure.chart")).map((f) => {
      f.scrollIntoView();
      const svg = f.querySelector("svg");
      const r = svg ? svg.getBoundingClientRect() : { width: 0, height: 0 };
      return { id: f.id, width: r.width, height: r.height, marks: svg ? svg.querySelectorAll("rect.bar, path.line").length : 0 };
    })`)) as Array<Omit<ChartLook, "inked" | "colors">>;
    for (const c of found) {
      // Page coordinates of the chart, then a screenshot of just that box.
      const box = (await evaluate(`(() => { const r = document.getElementById(${JSON.stringify(c.id)}).querySelector("svg").getBoundingClientRect();
        return { x: r.left + scrollX, y: r.top + scrollY, width: r.width, height: r.height }; })()`)) as { x: number; y: number; width: number; height: number };
      let inked = 0, colors = 0;
      if (box.width > 0 && box.height > 0) {
        const shot = await cdp("Page.captureScreenshot", { format: "png", captureBeyondViewport: true, clip: { ...box, scale: 1 } });
        ({ inked, colors } = inkStats(decodePng(Buffer.from(shot.data, "base64"))));
      }
      charts.push({ ...c, inked, colors });
    }

    // A real click (mouse events at the header button's position) on `column`.
    const col = (await evaluate(`Array.from(document.querySelector("table.sortable").tHead.rows[0].cells).findIndex((th) => th.textContent.trim().startsWith(${JSON.stringify(column)}))`)) as number;
    if (col < 0) throw new Error(`no column ${column} in the first table`);
    const values = async () => (await evaluate(`Array.from(document.querySelector("table.sortable").tBodies[0].rows).map((r) => {
      const m = /-?[0-9][0-9,]*(\\.[0-9]+)?/.exec(r.cells[${col}].textContent); return m ? Number(m[0].replace(/,/g, "")) : null; })`)) as Array<number | null>;
    const click = async () => {
      const p = (await evaluate(`(() => { const b = document.querySelector("table.sortable").tHead.rows[0].cells[${col}].querySelector("button");
        b.scrollIntoView({ block: "center", inline: "center" }); const r = b.getBoundingClientRect(); return { x: r.left + r.width / 2, y: r.top + r.height / 2 }; })()`)) as { x: number; y: number };
      for (const type of ["mousePressed", "mouseReleased"]) await cdp("Input.dispatchMouseEvent", { type, x: p.x, y: p.y, button: "left", clickCount: 1 });
    };
    await click();
    const sortedOnce = await values();
    await click();
    const sortedTwice = await values();
    const tables = (await evaluate(`document.querySelectorAll("table.sortable").length`)) as number;

    await cdp("Emulation.setDeviceMetricsOverride", { width: 390, height: 844, deviceScaleFactor: 1, mobile: true });
    const phoneScrollWidth = (await evaluate(`new Promise((r) => requestAnimationFrame(() => r(document.documentElement.scrollWidth)))`)) as number;
    ws.close();
    return { errors, charts, tables, sortedOnce, sortedTwice, sortColumn: column, phoneScrollWidth };
  } finally {
    child.kill("SIGKILL");
    await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(undefined) : child.once("exit", r)));
    rmSync(profile, { recursive: true, force: true });
  }
}
