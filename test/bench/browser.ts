/**
 * Loads a report page in headless Chromium and says what a reader would see:
 * console errors, each chart's screenshot, whether a header click sorts a
 * table, whether the page fits a phone's width.
 *
 * Driven by playwright-core (no dependencies, no install script: it never
 * downloads a browser) against Debian's own `chromium` package. PNG
 * screenshots are decoded with pngjs.
 */
import { chromium as playwright, type Browser, type Page } from "playwright-core";
import { PNG } from "pngjs";

/**
 * Flags for a shared CI machine with no GPU and no network. Playwright adds
 * `--headless` itself and starts every launch with a fresh profile
 * (`--user-data-dir` in a temporary directory it removes on close).
 */
export const CHROMIUM_ARGS = [
  "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
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
  /** At 390 px wide, as a phone: the page's scroll width (the tables scroll inside their own box). */
  phoneScrollWidth: number;
}

/** Share of pixels that are not (near) white, and the number of distinct colors (counted up to 1,000). */
export function inkStats(png: Buffer): { inked: number; colors: number } {
  const { width, height, data } = PNG.sync.read(png);
  let inked = 0;
  const colors = new Set<number>();
  for (let i = 0; i < data.length; i += 4) {
    const r = data[i]!, g = data[i + 1]!, b = data[i + 2]!;
    if (r < 240 || g < 240 || b < 240) inked++;
    if (colors.size < 1000) colors.add((r << 16) | (g << 8) | b);
  }
  return { inked: inked / (width * height), colors: colors.size };
}

/** Collects what the page reports as an error: uncaught exceptions, console.error/assert, failed loads. */
function watchErrors(page: Page, errors: string[], prefix = ""): void {
  page.on("pageerror", (e) => errors.push(`${prefix}exception: ${e.stack ?? e.message}`));
  // Chromium's own log entries (a resource that failed to load) come through as console errors too.
  page.on("console", (m) => (m.type() === "error" || m.type() === "assert") && errors.push(`${prefix}console.${m.type()}: ${m.text()}`));
  page.on("requestfailed", (r) => errors.push(`${prefix}request failed: ${r.url()} ${r.failure()?.errorText ?? ""}`));
}

async function lookAtCharts(page: Page): Promise<ChartLook[]> {
  const charts: ChartLook[] = [];
  for (const figure of await page.locator("figure.chart").all()) {
    const svg = figure.locator("svg");
    const found = await figure.evaluate((f) => {
      const s = f.querySelector("svg");
      const r = s ? s.getBoundingClientRect() : { width: 0, height: 0 };
      return { id: f.id, width: r.width, height: r.height, marks: s ? s.querySelectorAll("rect.bar, path.line").length : 0 };
    });
    let inked = 0, colors = 0;
    if (found.width > 0 && found.height > 0) ({ inked, colors } = inkStats(await svg.screenshot()));
    charts.push({ ...found, inked, colors });
  }
  return charts;
}

/** The part of an HTMLTableRowElement read here (this project's tsconfig has no DOM library). */
interface TableRow {
  cells: ArrayLike<{ textContent: string | null }>;
}

/** Clicks the header `column` of the first sortable table twice (real mouse clicks); its numbers after each. */
async function sortTwice(page: Page, column: string): Promise<[Array<number | null>, Array<number | null>]> {
  const table = page.locator("table.sortable").first();
  const headers = await table.locator("thead tr").first().locator("th").allTextContents();
  const col = headers.findIndex((h) => h.trim().startsWith(column));
  if (col < 0) throw new Error(`no column ${column} in the first table (headers: ${headers.join(" | ")})`);
  const button = table.locator("thead tr").first().locator("th").nth(col).locator("button");
  const values = async () =>
    (await table.locator("tbody").first().locator("tr").evaluateAll((rows, c) =>
      rows.map((r) => {
        const m = /-?[0-9][0-9,]*(\.[0-9]+)?/.exec((r as unknown as TableRow).cells[c]!.textContent ?? "");
        return m ? Number(m[0].replace(/,/g, "")) : null;
      }), col));
  await button.click();
  const once = await values();
  await button.click();
  return [once, await values()];
}

/** Looks at `file` (an index.html), clicking the header `column` of the first sortable table. */
export async function lookAtPage(chromium: string, file: string, column: string): Promise<PageLook> {
  const browser: Browser = await playwright.launch({ executablePath: chromium, args: CHROMIUM_ARGS, timeout: 30_000 });
  try {
    const desktop = await browser.newContext({ viewport: { width: 1200, height: 900 }, deviceScaleFactor: 1 });
    const page = await desktop.newPage();
    const errors: string[] = [];
    watchErrors(page, errors);
    await page.goto(`file://${file}`, { waitUntil: "load" });
    const charts = await lookAtCharts(page);
    const [sortedOnce, sortedTwice] = await sortTwice(page, column);
    const tables = await page.locator("table.sortable").count();

    const phone = await browser.newContext({ viewport: { width: 390, height: 844 }, deviceScaleFactor: 1, isMobile: true });
    const small = await phone.newPage();
    watchErrors(small, errors, "at 390 px: ");
    await small.goto(`file://${file}`, { waitUntil: "load" });
    // A string: this project's tsconfig has no DOM library.
    const phoneScrollWidth = Number(await small.evaluate("new Promise((r) => requestAnimationFrame(() => r(document.documentElement.scrollWidth)))"));
    return { errors, charts, tables, sortedOnce, sortedTwice, sortColumn: column, phoneScrollWidth };
  } finally {
    await browser.close();
  }
}
