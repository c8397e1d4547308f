/**
 * HPACK (RFC 7541) for the HTTP/2 core: the per-connection decoder and the
 * stateless encoder of response and trailer blocks.
 *
 * Written for this core rather than taken from a library: the npm coders
 * (hpack 1.0.0, hpack.js) are built on Node's Buffer (hpack.js on its
 * streams too), nghttp2's coder is inside node:http2 and not exposed, and
 * none decodes into a callback without allocating per field. Here a
 * field from the static or dynamic table costs no allocation (its strings are
 * built once), Huffman is one table step per octet, and the header-list limit
 * is enforced while decoding.
 */
export { HpackResult, type HpackResultCode } from "./constants.ts";
export { HpackDecoder } from "./decoder.ts";
export { encodeResponseHeaders, encodeTrailers } from "./encoder.ts";
