/**
 * The TLS profile every runtime serves, after Mozilla's server-side TLS
 * "intermediate" configuration (v5.7) and Go crypto/tls's defaults: TLS 1.2
 * and 1.3 only, ECDHE key exchange with AEAD ciphers only, the client's
 * cipher preference honoured (all are strong; ChaCha20 is faster on
 * clients without AES instructions), ALPN `http/1.1` (we speak nothing else).
 *
 * Each runtime lets the server choose differently: Node (OpenSSL) and Bun
 * (BoringSSL) take the cipher list and a minimum version; Deno (rustls)
 * takes neither, and needs neither: rustls implements TLS 1.2 and 1.3 only,
 * with exactly this kind of suite (ECDHE + AES-GCM or ChaCha20-Poly1305).
 * TLS 1.3's suites are not configurable here: all three are AEAD.
 */

/** The TLS 1.2 suites (OpenSSL names); Mozilla intermediate without the DHE ones (no DH parameters are configured). */
export const TLS12_CIPHERS = [
  "ECDHE-ECDSA-AES128-GCM-SHA256",
  "ECDHE-RSA-AES128-GCM-SHA256",
  "ECDHE-ECDSA-AES256-GCM-SHA384",
  "ECDHE-RSA-AES256-GCM-SHA384",
  "ECDHE-ECDSA-CHACHA20-POLY1305",
  "ECDHE-RSA-CHACHA20-POLY1305",
].join(":");

/** The protocol offered in ALPN (RFC 7301): HTTP/1.1 only. */
export const ALPN_HTTP1 = "http/1.1";

/** OpenSSL's SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1 (node:crypto constants; BoringSSL has the same bits), for Bun, which takes no minimum version. */
export const NO_TLS10_NO_TLS11 = 0x04000000 | 0x10000000;

/**
 * OpenSSL's SSL_OP_NO_RENEGOTIATION (1.1.0h+; node:crypto's constants): a TLS 1.2 ClientHello on an
 * established connection is answered with a no_renegotiation alert before any handshake work, so a
 * client cannot make the server pay for full handshakes at will (CVE-2011-1473, the "secure client
 * renegotiation" DoS testssl.sh reports). nginx refuses it the same way; BoringSSL (Bun) has no
 * server-side renegotiation and rustls (Deno) none at all, so only Node needs the bit.
 */
export const NO_RENEGOTIATION = 0x40000000;

/**
 * "CN=client, O=Example" from a runtime's subject object ({ CN: "client", O: "Example" });
 * repeated attributes come as arrays. Null when there is no certificate.
 */
export function formatSubject(subject: Record<string, string | string[] | undefined> | null | undefined): string | null {
  if (subject == null) return null;
  const parts: string[] = [];
  for (const [name, value] of Object.entries(subject)) {
    if (value === undefined) continue;
    for (const v of Array.isArray(value) ? value : [value]) parts.push(`${name}=${v}`);
  }
  return parts.length === 0 ? null : parts.join(", ");
}
