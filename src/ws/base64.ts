/** Base64 (RFC 4648 §4) for the handshake: written here so the core imports no runtime API (Buffer, btoa differ by runtime). */

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const CODES = Uint8Array.from(ALPHABET, (c) => c.charCodeAt(0));
const PAD = 0x3d;

/** Standard base64 with padding. Built as one string (no concatenation chain to leave behind). */
export function encodeBase64(bytes: Uint8Array): string {
  const chars = new Uint8Array(Math.ceil(bytes.length / 3) * 4);
  let o = 0;
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    chars[o++] = CODES[n >>> 18]!;
    chars[o++] = CODES[(n >>> 12) & 63]!;
    chars[o++] = CODES[(n >>> 6) & 63]!;
    chars[o++] = CODES[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest > 0) {
    const n = (bytes[i]! << 16) | (rest === 2 ? bytes[i + 1]! << 8 : 0);
    chars[o++] = CODES[n >>> 18]!;
    chars[o++] = CODES[(n >>> 12) & 63]!;
    chars[o++] = rest === 2 ? CODES[(n >>> 6) & 63]! : PAD;
    chars[o++] = PAD;
  }
  return String.fromCharCode.apply(null, chars as unknown as number[]);
}

/**
 * Does `text` decode to exactly 16 bytes (RFC 6455 §4.2.1 item 5's nonce)? That is 22 base64
 * characters then `==`. The last character's four unused bits are not required to be zero:
 * RFC 4648 §3.5 lets decoders accept them, and the key is only echoed through SHA-1, never decoded.
 */
export function isBase64Nonce(text: string): boolean {
  if (text.length !== 24 || text.charCodeAt(22) !== 0x3d || text.charCodeAt(23) !== 0x3d) return false;
  for (let i = 0; i < 22; i++) if (ALPHABET.indexOf(text[i]!) === -1) return false;
  return true;
}
