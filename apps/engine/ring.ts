// A bounded single-producer/single-consumer queue of samples over a SharedArrayBuffer.
//
//   producer thread                      SharedArrayBuffer                        writer thread
//   push(ts, cpu, ram, seq) ──▶ [ ctl: Int32 W = count | CLOSED | ENDED, capacity ][ slots: Float64 × 4 × cap ] ──▶ popBatch(out)
//   waits on W while count = cap                                             waits on W while count = 0
//
// W is the one word both sides wait on and notify (Atomics as a condition variable for "not full"
// and "not empty"); close() and end() set bits in W, so they wake every waiter and no waiter can
// miss them. close() (a stop request, from any thread) refuses room for new records; end() (the
// producer, after its last commit) tells the consumer nothing more comes. Only end() lets the
// consumer stop: a batch the producer was putting when close() came is still handed over.
// A side announces that it is about to sleep in its own flag word, so the other side pays for
// Atomics.notify only when someone may be asleep (every access is sequentially consistent: a
// sleeper's flag is always seen by the thread whose change of W it waits for).
// head is known only to the producer, tail only to the consumer.

const W = 0;
const CAPACITY = 1;
const CONSUMER_WAITING = 2;
const PRODUCER_WAITING = 3;
const CTL_BYTES = 16;
const CLOSED = 1 << 30;
const ENDED = 1 << 29;
const COUNT = ENDED - 1;
export const FIELDS = 4; // timestamp, cpu, ram, seq

export const enum Push {
  Ok = 0,
  Full = 1,
  Closed = 2,
}

export class Ring {
  readonly buffer: SharedArrayBuffer;
  readonly capacity: number;
  /** Milliseconds the producer spent waiting for room (block policy). */
  blockedMs = 0;
  private readonly ctl: Int32Array;
  private readonly slots: Float64Array;
  private head = 0;
  private tail = 0;

  private constructor(buffer: SharedArrayBuffer) {
    this.buffer = buffer;
    this.ctl = new Int32Array(buffer, 0, 4);
    this.capacity = this.ctl[CAPACITY] as number;
    this.slots = new Float64Array(buffer, CTL_BYTES, this.capacity * FIELDS);
  }

  static create(capacity: number): Ring {
    if (!Number.isInteger(capacity) || capacity < 1 || capacity > COUNT)
      throw new RangeError(`ring capacity must be 1..${COUNT}`);
    const buffer = new SharedArrayBuffer(CTL_BYTES + capacity * FIELDS * 8);
    new Int32Array(buffer, 0, 4)[CAPACITY] = capacity;
    return new Ring(buffer);
  }

  /** The same queue seen from another thread. */
  static attach(buffer: SharedArrayBuffer): Ring {
    return new Ring(buffer);
  }

  /** Producer side, one record. With `block`, waits while full; otherwise returns Push.Full at once. */
  push(timestamp: number, cpu: number, ram: number, seq: number, block: boolean): Push {
    const room = this.room(1, block);
    if (room < 0) return Push.Closed;
    if (room === 0) return Push.Full;
    this.put(0, timestamp, cpu, ram, seq);
    this.commit(1);
    return Push.Ok;
  }

  /**
   * Producer side, in batches (put records, then commit them with one atomic step): free slots,
   * up to `max`. With `block`, waits while there are none; otherwise 0 when full. -1 once closed.
   */
  room(max: number, block: boolean): number {
    let w = Atomics.load(this.ctl, W);
    if ((w & COUNT) === this.capacity && (w & CLOSED) === 0) {
      if (!block) return 0;
      const start = performance.now();
      Atomics.store(this.ctl, PRODUCER_WAITING, 1);
      while ((w & COUNT) === this.capacity && (w & CLOSED) === 0) {
        Atomics.wait(this.ctl, W, w);
        w = Atomics.load(this.ctl, W);
      }
      Atomics.store(this.ctl, PRODUCER_WAITING, 0);
      this.blockedMs += performance.now() - start;
    }
    if (w & CLOSED) return -1;
    return Math.min(max, this.capacity - (w & COUNT));
  }

  /** Writes the k-th record of a batch (k < room()); the consumer sees it after commit(). */
  put(k: number, timestamp: number, cpu: number, ram: number, seq: number): void {
    const slot = this.head + k;
    const at = (slot < this.capacity ? slot : slot - this.capacity) * FIELDS;
    this.slots[at] = timestamp;
    this.slots[at + 1] = cpu;
    this.slots[at + 2] = ram;
    this.slots[at + 3] = seq;
  }

  /** Hands the first `n` records put to the consumer. */
  commit(n: number): void {
    const head = this.head + n;
    this.head = head < this.capacity ? head : head - this.capacity;
    const before = Atomics.add(this.ctl, W, n);
    if ((before & COUNT) === 0 && Atomics.load(this.ctl, CONSUMER_WAITING) === 1) Atomics.notify(this.ctl, W, 1);
  }

  /**
   * Consumer side: copies up to `max` records into `out` (FIELDS numbers each) and returns how
   * many; waits up to `timeoutMs` while empty (0 on timeout or wake-up); -1 once ended and drained.
   */
  popBatch(out: Float64Array, max: number, timeoutMs = Infinity): number {
    let w = Atomics.load(this.ctl, W);
    if ((w & COUNT) === 0) {
      if (w & ENDED) return -1;
      if (timeoutMs <= 0) return 0;
      Atomics.store(this.ctl, CONSUMER_WAITING, 1);
      Atomics.wait(this.ctl, W, w, timeoutMs);
      Atomics.store(this.ctl, CONSUMER_WAITING, 0);
      w = Atomics.load(this.ctl, W);
      if ((w & COUNT) === 0) return w & ENDED ? -1 : 0;
    }
    const n = Math.min(w & COUNT, max, out.length / FIELDS);
    const first = Math.min(n, this.capacity - this.tail);
    out.set(this.slots.subarray(this.tail * FIELDS, (this.tail + first) * FIELDS), 0);
    if (first < n) out.set(this.slots.subarray(0, (n - first) * FIELDS), first * FIELDS);
    this.tail = (this.tail + n) % this.capacity;
    const before = Atomics.sub(this.ctl, W, n);
    if ((before & COUNT) === this.capacity && Atomics.load(this.ctl, PRODUCER_WAITING) === 1)
      Atomics.notify(this.ctl, W, 1);
    return n;
  }

  /** Refuses room for further records and wakes every waiter; the consumer still drains what is queued, and what the producer commits until end(). */
  close(): void {
    Atomics.or(this.ctl, W, CLOSED);
    Atomics.notify(this.ctl, W);
  }

  /** Producer side, after its last commit (or when it will never run): the consumer stops once it has drained the rest. */
  end(): void {
    Atomics.or(this.ctl, W, CLOSED | ENDED);
    Atomics.notify(this.ctl, W);
  }

  get depth(): number {
    return Atomics.load(this.ctl, W) & COUNT;
  }

  /** Which side has announced it is asleep (or about to be) in Atomics.wait. */
  get sleeping(): { consumer: boolean; producer: boolean } {
    return {
      consumer: Atomics.load(this.ctl, CONSUMER_WAITING) === 1,
      producer: Atomics.load(this.ctl, PRODUCER_WAITING) === 1,
    };
  }

  get closed(): boolean {
    return (Atomics.load(this.ctl, W) & CLOSED) !== 0;
  }
}
