import test from 'ava';
import { readFileSync, writeFileSync } from 'node:fs';
import { readSeqMark, SeqMark, seqMarkPath } from '../../apps/engine/seq-mark.js';
import { tempDir } from '../helpers.js';

test('the mark holds the last seq written, in place; a missing or garbled mark reads as 0', async (t) => {
  const dir = await tempDir();
  t.is(readSeqMark(dir), 0, 'no file yet');
  const mark = new SeqMark(dir);
  mark.write(123_456_789);
  mark.write(42); // shorter: the padding overwrites the longer value
  t.is(readSeqMark(dir), 42);
  t.is(readFileSync(seqMarkPath(dir), 'utf8').length, 20, 'one fixed-width record');
  mark.close();
  mark.write(7); // after close: ignored, never throws
  t.is(readSeqMark(dir), 42);
  for (const garbage of ['', 'abc', '-5', '1e400', '9007199254740993', '3.5']) {
    writeFileSync(seqMarkPath(dir), garbage);
    t.is(readSeqMark(dir), 0, JSON.stringify(garbage));
  }
});
