/**
 * RFC 7541 Appendix C as data: each sequence shares one decoder; each block
 * lists its wire forms (C.3/C.5 without Huffman, C.4/C.6 with), the fields
 * they decode to and the dynamic table after it, newest first.
 */

export type Field = readonly [string, string];
export interface RfcBlock {
  readonly wires: readonly string[];
  readonly fields: readonly Field[];
  readonly table: readonly Field[];
  readonly tableSize: number;
}
export interface RfcSequence {
  readonly name: string;
  readonly maxTableSize: number;
  readonly blocks: readonly RfcBlock[];
}

const DATE_21 = "Mon, 21 Oct 2013 20:13:21 GMT";
const DATE_22 = "Mon, 21 Oct 2013 20:13:22 GMT";
const LOCATION = "https://www.example.com";
const COOKIE = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";

export const RFC_SEQUENCES: readonly RfcSequence[] = [
  {
    name: "C.2.1 literal with indexing",
    maxTableSize: 4096,
    blocks: [
      {
        wires: ["400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"],
        fields: [["custom-key", "custom-header"]],
        table: [["custom-key", "custom-header"]],
        tableSize: 55,
      },
    ],
  },
  {
    name: "C.2.2 literal without indexing",
    maxTableSize: 4096,
    blocks: [{ wires: ["040c 2f73 616d 706c 652f 7061 7468"], fields: [[":path", "/sample/path"]], table: [], tableSize: 0 }],
  },
  {
    name: "C.2.3 literal never indexed",
    maxTableSize: 4096,
    blocks: [{ wires: ["1008 7061 7373 776f 7264 0673 6563 7265 74"], fields: [["password", "secret"]], table: [], tableSize: 0 }],
  },
  {
    name: "C.2.4 indexed field",
    maxTableSize: 4096,
    blocks: [{ wires: ["82"], fields: [[":method", "GET"]], table: [], tableSize: 0 }],
  },
  {
    name: "C.3/C.4 requests",
    maxTableSize: 4096,
    blocks: [
      {
        wires: ["8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d", "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff"],
        fields: [[":method", "GET"], [":scheme", "http"], [":path", "/"], [":authority", "www.example.com"]],
        table: [[":authority", "www.example.com"]],
        tableSize: 57,
      },
      {
        wires: ["8286 84be 5808 6e6f 2d63 6163 6865", "8286 84be 5886 a8eb 1064 9cbf"],
        fields: [[":method", "GET"], [":scheme", "http"], [":path", "/"], [":authority", "www.example.com"], ["cache-control", "no-cache"]],
        table: [["cache-control", "no-cache"], [":authority", "www.example.com"]],
        tableSize: 110,
      },
      {
        wires: [
          "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
          "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
        ],
        fields: [[":method", "GET"], [":scheme", "https"], [":path", "/index.html"], [":authority", "www.example.com"], ["custom-key", "custom-value"]],
        table: [["custom-key", "custom-value"], ["cache-control", "no-cache"], [":authority", "www.example.com"]],
        tableSize: 164,
      },
    ],
  },
  {
    name: "C.5/C.6 responses, table size 256",
    maxTableSize: 256,
    blocks: [
      {
        wires: [
          "4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
          "4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3",
        ],
        fields: [[":status", "302"], ["cache-control", "private"], ["date", DATE_21], ["location", LOCATION]],
        table: [["location", LOCATION], ["date", DATE_21], ["cache-control", "private"], [":status", "302"]],
        tableSize: 222,
      },
      {
        wires: ["4803 3330 37c1 c0bf", "4883 640e ffc1 c0bf"],
        fields: [[":status", "307"], ["cache-control", "private"], ["date", DATE_21], ["location", LOCATION]],
        table: [[":status", "307"], ["location", LOCATION], ["date", DATE_21], ["cache-control", "private"]],
        tableSize: 222,
      },
      {
        wires: [
          "88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d 54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049 5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e 3d31",
          "88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07",
        ],
        fields: [
          [":status", "200"],
          ["cache-control", "private"],
          ["date", DATE_22],
          ["location", LOCATION],
          ["content-encoding", "gzip"],
          ["set-cookie", COOKIE],
        ],
        table: [["set-cookie", COOKIE], ["content-encoding", "gzip"], ["date", DATE_22]],
        tableSize: 215,
      },
    ],
  },
];

/** Hex with spaces (the RFC's layout) to octets. */
export function hex(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, "");
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(i * 2, i * 2 + 2), 16);
  return out;
}
