/**
 * The certificate files of --tls-cert, --tls-key and --tls-client-ca, read
 * and checked: a worker reads them when it starts (so the workers of a
 * SIGHUP rolling restart serve the files as they are then), and the
 * supervisor checks them first, at start (exit 2) and before a rolling
 * restart (the old workers keep serving), so a bad pair is one line that
 * says why, never a crash loop of workers.
 *
 * node:crypto's X509Certificate is in Bun, Deno and Node alike.
 */
import type { RuntimeName } from "../contract/runtime.ts";
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFileSync } from "node:fs";

/** A certificate file that cannot serve; the message is one line, naming the file. */
export class TlsFileError extends Error {}

export interface TlsFiles {
  /** Certificate chain, leaf first (PEM). */
  readonly cert: string;
  /** Private key (PEM). */
  readonly key: string;
  /** Client CA bundle (PEM), or null. */
  readonly clientCa: string | null;
}

export interface TlsFileNames {
  readonly tlsCert: string;
  readonly tlsKey: string;
  readonly tlsClientCa: string | null;
}

function read(flag: string, file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new TlsFileError(`${flag} ${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? String(e)})`);
  }
}

/** The first PEM certificate of a chain file (the leaf). */
function leaf(flag: string, file: string, pem: string): X509Certificate {
  const match = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(pem);
  if (match === null) throw new TlsFileError(`${flag} ${file}: no PEM certificate in it`);
  try {
    return new X509Certificate(match[0]);
  } catch (e) {
    throw new TlsFileError(`${flag} ${file}: not a valid certificate (${e instanceof Error ? e.message : e})`);
  }
}

/** Reads the files and checks that they can serve at `now`; throws {@link TlsFileError}. */
export function readTlsFiles(names: TlsFileNames, now: number = Date.now()): TlsFiles {
  const cert = read("--tls-cert", names.tlsCert);
  const key = read("--tls-key", names.tlsKey);
  const clientCa = names.tlsClientCa === null ? null : read("--tls-client-ca", names.tlsClientCa);
  const x509 = leaf("--tls-cert", names.tlsCert, cert);
  const notAfter = Date.parse(x509.validTo);
  const notBefore = Date.parse(x509.validFrom);
  if (now > notAfter) throw new TlsFileError(`--tls-cert ${names.tlsCert}: expired on ${new Date(notAfter).toISOString()} (${x509.subject.replaceAll("\n", ", ")})`);
  if (now < notBefore) throw new TlsFileError(`--tls-cert ${names.tlsCert}: not valid before ${new Date(notBefore).toISOString()}`);
  let privateKey;
  try {
    privateKey = createPrivateKey(key);
  } catch (e) {
    throw new TlsFileError(`--tls-key ${names.tlsKey}: not a PEM private key (${e instanceof Error ? e.message : e})`);
  }
  if (!x509.checkPrivateKey(privateKey)) {
    throw new TlsFileError(`--tls-key ${names.tlsKey} does not match the certificate in --tls-cert ${names.tlsCert}`);
  }
  if (clientCa !== null) leaf("--tls-client-ca", names.tlsClientCa!, clientCa);
  return { cert, key, clientCa };
}

/**
 * What this runtime's own TLS cannot do with these flags, or null. Deno 2.9's listenTls has
 * no option to ask for (or verify) client certificates, so mutual TLS needs Bun or Node.
 */
export function tlsUnsupportedReason(runtime: RuntimeName, names: Pick<TlsFileNames, "tlsClientCa">): string | null {
  if (runtime === "deno" && names.tlsClientCa !== null) {
    return "--tls-client-ca: Deno.listenTls cannot ask for client certificates (Deno 2.9); run mutual TLS on bun or node";
  }
  return null;
}

/** The check before any worker starts (and before a rolling restart): the one line that says why these files cannot serve, or null. */
export function tlsProblem(runtime: RuntimeName, names: TlsFileNames, now: number = Date.now()): string | null {
  const unsupported = tlsUnsupportedReason(runtime, names);
  if (unsupported !== null) return unsupported;
  try {
    readTlsFiles(names, now);
    return null;
  } catch (e) {
    if (e instanceof TlsFileError) return e.message;
    throw e;
  }
}
