/**
 * HTTP/2 (RFC 9113) numbers as closed tables: frame types and flags (§6),
 * settings (§6.5.2), error codes (§7), the stream states with their legal
 * transitions (§5.1), and this server's limits with the reason for each.
 */

/** Frame types, RFC 9113 §6; any other type is ignored (§4.1, §5.5). */
export const FrameType = {
  DATA: 0x0,
  HEADERS: 0x1,
  PRIORITY: 0x2,
  RST_STREAM: 0x3,
  SETTINGS: 0x4,
  PUSH_PROMISE: 0x5,
  PING: 0x6,
  GOAWAY: 0x7,
  WINDOW_UPDATE: 0x8,
  CONTINUATION: 0x9,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** Flag bits; the same bit means different things on different types (§6). */
export const Flag = {
  END_STREAM: 0x1,
  ACK: 0x1,
  END_HEADERS: 0x4,
  PADDED: 0x8,
  PRIORITY: 0x20,
} as const;

/** Setting identifiers, RFC 9113 §6.5.2, plus RFC 8441's and RFC 9218's. */
export const SettingId = {
  HEADER_TABLE_SIZE: 0x1,
  ENABLE_PUSH: 0x2,
  MAX_CONCURRENT_STREAMS: 0x3,
  INITIAL_WINDOW_SIZE: 0x4,
  MAX_FRAME_SIZE: 0x5,
  MAX_HEADER_LIST_SIZE: 0x6,
  ENABLE_CONNECT_PROTOCOL: 0x8,
  NO_RFC7540_PRIORITIES: 0x9,
} as const;

/** Error codes, RFC 9113 §7. */
export const ErrorCode = {
  NO_ERROR: 0x0,
  PROTOCOL_ERROR: 0x1,
  INTERNAL_ERROR: 0x2,
  FLOW_CONTROL_ERROR: 0x3,
  SETTINGS_TIMEOUT: 0x4,
  STREAM_CLOSED: 0x5,
  FRAME_SIZE_ERROR: 0x6,
  REFUSED_STREAM: 0x7,
  CANCEL: 0x8,
  COMPRESSION_ERROR: 0x9,
  CONNECT_ERROR: 0xa,
  ENHANCE_YOUR_CALM: 0xb,
  INADEQUATE_SECURITY: 0xc,
  HTTP_1_1_REQUIRED: 0xd,
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Fixed numbers of the protocol. */
export const Protocol = {
  /** Every frame starts with a 9-octet header (§4.1). */
  FRAME_HEADER: 9,
  /** The initial SETTINGS_MAX_FRAME_SIZE, and the one we keep announcing (§6.5.2): a frame we buffer is at most this + 9. */
  DEFAULT_MAX_FRAME_SIZE: 16_384,
  /** The largest SETTINGS_MAX_FRAME_SIZE a peer may announce (§6.5.2). */
  MAX_MAX_FRAME_SIZE: 16_777_215,
  /** Windows and stream ids are 31-bit (§5.1.1, §6.9.1). */
  MAX_WINDOW: 2 ** 31 - 1,
  MAX_STREAM_ID: 2 ** 31 - 1,
  /** The initial window of the connection and of every stream until SETTINGS change it (§6.9.2). */
  DEFAULT_WINDOW: 65_535,
  /** SETTINGS_HEADER_TABLE_SIZE's initial value (§6.5.2): our decoder's table bound, never announced larger. */
  DEFAULT_HEADER_TABLE_SIZE: 4096,
  /** The client connection preface, §3.4: "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n". */
  PREFACE_LENGTH: 24,
} as const;

/** The client connection preface's octets (§3.4). */
export const CLIENT_PREFACE: Uint8Array = new TextEncoder().encode("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n");

/**
 * Stream states, RFC 9113 §5.1, as a server sees them. A server that never
 * pushes has no reserved states: a stream is idle until the client's HEADERS.
 */
export const StreamState = {
  IDLE: 0,
  OPEN: 1,
  /** The client sent END_STREAM; we may still send. */
  HALF_CLOSED_REMOTE: 2,
  /** We sent END_STREAM (an early answer: 413, 431); the client may still send until its END_STREAM. */
  HALF_CLOSED_LOCAL: 3,
  CLOSED: 4,
} as const;
export type StreamState = (typeof StreamState)[keyof typeof StreamState];

/** What moves a stream between states (§5.1's figure, its arrows). */
export const StreamEvent = {
  RECV_HEADERS: 0,
  RECV_END_STREAM: 1,
  SEND_END_STREAM: 2,
  /** RST_STREAM sent or received: closed from any state but idle (§5.1). */
  RESET: 3,
} as const;
export type StreamEvent = (typeof StreamEvent)[keyof typeof StreamEvent];

const S = StreamState;
/** Indexed [state][event]: the next state, or -1 where the RFC's figure has no such arrow. */
export const STREAM_TRANSITIONS: readonly (readonly (StreamState | -1)[])[] = [
  //                  RECV_HEADERS  RECV_END_STREAM          SEND_END_STREAM          RESET
  /* IDLE */ [S.OPEN, -1, -1, -1],
  /* OPEN */ [-1, S.HALF_CLOSED_REMOTE, S.HALF_CLOSED_LOCAL, S.CLOSED],
  /* HALF_CLOSED_REMOTE */ [-1, -1, S.CLOSED, S.CLOSED],
  /* HALF_CLOSED_LOCAL */ [-1, S.CLOSED, -1, S.CLOSED],
  /* CLOSED */ [-1, -1, -1, -1],
];

/** The next state for `event`, or -1 when the RFC does not allow it. */
export function nextStreamState(state: StreamState, event: StreamEvent): StreamState | -1 {
  return STREAM_TRANSITIONS[state]![event]!;
}

/**
 * Our defaults for Http2Options, each with the reason for its number. The
 * abuse budgets follow nghttp2, whose numbers were argued for after each CVE.
 */
export const Defaults = {
  /** SETTINGS_MAX_CONCURRENT_STREAMS: RFC 9113 §6.5.2 recommends no fewer than 100; issue's --http2-max-streams default. */
  MAX_CONCURRENT_STREAMS: 100,
  /** The core's --max-header-size default (8 KiB), so HTTP/1.1 and HTTP/2 accept the same heads. */
  MAX_HEADER_LIST_SIZE: 8192,
  /** CVE-2024-27316 / CVE-2024-28182: nghttp2 1.61.0 caps CONTINUATION frames after one HEADERS at 8. */
  MAX_CONTINUATION_FRAMES: 8,
  /** The core's --max-body-size default (1 MiB). */
  MAX_BODY_SIZE: 1 << 20,
  /** The protocol's default (§6.9.2): announcing it costs no SETTINGS entry's effect and matches what clients expect. */
  INITIAL_WINDOW_SIZE: 65_535,
  /** The HTTP/1.1 connection's pending-output bound (64 KiB), past which we stop reading. */
  MAX_BUFFERED_OUTPUT: 64 * 1024,
  /** The core's --header-timeout default. */
  HEADER_TIMEOUT_MS: 10_000,
  /** The core's --idle-timeout default. */
  IDLE_TIMEOUT_MS: 60_000,
  /** CVE-2023-44487 (Rapid Reset): nghttp2 1.57.0's token bucket, burst 1000 resets, refilled 33 per second. */
  RESET_BURST: 1000,
  RESET_RATE_PER_SECOND: 33,
  /**
   * CVE-2019-9512 / 9515 (PING and SETTINGS floods): nghttp2 1.39.2 ends a session once 1000
   * acknowledgements and other control frames are queued unsent (NGHTTP2_MAX_OBQ_FLOOD_ITEM).
   */
  MAX_QUEUED_CONTROL: 1000,
} as const;
