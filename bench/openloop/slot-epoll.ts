/**
 * One epoll instance whose events carry a slot number: the load generators (bench/openloop,
 * bench/ws-echo) keep their connections as slots in typed arrays, and each epoll event's data
 * is the slot it is for. The event and registration buffers are made once, so a wait or a
 * registration allocates nothing.
 */
import * as K from "../../src/io/constants.ts";
import type { ClientLibc } from "./ffi.ts";

/** Events read per wait. */
const MAX_EVENTS = 256;

export class SlotEpoll {
  readonly epfd: number;
  private readonly events = new Uint8Array(MAX_EVENTS * K.EPOLL_EVENT_SIZE);
  private readonly eventWords = new Uint32Array(this.events.buffer);
  private readonly cell = new Uint8Array(K.EPOLL_EVENT_SIZE);
  private readonly cellWords = new Uint32Array(this.cell.buffer);

  constructor(private readonly libc: ClientLibc) {
    this.epfd = libc.epollCreate1(K.EPOLL_CLOEXEC);
    if (this.epfd < 0) throw new Error(`epoll_create1 failed: errno ${libc.errno()}`);
  }

  /** epoll_ctl `op` of `fd` for `events`, its events tagged with `slot`; false when it failed. */
  watch(fd: number, slot: number, op: number, events: number): boolean {
    this.cellWords[0] = events;
    this.cellWords[1] = slot;
    this.cellWords[2] = 0;
    return this.libc.epollCtl(this.epfd, op, fd, this.cell) === 0;
  }

  /** Waits up to `timeoutMs`; returns how many events arrived, read with {@link eventsAt} and {@link slotAt}. */
  wait(timeoutMs: number): number {
    return this.libc.epollWait(this.epfd, this.events, MAX_EVENTS, timeoutMs);
  }

  /** The event mask of the `i`th event of the last wait (struct epoll_event is packed: 12 bytes). */
  eventsAt(i: number): number {
    return this.eventWords[3 * i]!;
  }

  /** The slot of the `i`th event of the last wait. */
  slotAt(i: number): number {
    return this.eventWords[3 * i + 1]!;
  }

  close(): void {
    this.libc.close(this.epfd);
  }
}
