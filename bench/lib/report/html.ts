/**
 * index.html: one self-contained page (charts inline as SVG, no external
 * files or scripts), readable at phone width (tables scroll sideways;
 * charts scale down to 640 px, then scroll too, so their text stays
 * legible), with the machine, command and method at the top and
 * tables that sort on a click of their header. Pure (string out).
 */
import { escapeXml } from "./table.ts";

export interface PageInput {
  title: string;
  /** Lines under the title: date, machine, runtimes. */
  intro: string[];
  command: string;
  method: string[];
  notes: string[];
  charts: ReadonlyArray<{ file: string; alt: string; svg: string }>;
  /** Already-escaped HTML of the tables (toHtml). */
  tablesHtml: string;
}

const STYLE = `
*{box-sizing:border-box}
body{font-family:system-ui,sans-serif;margin:0 auto;padding:12px;max-width:1100px;line-height:1.4;color:#111}
h1{font-size:1.5em;margin:.3em 0}
code{background:#f3f4f6;padding:1px 4px;border-radius:3px;word-break:break-all}
details{margin:.5em 0}
figure{margin:1em 0;overflow-x:auto}
figure svg{max-width:100%;height:auto;display:block}
@media (max-width:700px){figure svg{min-width:640px}}
.scroll{overflow-x:auto;margin-bottom:1.5em}
table{border-collapse:collapse;font-size:.9em}
th,td{border:1px solid #ddd;padding:4px 8px;text-align:right;white-space:nowrap}
th:first-child,td:first-child{text-align:left;position:sticky;left:0;background:#fff}
th button{font:inherit;font-weight:bold;background:none;border:0;padding:0;cursor:pointer;white-space:nowrap}
th[aria-sort=ascending] button::after{content:" ▲"}
th[aria-sort=descending] button::after{content:" ▼"}
td:last-child{text-align:left;white-space:normal;min-width:12em}
`;

/**
 * Sorting: a cell sorts by its first number (thousands separators
 * dropped), or as text when it has none (the first column, server names
 * like bun@1.3.9, always as text); "—" and "invalid" sort last.
 * A second click on the same header reverses the order.
 */
const SCRIPT = `
(function () {
  function key(text) {
    var m = /-?[0-9][0-9,]*(\\.[0-9]+)?/.exec(text);
    return m ? Number(m[0].replace(/,/g, "")) : null;
  }
  document.querySelectorAll("table.sortable").forEach(function (table) {
    var heads = table.querySelectorAll("thead th");
    heads.forEach(function (th, col) {
      th.querySelector("button").addEventListener("click", function () {
        var dir = th.getAttribute("aria-sort") === "descending" ? "ascending" : "descending";
        heads.forEach(function (h) { h.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", dir);
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.rows);
        var sign = dir === "ascending" ? 1 : -1;
        rows.sort(function (a, b) {
          var x = a.cells[col] ? a.cells[col].textContent : "", y = b.cells[col] ? b.cells[col].textContent : "";
          var kx = col === 0 ? null : key(x), ky = col === 0 ? null : key(y);
          if (kx !== null && ky !== null) return sign * (kx - ky);
          if (kx !== null) return -1;
          if (ky !== null) return 1;
          return sign * x.localeCompare(y);
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
  });
})();
`;

export function htmlPage(p: PageInput): string {
  const list = (items: readonly string[]) => `<ul>${items.map((m) => `<li>${escapeXml(m)}</li>`).join("")}</ul>`;
  const figures = p.charts
    .map((c) => `<figure id="${escapeXml(c.file.replace(/\.svg$/, ""))}" class="chart" role="img" aria-label="${escapeXml(c.alt)}">\n${c.svg.trim()}\n<figcaption>${escapeXml(c.alt)} (<code>${escapeXml(c.file)}</code>)</figcaption></figure>`)
    .join("\n");
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeXml(p.title)}</title>
<style>${STYLE}</style>
</head><body>
<h1>${escapeXml(p.title)}</h1>
<p>${p.intro.map(escapeXml).join("<br>")}</p>
<p>Command: <code>${escapeXml(p.command)}</code></p>
<details open><summary><strong>Method</strong></summary>${list(p.method)}</details>
${p.notes.length ? `<details open><summary><strong>Notes</strong></summary>${list(p.notes)}</details>` : ""}
${figures}
${p.tablesHtml}
<script>${SCRIPT}</script>
</body></html>
`;
}
