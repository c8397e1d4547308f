/**
 * nginx as the differential fuzzer's second oracle, when it is installed:
 * 3,000 seeded inputs over loopback to nginx and through hello-server's
 * core. nginx shows no byte offsets, only answers, so what must hold is that
 * the two never answer a different sequence of requests without a refusal or
 * a close to explain it. Where nginx alone refuses what hello-server serves,
 * the reason must be one llhttp shares (the llhttp run checks it against
 * allowed.txt) or one of NGINX_ONLY below.
 */
import { expect, test } from "bun:test";
import { freePort } from "../../bench/lib/servers/host.ts";
import { compare, Outcome } from "./classify.ts";
import { Generator } from "./generate.ts";
import { helloOutput, helloVerdict } from "./hello.ts";
import { answersOf, compareWithNginx, findNginx, NginxOracle, NginxOutcome } from "./nginx.ts";
import { LlhttpOracle } from "./oracle.ts";
import { escapeBytes, loadAllowed } from "./run.ts";
import { End } from "./verdict.ts";

const SEED = 0x9e1;
const COUNT = 3000;
const nginx = findNginx();
const latin1 = new TextDecoder("latin1");

/**
 * What nginx refuses and llhttp and hello-server accept, reviewed (matched on the input):
 * nginx refuses asterisk-form, HTAB as OWS, empty list elements and repeated Expect lines, rejects host names with ".." (RFC 3986
 * §3.2.2 reg-name allows them), and closes on any Connection value containing "close"
 * ("closed"; RFC 9110 §7.6.1 options are tokens).
 */
const NGINX_ONLY: ReadonlyArray<readonly [RegExp, string]> = [
  // RFC 9112 §3.2.4: asterisk-form is OPTIONS's; nginx answers it 400.
  [/OPTIONS \* HTTP\//, "asterisk-form"],
  // RFC 9110 §5.6.1: a recipient MUST accept and ignore empty list elements (",chunked").
  [/\r\ntransfer-encoding:[ \t]*,/i, "empty list element"],
  // RFC 9110 §5.3: repeated Expect lines are one list (of 100-continue); nginx refuses the repeat.
  [/\r\nexpect:[^\r]*\r\n(?:[^\r]+\r\n)*expect:/i, "repeated Expect"],
  // RFC 9110 §5.5: OWS is SP or HTAB; nginx trims only SP around some values (Host, Transfer-Encoding).
  [/:[ ]*\t|\t[ ]*\r\n/, "HTAB as OWS"],
  [/\r\nhost: [^\r]*\.\./i, "reg-name with an empty label"],
  [/\r\nconnection: [^\r]*close[a-z-]|[a-z-]close/i, "Connection token that contains 'close'"],
];

test.skipIf(nginx === null)(`nginx and hello-server answer ${COUNT} fuzzed inputs alike, or differ for a reviewed reason`, async () => {
  const server = await NginxOracle.start(nginx!, await freePort());
  let llhttp: LlhttpOracle | undefined;
  const allowed = loadAllowed();
  const gen = new Generator(SEED);
  const failures: string[] = [];
  let agree = 0;
  try {
    const inputs = Array.from({ length: COUNT }, (_, i) => gen.input(i).bytes);
    const answers = await server.answers(inputs);
    llhttp = new LlhttpOracle();
    for (let i = 0; i < COUNT; i++) {
      const bytes = inputs[i]!;
      const verdict = helloVerdict(bytes);
      const got = compareWithNginx(answersOf(latin1.decode(helloOutput(bytes).bytes)), verdict.end === End.INCOMPLETE, answers[i]!);
      if (got.outcome === NginxOutcome.AGREE || got.outcome === NginxOutcome.EARLY || got.outcome === NginxOutcome.STRICT) {
        agree++;
        continue;
      }
      if (got.outcome === NginxOutcome.LENIENT) {
        // The same leniency as against llhttp, listed in allowed.txt?
        const [v] = await llhttp.verdicts([bytes]);
        const d = compare(bytes, verdict, v!);
        if (d.outcome === Outcome.LENIENT && allowed.some((a) => a.outcome === d.outcome && a.pattern.test(d.cls))) continue;
        if (NGINX_ONLY.some(([re]) => re.test(latin1.decode(bytes)))) continue;
      }
      failures.push(`#${i} ${got.outcome}: ${got.cls}\n  input: ${escapeBytes(bytes)}`);
    }
  } finally {
    await llhttp?.close();
    await server.stop();
  }
  expect(agree).toBeGreaterThan(COUNT / 2);
  if (failures.length > 0) throw new Error(`${failures.length} of ${COUNT} inputs:\n${failures.slice(0, 10).join("\n")}`);
}, 120_000);
