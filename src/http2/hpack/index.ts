/**
 * HPACK (RFC 7541) for the HTTP/2 core: the per-connection decoder and the
 * stateless encoder of response and trailer blocks.
 *
 * Written for this core rather than taken from a library: the npm coders
 * (hpack, hpack.js, node:http2's nghttp2 inside Node) either need Node's
 * Buffer and streams, or are not reachable from Bun and Deno, and none
 * decodes into caller-owned callbacks without allocating per field. Here a
 * field from the static or dynamic table costs no allocation (its strings are
 * built once), Huffman is one table step per octet, and the header-list limit
 * is enforced while decoding.
 */
export { HpackResult, type HpackResultCode } from "./constants.ts";
export { HpackDecoder } from "./decoder.ts";
export { encodeResponseHeaders, encodeTrailers } from "./encoder.ts";
