/**
 * The decoder's dynamic table (RFC 7541 §2.3.2, §4): a ring of names and
 * values, newest first, bounded in octets by the size the peer last set.
 * The ring's slots are allocated on the first insertion, so an idle
 * connection, or one whose peer never indexes, carries no table.
 */
import { HpackLimits } from "./constants.ts";

export class DynamicTable {
  /** Entry names and values; slot `head` is the newest. Null until the first insertion. */
  private names: string[] | null = null;
  private values: string[] | null = null;
  /** Slots in the ring: the most entries `limit` octets can hold (each is ≥ 32). */
  private slots = 0;
  private head = 0;
  /** Entries held; index 1 is the newest (§2.3.3). */
  length = 0;
  /** Octets held, by §4.1's count; never above `capacity`. */
  size = 0;
  /** The maximum size now in force (the last size update, §4.2). */
  capacity: number;

  /** The largest capacity the peer may set (our SETTINGS_HEADER_TABLE_SIZE). */
  limit: number;

  constructor(limit: number) {
    this.limit = limit;
    this.capacity = limit;
  }

  name(index: number): string {
    return this.names![(this.head + index - 1) % this.slots]!;
  }

  value(index: number): string {
    return this.values![(this.head + index - 1) % this.slots]!;
  }

  /** §4.4: evict from the oldest until the new entry fits; one larger than the table empties it. */
  insert(name: string, value: string): void {
    const entry = name.length + value.length + HpackLimits.ENTRY_OVERHEAD;
    if (entry > this.capacity) {
      this.clear();
      return;
    }
    this.evictTo(this.capacity - entry);
    if (this.names === null) this.allocate();
    this.head = (this.head + this.slots - 1) % this.slots;
    this.names![this.head] = name;
    this.values![this.head] = value;
    this.length++;
    this.size += entry;
  }

  /** §4.3: a smaller maximum evicts from the oldest until the table fits. */
  resize(capacity: number): void {
    this.capacity = capacity;
    this.evictTo(capacity);
  }

  /** Raises or lowers the ceiling of `resize` (a new SETTINGS_HEADER_TABLE_SIZE, once acknowledged). */
  setLimit(limit: number): void {
    if (this.names !== null && Math.floor(limit / HpackLimits.ENTRY_OVERHEAD) > this.slots) this.grow(limit);
    this.limit = limit;
    if (this.capacity > limit) this.resize(limit);
  }

  private evictTo(target: number): void {
    while (this.size > target) {
      const slot = (this.head + this.length - 1) % this.slots;
      this.size -= this.names![slot]!.length + this.values![slot]!.length + HpackLimits.ENTRY_OVERHEAD;
      this.names![slot] = "";
      this.values![slot] = "";
      this.length--;
    }
  }

  private clear(): void {
    this.evictTo(0);
  }

  private allocate(): void {
    this.slots = Math.max(1, Math.floor(this.limit / HpackLimits.ENTRY_OVERHEAD));
    this.names = new Array<string>(this.slots).fill("");
    this.values = new Array<string>(this.slots).fill("");
    this.head = 0;
  }

  /** Re-lays the ring, newest first, in a larger one. */
  private grow(limit: number): void {
    const names: string[] = [];
    const values: string[] = [];
    for (let i = 1; i <= this.length; i++) {
      names.push(this.name(i));
      values.push(this.value(i));
    }
    this.slots = Math.floor(limit / HpackLimits.ENTRY_OVERHEAD);
    while (names.length < this.slots) {
      names.push("");
      values.push("");
    }
    this.names = names;
    this.values = values;
    this.head = 0;
  }
}
