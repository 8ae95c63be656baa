// Prometheus remote-write 1.0 on the wire: a WriteRequest in protobuf, in a snappy block
// (https://prometheus.io/docs/concepts/remote_write_spec/). Written by hand: four messages and
// their varints, and snappy's block format with literals only (valid for every decoder; the
// samples of a batch are mostly distinct numbers, so matching would save little).
//
//   WriteRequest { repeated TimeSeries timeseries = 1; }
//   TimeSeries   { repeated Label labels = 1; repeated Sample samples = 2; }
//   Label        { string name = 1; string value = 2; }
//   Sample       { double value = 1; int64 timestamp = 2; }

export interface Series {
  /** Sorted by name, `__name__` first, as the spec requires. */
  labels: [name: string, value: string][];
  /** [timestamp ms, value], in time order. */
  samples: [number, number][];
}

/** A growing byte buffer with protobuf's primitives. */
class Writer {
  private buf = Buffer.allocUnsafe(1024);
  length = 0;

  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.allocUnsafe(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }

  varint(value: number): void {
    this.room(10);
    let v = value;
    while (v >= 0x80) {
      this.buf[this.length++] = (v % 0x80) | 0x80;
      v = Math.floor(v / 0x80);
    }
    this.buf[this.length++] = v;
  }

  tag(field: number, wireType: number): void {
    this.varint(field * 8 + wireType);
  }

  bytes(field: number, data: Buffer): void {
    this.tag(field, 2);
    this.varint(data.length);
    this.room(data.length);
    data.copy(this.buf, this.length);
    this.length += data.length;
  }

  double(field: number, value: number): void {
    this.tag(field, 1);
    this.room(8);
    this.buf.writeDoubleLE(value, this.length);
    this.length += 8;
  }

  done(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

function message(build: (w: Writer) => void): Buffer {
  const w = new Writer();
  build(w);
  return w.done();
}

/** The WriteRequest of these series, in protobuf. */
export function encodeWriteRequest(series: Series[]): Buffer {
  return message((req) => {
    for (const s of series) {
      req.bytes(
        1,
        message((ts) => {
          for (const [name, value] of s.labels) {
            ts.bytes(
              1,
              message((l) => {
                l.bytes(1, Buffer.from(name));
                l.bytes(2, Buffer.from(value));
              }),
            );
          }
          for (const [timestamp, value] of s.samples) {
            ts.bytes(
              2,
              message((m) => {
                m.double(1, value);
                m.tag(2, 0);
                m.varint(timestamp); // positive: a plain varint is int64's encoding
              }),
            );
          }
        }),
      );
    }
  });
}

/** `data` as a snappy block of literals: the uncompressed length, then chunks of up to 64 KiB. */
export function snappyBlock(data: Buffer): Buffer {
  const w = new Writer();
  w.varint(data.length);
  const parts: Buffer[] = [w.done()];
  for (let at = 0; at < data.length; at += 65536) {
    const chunk = data.subarray(at, Math.min(data.length, at + 65536));
    const n = chunk.length - 1;
    // a literal's tag: its length − 1 in the tag's upper six bits, or in 1 or 2 bytes after it
    parts.push(
      n < 60 ? Buffer.from([n << 2]) : n < 256 ? Buffer.from([60 << 2, n]) : Buffer.from([61 << 2, n & 0xff, n >> 8]),
    );
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}
