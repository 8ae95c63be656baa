// Model test of the follower (Vector's file-source tests, as fast-check commands so a failure
// shrinks to the shortest script that causes it): appends, partial writes, torn tails, rotations
// (long chains included), truncation, deletion and replacement of the live file, a second writer,
// stat failures (EACCES, EIO) and kill -9 restarts from the last checkpoint. After any script, every
// complete row is seen exactly once, in the order it reached the files.
import test from 'ava';
import fc from 'fast-check';
import { appendFileSync, existsSync, readFileSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ParserState } from '../../../apps/analytics/source/parse-line.js';
import { TailFile, type FilePosition } from '../../../apps/analytics/source/tail-file.js';
import { roundTrip, tempDir } from '../../helpers.js';
import { Collector, faultyFs, HEADER } from './follow-fixtures.js';

const KEEP = 300;

/** What must be seen: the seqs of complete rows, in file order. */
interface Model {
  expected: number[];
}

/** The files and the reader, as the app runs them. */
class Real {
  readonly path: string;
  readonly fs = faultyFs();
  private seq = 0;
  /** A second writer's rows: seqs from another range. */
  private otherSeq = 1_000_000;
  partial = '';
  events = new Collector();
  tail: TailFile;
  seen: number[] = [];
  checkpoint: { position: FilePosition | null; parser: ParserState; seen: number } = {
    position: null,
    parser: { mapping: null },
    seen: 0,
  };

  constructor(dir: string) {
    this.path = join(dir, 'telemetry.csv');
    writeFileSync(this.path, HEADER);
    this.tail = this.newTail();
  }

  newTail(): TailFile {
    return new TailFile(this.path, this.events, { maxLineBytes: 4096, chunkBytes: 256, fs: this.fs });
  }

  row(second = false): { seq: number; text: string } {
    const seq = second ? ++this.otherSeq : ++this.seq;
    return { seq, text: `${1_700_000_000_000 + seq},${(seq * 37) % 100}.5,50.25,${seq}\n` };
  }

  finishPartial(): void {
    if (this.partial) appendFileSync(this.path, this.partial);
    this.partial = '';
  }

  poll(): void {
    while (this.tail.poll(1000) >= 1000);
    this.seen.push(...this.events.seqs);
    this.events.seqs = [];
  }

  save(): void {
    this.checkpoint = {
      position: roundTrip(this.tail.position),
      parser: this.events.parser.save(),
      seen: this.seen.length,
    };
  }

  /** Rows in a file about to disappear or be rewritten are read first (as the live app would, given time). */
  settle(): void {
    this.finishPartial();
    const failing = this.fs.statFails;
    this.fs.statFails = null;
    this.poll();
    this.save();
    this.fs.statFails = failing;
  }

  rotate(): void {
    this.finishPartial();
    for (let i = KEEP - 1; i >= 1; i--)
      if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
    renameSync(this.path, `${this.path}.1`);
    writeFileSync(this.path, HEADER);
  }
}

type Cmd = fc.Command<Model, Real>;
const cmd = (name: string, run: (m: Model, r: Real) => void): Cmd => ({ check: () => true, run, toString: () => name });

const appendRows = (n: number, second: boolean): Cmd =>
  cmd(`append ${n} rows${second ? ' (second writer)' : ''}`, (m, r) => {
    r.finishPartial();
    let text = '';
    for (let i = 0; i < n; i++) {
      const { seq, text: line } = r.row(second);
      m.expected.push(seq);
      text += line;
    }
    appendFileSync(r.path, text);
  });

const appendPartial = (cut: number): Cmd =>
  cmd(`append part of a row (${cut})`, (m, r) => {
    if (r.partial) return;
    const { seq, text } = r.row();
    m.expected.push(seq);
    const at = 1 + (cut % (text.length - 1));
    appendFileSync(r.path, text.slice(0, at));
    r.partial = text.slice(at);
  });

const tornCrash = cmd('the engine dies mid-line and cuts the torn tail on restart', (m, r) => {
  if (!r.partial) return;
  m.expected.pop();
  const text = readFileSync(r.path);
  truncateSync(r.path, text.lastIndexOf(10) + 1);
  r.partial = '';
});

const rotateMany = (n: number): Cmd =>
  cmd(`rotate ${n} times (a row each)`, (m, r) => {
    r.settle();
    for (let i = 0; i < n; i++) {
      const { seq, text } = r.row();
      m.expected.push(seq);
      appendFileSync(r.path, text);
      r.rotate();
    }
  });

const lose = (how: 'truncate' | 'delete' | 'replace'): Cmd =>
  cmd(`${how} the live file`, (_m, r) => {
    r.settle();
    if (how === 'truncate') truncateSync(r.path, 0);
    else if (how === 'delete') rmSync(r.path);
    else {
      writeFileSync(`${r.path}.new`, HEADER);
      renameSync(`${r.path}.new`, r.path);
    }
    r.poll();
    if (!existsSync(r.path)) writeFileSync(r.path, HEADER);
  });

const statFails = (code: 'EACCES' | 'EIO' | null): Cmd =>
  cmd(code ? `stat fails with ${code}` : 'stat works again', (_m, r) => {
    r.fs.statFails = code;
  });

const poll = cmd('poll', (_m, r) => r.poll());
const save = cmd('checkpoint', (_m, r) => r.save());
const restart = cmd('kill -9 and restart from the checkpoint', (_m, r) => {
  r.tail.close();
  r.seen = r.seen.slice(0, r.checkpoint.seen);
  r.events = new Collector();
  r.events.parser.restore(r.checkpoint.parser);
  r.tail = r.newTail();
  r.tail.resumeFrom(r.checkpoint.position);
  r.poll();
});

const commands = [
  fc.tuple(fc.integer({ min: 1, max: 20 }), fc.boolean()).map(([n, second]) => appendRows(n, second)),
  fc.nat(200).map(appendPartial),
  fc.constant(tornCrash),
  fc.oneof(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 200, max: 260 })).map(rotateMany),
  fc.constantFrom<'truncate' | 'delete' | 'replace'>('truncate', 'delete', 'replace').map(lose),
  fc.constantFrom<'EACCES' | 'EIO' | null>('EACCES', 'EIO', null).map(statFails),
  fc.constant(poll),
  fc.constant(save),
  fc.constant(restart),
];

test('random scripts of appends, rotations (chains of 200+), losses, faults and restarts: every complete row exactly once', async (t) => {
  let runs = 0;
  let longest = 0;
  await fc.assert(
    fc.asyncProperty(fc.commands(commands, { maxCommands: 40 }), async (script) => {
      const real = new Real(await tempDir('telemetry-model-'));
      const model: Model = { expected: [] };
      fc.modelRun(() => ({ model, real }), script);
      real.fs.statFails = null;
      real.finishPartial();
      real.poll();
      real.tail.close();
      runs++;
      longest = Math.max(longest, real.seen.length);
      if (real.fs.open.size !== 0) throw new Error(`${real.fs.open.size} descriptors left open`);
      if (real.events.rejected !== 0)
        throw new Error(`${real.events.rejected} rows rejected: a partial line was judged`);
      if (JSON.stringify(real.seen) !== JSON.stringify(model.expected))
        throw new Error(
          `seen ${real.seen.length} rows, expected ${model.expected.length}: first difference at ${real.seen.findIndex((s, i) => s !== model.expected[i])}`,
        );
    }),
    { numRuns: 40, seed: 20261128 },
  );
  t.log(`${runs} scripts, up to ${longest} rows`);
  t.is(runs, 40);
});
