// What sits at a path the apps read or write, when it is no regular file: a FIFO, socket or
// device there would block an open or swallow the rows, so both apps refuse it by name.
import { constants, type Stats } from 'node:fs';

/** Opening without blocking (a FIFO with no writer would block a plain open) and never through a symlink. */
export const OPEN_NO_BLOCK = constants.O_NONBLOCK;

/** null for a regular file, else what it is, for the error line. */
export function notRegular(st: Stats): string | null {
  if (st.isFile()) return null;
  if (st.isFIFO()) return 'a FIFO';
  if (st.isSocket()) return 'a socket';
  if (st.isCharacterDevice() || st.isBlockDevice()) return 'a device';
  if (st.isDirectory()) return 'a directory';
  if (st.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}
