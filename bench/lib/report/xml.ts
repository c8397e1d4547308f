/**
 * A small XML well-formedness check (XML 1.0 §2.1): one root element,
 * tags nested and closed in order, attributes quoted and not repeated,
 * `&` only in known or numeric entity references, no `<` in text.
 * Enough to prove chart.svg opens in a browser; not a validating parser.
 * Returns the problems found (empty = well-formed). Pure.
 */
const NAME = /^[A-Za-z_:][-A-Za-z0-9_:.]*/;
const ENTITY = /^&(?:amp|lt|gt|quot|apos|#\d+|#x[0-9A-Fa-f]+);/;

function checkText(text: string, at: number, problems: string[]): void {
  for (let i = text.indexOf("&"); i >= 0; i = text.indexOf("&", i + 1)) {
    if (!ENTITY.test(text.slice(i))) problems.push(`bad entity reference at ${at + i}`);
  }
  if (text.includes("<")) problems.push(`stray < at ${at}`);
}

export function xmlProblems(xml: string): string[] {
  const problems: string[] = [];
  const stack: string[] = [];
  let roots = 0;
  let i = 0;
  if (xml.startsWith("<?xml")) i = xml.indexOf("?>") + 2;
  while (i < xml.length && problems.length < 20) {
    const lt = xml.indexOf("<", i);
    const text = xml.slice(i, lt < 0 ? xml.length : lt);
    if (stack.length === 0 && text.trim()) problems.push(`text outside the root at ${i}`);
    checkText(text, i, problems);
    if (lt < 0) break;
    if (xml.startsWith("<!--", lt)) {
      const end = xml.indexOf("-->", lt + 4);
      if (end < 0) return [...problems, "unterminated comment"];
      i = end + 3;
      continue;
    }
    const gt = xml.indexOf(">", lt);
    if (gt < 0) return [...problems, `unterminated tag at ${lt}`];
    const tag = xml.slice(lt + 1, gt);
    i = gt + 1;
    if (tag.startsWith("/")) {
      const name = tag.slice(1).trim();
      const open = stack.pop();
      if (open !== name) problems.push(`</${name}> closes <${open ?? "nothing"}> at ${lt}`);
      continue;
    }
    const name = NAME.exec(tag)?.[0];
    if (!name) {
      problems.push(`bad tag name at ${lt}`);
      continue;
    }
    if (stack.length === 0 && ++roots > 1) problems.push(`second root element <${name}>`);
    const selfClosing = tag.endsWith("/");
    const attrs = tag.slice(name.length, selfClosing ? -1 : undefined);
    const seen = new Set<string>();
    const rest = attrs.replace(/\s+([A-Za-z_:][-A-Za-z0-9_:.]*)\s*=\s*("[^"<]*"|'[^'<]*')/g, (_m, attr: string, value: string) => {
      if (seen.has(attr)) problems.push(`repeated attribute ${attr} in <${name}>`);
      seen.add(attr);
      checkText(value.slice(1, -1), lt, problems);
      return "";
    });
    if (rest.trim()) problems.push(`malformed attributes in <${name}>: ${rest.trim().slice(0, 40)}`);
    if (!selfClosing) stack.push(name);
  }
  if (stack.length > 0) problems.push(`unclosed <${stack.join("> <")}>`);
  if (roots === 0) problems.push("no root element");
  return problems;
}
