/**
 * The streams of one connection (RFC 9113 §5.1): the open ones by id, the
 * highest id the client has used (every lower idle id is closed, §5.1.1), and
 * the ids we reset lately, whose in-flight frames §5.1 tells us to ignore.
 */
import { StreamState } from "./constants.ts";
import type { Stream } from "./stream.ts";

/** Stream ids we reset lately: as many as fit in a small ring. */
const RECENT_RESETS = 32;

export class StreamTable {
  private readonly map = new Map<number, Stream>();
  /** The highest stream id the client opened (or tried to): ids above it are idle. */
  lastStreamId = 0;
  private readonly recent = new Int32Array(RECENT_RESETS);
  private recentIndex = 0;

  /** `onRemoved`: after a stream left the table (its output dropped, the app told). */
  constructor(private readonly onRemoved: (stream: Stream) => void) {}

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
    this.map.set(stream.streamId, stream);
  }

  /** §5.1.1: an id above every one the client used names an idle stream. */
  isIdle(id: number): boolean {
    return id > this.lastStreamId;
  }

  /** Closes a stream: it leaves the table, its queued answer is dropped, the app's onClose runs once. */
  remove(stream: Stream): void {
    if (!this.map.delete(stream.streamId)) return;
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
    this.onRemoved(stream);
  }

  removeAll(): void {
    for (const stream of this.map.values()) this.remove(stream);
  }

  noteReset(id: number): void {
    this.recent[this.recentIndex] = id;
    this.recentIndex = (this.recentIndex + 1) % RECENT_RESETS;
  }

  recentlyReset(id: number): boolean {
    return this.recent.includes(id);
  }
}
