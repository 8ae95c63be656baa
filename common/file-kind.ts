// What sits at a path the apps read or write, when it is no regular file: a FIFO, socket or
// device there would block an open or swallow the rows, so both apps refuse it by name. Callers
// open with O_NONBLOCK (a FIFO with no writer would block a plain open), then ask this of fstat.
import type { Stats } from 'node:fs';

/** null for a regular file, else what it is, for the error line. */
export function notRegular(st: Stats): string | null {
  if (st.isFile()) return null;
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isDirectory()) return 'a directory';
  return 'not a regular file';
}
