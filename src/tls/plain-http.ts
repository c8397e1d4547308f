/**
 * What a TLS port answers to a client that speaks plain HTTP to it (`curl http://host:tlsport/`),
 * as nginx does ("The plain HTTP request was sent to HTTPS port"): a 400 whose one-line body says
 * what went wrong, instead of a reset or an empty reply. Pure: the back ends that can look at a
 * connection's first byte before their TLS library takes the socket use it (Node; docs/tls.md says
 * which runtimes cannot).
 */

/**
 * A TLS connection opens with a handshake record: ContentType handshake(22) is a record's first
 * byte (RFC 8446 §5.1; RFC 5246 §6.2.1 for TLS 1.2 and SSLv3-compatible hellos alike). Any other
 * first byte cannot start a handshake, and a printable one is almost surely a plain HTTP request line.
 */
export const TLS_HANDSHAKE_RECORD = 0x16;

/** The body, one line: names the fix rather than the failure. */
export const PLAIN_HTTP_BODY = "This port expects HTTPS\n";

/**
 * The whole answer (status line, fields, body) with `date` as its Date field (RFC 9110 §6.6.1).
 * Built per refused connection: a mistake's path, not a request's.
 */
export function plainHttpAnswer(date: Date): Uint8Array {
  return new TextEncoder().encode(
    "HTTP/1.1 400 Bad Request\r\n" +
      "Server: hello-server\r\n" +
      `Date: ${date.toUTCString()}\r\n` +
      "Content-Type: text/plain; charset=utf-8\r\n" +
      `Content-Length: ${PLAIN_HTTP_BODY.length}\r\n` +
      "Connection: close\r\n\r\n" +
      PLAIN_HTTP_BODY,
  );
}
