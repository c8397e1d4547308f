/**
 * SHA-1 (RFC 3174), for Sec-WebSocket-Accept only (RFC 6455 §4.2.2 item 5.4). Written here
 * rather than taken from node:crypto so the core imports no runtime API; it hashes 60 bytes
 * once per handshake, so speed does not matter. Not for anything that needs collision resistance.
 */

/**
 * The message schedule, shared (one digest at a time per thread). The padded message is read in
 * place rather than copied, and no DataView or `.buffer` is made (either moves a small typed
 * array's bytes to malloc'd memory in JavaScriptCore): a handshake per connection leaves only
 * the 20-byte digest behind for the GC.
 */
const w = new Int32Array(80);

/** The 20-byte digest of `data`. */
export function sha1(data: Uint8Array): Uint8Array {
  // RFC 3174 §4: append 0x80, zeros to 56 mod 64, then the bit length as 64-bit big-endian.
  const total = Math.ceil((data.length + 9) / 64) * 64;
  const bits = data.length * 8;
  let h0 = 0x67452301;
  let h1 = 0xefcdab89;
  let h2 = 0x98badcfe;
  let h3 = 0x10325476;
  let h4 = 0xc3d2e1f0;
  for (let block = 0; block < total; block += 64) {
    for (let t = 0; t < 16; t++) {
      const at = block + t * 4;
      w[t] = (padded(data, at, total, bits) << 24) | (padded(data, at + 1, total, bits) << 16) | (padded(data, at + 2, total, bits) << 8) | padded(data, at + 3, total, bits);
    }
    for (let t = 16; t < 80; t++) w[t] = rotl(w[t - 3]! ^ w[t - 8]! ^ w[t - 14]! ^ w[t - 16]!, 1);
    let a = h0;
    let b = h1;
    let c = h2;
    let d = h3;
    let e = h4;
    for (let t = 0; t < 80; t++) {
      let f: number;
      let k: number;
      if (t < 20) {
        f = (b & c) | (~b & d);
        k = 0x5a827999;
      } else if (t < 40) {
        f = b ^ c ^ d;
        k = 0x6ed9eba1;
      } else if (t < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8f1bbcdc;
      } else {
        f = b ^ c ^ d;
        k = 0xca62c1d6;
      }
      const temp = (rotl(a, 5) + f + e + k + w[t]!) | 0;
      e = d;
      d = c;
      c = rotl(b, 30);
      b = a;
      a = temp;
    }
    h0 = (h0 + a) | 0;
    h1 = (h1 + b) | 0;
    h2 = (h2 + c) | 0;
    h3 = (h3 + d) | 0;
    h4 = (h4 + e) | 0;
  }
  const out = new Uint8Array(20);
  putInt32(out, 0, h0);
  putInt32(out, 4, h1);
  putInt32(out, 8, h2);
  putInt32(out, 12, h3);
  putInt32(out, 16, h4);
  return out;
}

/** Byte `at` of the padded message (`total` bytes): the data, 0x80, zeros, then the 64-bit bit length. */
function padded(data: Uint8Array, at: number, total: number, bits: number): number {
  if (at < data.length) return data[at]!;
  if (at === data.length) return 0x80;
  const fromEnd = total - at;
  if (fromEnd > 8) return 0;
  // The length's high 32 bits, then its low 32 bits, most significant byte first.
  const word = fromEnd > 4 ? Math.floor(bits / 0x100000000) : bits >>> 0;
  return (word >>> (((fromEnd - 1) % 4) * 8)) & 0xff;
}

function putInt32(out: Uint8Array, at: number, v: number): void {
  out[at] = v >>> 24;
  out[at + 1] = v >>> 16;
  out[at + 2] = v >>> 8;
  out[at + 3] = v;
}

function rotl(x: number, n: number): number {
  return (x << n) | (x >>> (32 - n));
}
