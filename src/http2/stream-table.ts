/**
 * The streams of one connection (RFC 9113 §5.1): the open ones by id, the
 * highest id the client has used (every lower idle id is closed, §5.1.1), and
 * the ids we reset lately, whose in-flight frames §5.1 tells us to ignore.
 */
import { StreamState } from "./constants.ts";
import type { Stream } from "./stream.ts";

/** Stream ids we reset lately: as many as fit in a small ring. */
const RECENT_RESETS = 32;

/** What the table tells its session. */
export interface TableHost {
  /** After a stream left the table (its output dropped, the app told). */
  streamRemoved(stream: Stream): void;
}

/** The map of a table no stream has entered yet: idle connections share it and never write to it. */
const NO_STREAMS: ReadonlyMap<number, Stream> = new Map();

export class StreamTable {
  /** The open streams; the shared empty map until the first stream, so an idle connection holds none. */
  private map: Map<number, Stream> | ReadonlyMap<number, Stream> = NO_STREAMS;
  /** The highest stream id the client opened (or tried to): ids above it are idle. */
  lastStreamId = 0;
  /** The ring of ids reset lately; allocated at the first reset. */
  private recent: Int32Array | null = null;
  private recentIndex = 0;

  constructor(private readonly host: TableHost) {}

  get size(): number {
    return this.map.size;
  }

  get(id: number): Stream | undefined {
    return this.map.get(id);
  }

  values(): IterableIterator<Stream> {
    return this.map.values();
  }

  add(stream: Stream): void {
    if (this.map === NO_STREAMS) this.map = new Map();
    (this.map as Map<number, Stream>).set(stream.streamId, stream);
  }

  /** §5.1.1: an id above every one the client used names an idle stream. */
  isIdle(id: number): boolean {
    return id > this.lastStreamId;
  }

  /** Closes a stream: it leaves the table, its queued answer is dropped, the app's onClose runs once. */
  remove(stream: Stream): void {
    if (this.map.size === 0 || !(this.map as Map<number, Stream>).delete(stream.streamId)) return;
    stream.state = StreamState.CLOSED;
    stream.dropOutput();
    const onClose = stream.onClose;
    stream.onClose = null;
    if (onClose !== null) {
      try {
        onClose();
      } catch {
        // The app's cleanup failing must not take the connection down.
      }
    }
    this.host.streamRemoved(stream);
  }

  removeAll(): void {
    if (this.map.size === 0) return;
    for (const stream of this.map.values()) this.remove(stream);
  }

  noteReset(id: number): void {
    // Id 0 is never a stream's, so a ring not yet written matches nothing (the zeros of a fresh Int32Array).
    this.recent ??= new Int32Array(RECENT_RESETS);
    this.recent[this.recentIndex] = id;
    this.recentIndex = (this.recentIndex + 1) % RECENT_RESETS;
  }

  recentlyReset(id: number): boolean {
    return this.recent !== null && this.recent.includes(id);
  }
}
