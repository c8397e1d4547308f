/**
 * Transport.peerCertificateSubject on Bun's TLS transport, in process: what a responder (echo)
 * shows of a verified client certificate, and null without mutual TLS. (Node's transport reads
 * the same subject object through getPeerCertificate(); test/tls/tls.test.ts covers its refusals.)
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { connect } from "node:tls";
import { listenBun } from "../../src/adapters/bun.ts";
import type { ConnectionHandler, Transport } from "../../src/adapters/types.ts";
import { formatSubject } from "../../src/tls/profile.ts";
import { makeTestCerts, type TestCerts } from "../helpers/certs.ts";

let certs: TestCerts;
beforeAll(() => {
  certs = makeTestCerts();
});
afterAll(() => certs.remove());

/** Answers every read with the subject the transport reports, then closes. */
const subjectHandler: ConnectionHandler<Transport> = {
  open: (t) => t,
  data(t) {
    t.write(new TextEncoder().encode(String(t.peerCertificateSubject?.())), true);
    t.close();
  },
  drain() {},
  end() {},
  close() {},
};

function ask(port: number, client: { cert?: string; key?: string }): Promise<string> {
  return new Promise((resolve, reject) => {
    let got = "";
    const s = connect({ host: "127.0.0.1", port, servername: "localhost", ca: readFileSync(certs.ca, "utf8"), ...client }, () => s.write("x"));
    s.setEncoding("utf8").on("data", (d: string) => (got += d));
    s.on("close", () => resolve(got));
    s.on("error", reject);
  });
}

test("formatSubject: attributes in order, repeated ones each, null for none", () => {
  expect(formatSubject({ CN: "a", O: "b" })).toBe("CN=a, O=b");
  expect(formatSubject({ OU: ["x", "y"] })).toBe("OU=x, OU=y");
  expect(formatSubject(undefined)).toBeNull();
  expect(formatSubject({})).toBeNull();
});

test("bun: the verified client certificate's subject with --tls-client-ca; null without", async () => {
  const tls = { cert: readFileSync(certs.cert, "utf8"), key: readFileSync(certs.key, "utf8"), port: null, handshakeTimeoutMs: 5000 };
  const options = { host: "127.0.0.1", port: 0, backlog: 16, reusePort: false };
  const mutual = await listenBun(options, subjectHandler, { ...tls, clientCa: readFileSync(certs.ca, "utf8") });
  const plain = await listenBun(options, subjectHandler, { ...tls, clientCa: null });
  try {
    const subject = await ask(mutual.port, { cert: readFileSync(certs.clientCert, "utf8"), key: readFileSync(certs.clientKey, "utf8") });
    expect(subject).toBe("CN=test-client, O=hello-server tests");
    expect(await ask(plain.port, {})).toBe("null");
  } finally {
    mutual.stop();
    plain.stop();
  }
});
