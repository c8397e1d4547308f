/**
 * RFC 6455 numbers as closed tables: opcodes (§5.2), close codes (§7.4), what each framing
 * violation closes with, and the session's fixed bounds.
 */

/** §5.2 opcodes; %x3-7 and %xB-F are reserved, and receiving one fails the connection (§5.2). */
export const Opcode = { CONTINUATION: 0x0, TEXT: 0x1, BINARY: 0x2, CLOSE: 0x8, PING: 0x9, PONG: 0xa } as const;

/** §7.4.1 close codes, with the later IANA registrations (§11.7) that an endpoint may send. */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  /** Never sent on the wire: the close frame had no code (§7.1.5). */
  NO_STATUS: 1005,
  /** Never sent on the wire: the connection ended without a close frame (§7.1.5). */
  ABNORMAL: 1006,
  INVALID_PAYLOAD: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  MANDATORY_EXTENSION: 1010,
  INTERNAL_ERROR: 1011,
} as const;
export type CloseCodeValue = (typeof CloseCode)[keyof typeof CloseCode];

/** Every way a peer's bytes can fail the connection (§5.1–5.5, §7.4, §8.1), and the code it closes with. */
export const ReadError = {
  /** §5.1: a server MUST close on an unmasked client frame. */
  UNMASKED: CloseCode.PROTOCOL_ERROR,
  /** §5.2: RSV1-3 MUST be 0 unless an extension defines them; none is negotiated here. */
  RESERVED_BITS: CloseCode.PROTOCOL_ERROR,
  /** §5.2: reserved opcodes. */
  UNKNOWN_OPCODE: CloseCode.PROTOCOL_ERROR,
  /** §5.5: control frames MUST NOT be fragmented. */
  CONTROL_FRAGMENTED: CloseCode.PROTOCOL_ERROR,
  /** §5.5: control frame payloads are 125 bytes at most. */
  CONTROL_TOO_LONG: CloseCode.PROTOCOL_ERROR,
  /** §5.4: a continuation frame with no fragmented message in progress. */
  CONTINUATION_UNEXPECTED: CloseCode.PROTOCOL_ERROR,
  /** §5.4: a new text or binary frame while a fragmented message is in progress. */
  MESSAGE_INTERLEAVED: CloseCode.PROTOCOL_ERROR,
  /** §5.2: the most significant bit of a 64-bit length MUST be 0. */
  LENGTH_TOP_BIT: CloseCode.PROTOCOL_ERROR,
  /** §5.5.1: a close payload of one byte cannot hold a code. */
  CLOSE_ONE_BYTE: CloseCode.PROTOCOL_ERROR,
  /** §7.4.1/§7.4.2: a code an endpoint may not send. */
  CLOSE_CODE_INVALID: CloseCode.PROTOCOL_ERROR,
  /** §8.1: text and close reasons MUST be UTF-8. */
  INVALID_UTF8: CloseCode.INVALID_PAYLOAD,
  /** §7.4.1 1009: larger than this endpoint takes (the session's maxMessage). */
  MESSAGE_TOO_BIG: CloseCode.MESSAGE_TOO_BIG,
} as const;
export type ReadErrorKind = keyof typeof ReadError;

/**
 * May a peer send this code in a close frame? §7.4.1 defines 1000–1003 and 1007–1011; IANA has
 * since registered 1012–1014 (§11.7's registry). 1004 is reserved, 1005/1006/1015 are never put
 * on the wire (§7.4.1), the rest of 1000–2999 is unassigned and reserved for the RFC's revisions
 * (§7.4.2), 3000–4999 belong to libraries and applications, and nothing else is a close code.
 */
export function isSendableCloseCode(code: number): boolean {
  if (code >= 3000) return code <= 4999;
  return (code >= 1000 && code <= 1003) || (code >= 1007 && code <= 1014);
}

/** Fixed bounds of a session, each with its reason. */
export const Limits = {
  /** §5.5: a control frame's payload. */
  CONTROL_PAYLOAD: 125,
  /**
   * How long a closing session waits for the peer (its close frame after an error, or its FIN
   * after ours) before closing anyway: a peer that never answers cannot hold the socket.
   */
  CLOSE_WAIT_MS: 2000,
} as const;
