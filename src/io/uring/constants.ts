/**
 * io_uring ABI numbers and struct layouts (include/uapi/linux/io_uring.h,
 * Linux 6.1+; every value is fixed by the kernel's uapi and identical on
 * x86_64 and arm64 except the system call numbers, which are x86_64's).
 */

/** System call numbers on x86_64 (arch/x86/entry/syscalls/syscall_64.tbl). */
export const SYS_io_uring_setup = 425;
export const SYS_io_uring_enter = 426;
export const SYS_io_uring_register = 427;

/** io_uring_setup(2) flags. */
export const Setup = {
  CQSIZE: 1 << 3,
  SUBMIT_ALL: 1 << 7,
  COOP_TASKRUN: 1 << 8,
  /** Only one thread submits: the kernel skips the locking for others (6.0). */
  SINGLE_ISSUER: 1 << 12,
  /** Completions are processed only inside io_uring_enter(GETEVENTS), on our thread, in a batch (6.1). */
  DEFER_TASKRUN: 1 << 13,
} as const;

/** `io_uring_params.features` bits the loop needs. */
export const Feature = {
  /** SQ and CQ rings share one mmap (5.4). */
  SINGLE_MMAP: 1 << 0,
  /** CQEs are never dropped on CQ overflow; they wait in the kernel (5.5). */
  NODROP: 1 << 1,
  /** io_uring_enter takes a struct io_uring_getevents_arg, i.e. a timeout (5.11). */
  EXT_ARG: 1 << 8,
  /** IOSQE_CQE_SKIP_SUCCESS (5.17). */
  CQE_SKIP: 1 << 11,
} as const;

/** io_uring_enter(2) flags. */
export const ENTER_GETEVENTS = 1 << 0;
export const ENTER_EXT_ARG = 1 << 3;

/** io_uring_register(2) opcodes. */
export const REGISTER_PROBE = 8;
export const REGISTER_PBUF_RING = 22;

/** mmap offsets of the rings. */
export const OFF_SQ_RING = 0;
export const OFF_SQES = 0x10000000;

/** Opcodes (enum io_uring_op); the loop uses these six. */
export const Op = {
  ACCEPT: 13,
  ASYNC_CANCEL: 14,
  CLOSE: 19,
  SEND: 26,
  RECV: 27,
  SHUTDOWN: 34,
} as const;

/** `sqe.flags`. */
export const IOSQE_IO_LINK = 1 << 2;
export const IOSQE_BUFFER_SELECT = 1 << 5;
export const IOSQE_CQE_SKIP_SUCCESS = 1 << 6;

/** `sqe.ioprio` for ACCEPT: one SQE accepts until cancelled (5.19). */
export const ACCEPT_MULTISHOT = 1 << 0;
/** `sqe.ioprio` for RECV: one SQE receives until EOF, error or cancel, into provided buffers (6.0). */
export const RECV_MULTISHOT = 1 << 1;

/** `sqe.cancel_flags`: match by fd instead of user_data, and cancel every match. */
export const ASYNC_CANCEL_ALL = 1 << 0;
export const ASYNC_CANCEL_FD = 1 << 1;

/** `cqe.flags`. */
export const CQE_F_BUFFER = 1 << 0;
export const CQE_F_MORE = 1 << 1;
export const CQE_BUFFER_SHIFT = 16;

/** MSG_WAITALL on a stream socket: io_uring retries a short send itself, so a send completes whole or fails. */
export const MSG_WAITALL = 0x100;

/**
 * Byte offsets in `struct io_uring_params` (120 bytes): seven u32 fields and
 * resv[3], then `struct io_sqring_offsets` at 40 and `io_cqring_offsets` at 80.
 */
export const Params = {
  SIZE: 120,
  SQ_ENTRIES: 0,
  CQ_ENTRIES: 4,
  FLAGS: 8,
  FEATURES: 20,
  SQ_HEAD: 40,
  SQ_TAIL: 44,
  SQ_RING_MASK: 48,
  SQ_RING_ENTRIES: 52,
  SQ_ARRAY: 64,
  CQ_HEAD: 80,
  CQ_TAIL: 84,
  CQ_RING_MASK: 88,
  CQ_RING_ENTRIES: 92,
  CQ_CQES: 100,
} as const;

/** `struct io_uring_sqe` is 64 bytes; these are u32 word indexes inside one. */
export const SQE_SIZE = 64;
export const Sqe = {
  /** opcode (u8) | flags (u8) << 8 | ioprio (u16) << 16 */
  HEAD: 0,
  FD: 1,
  OFF_LO: 2,
  OFF_HI: 3,
  ADDR_LO: 4,
  ADDR_HI: 5,
  LEN: 6,
  /** msg_flags, accept_flags, cancel_flags: one union. */
  OP_FLAGS: 7,
  USER_DATA_LO: 8,
  USER_DATA_HI: 9,
  /** buf_group (u16) | personality (u16) << 16 */
  BUF_GROUP: 10,
} as const;

/** `struct io_uring_cqe` is 16 bytes: u64 user_data, s32 res, u32 flags. */
export const CQE_SIZE = 16;

/** `struct io_uring_probe`: 16-byte header (last_op at 0, ops_len at 1), then 8-byte ops (flags u16 at 2). */
export const PROBE_HEADER = 16;
export const PROBE_OP_SIZE = 8;
export const PROBE_OP_SUPPORTED = 1;

/** `struct io_uring_buf_reg` (40 bytes): u64 ring_addr, u32 ring_entries, u16 bgid, u16 flags, u64 resv[3]. */
export const BUF_REG_SIZE = 40;
/** `struct io_uring_buf` (16 bytes): u64 addr, u32 len, u16 bid, u16 resv; the ring's tail overlays buf[0].resv. */
export const BUF_SIZE = 16;

/** `struct io_uring_getevents_arg` (24 bytes): u64 sigmask, u32 sigmask_sz, u32 min_wait_usec, u64 ts. */
export const GETEVENTS_ARG_SIZE = 24;

/** mmap(2) */
export const PROT_READ_WRITE = 0x1 | 0x2;
export const MAP_SHARED = 0x01;
export const MAP_PRIVATE = 0x02;
export const MAP_ANONYMOUS = 0x20;
export const MAP_POPULATE = 0x8000;

/** errno values the ring code branches on: the one kernel errno table, under the name the ring code uses. */
export { Errno as E } from "../constants.ts";
