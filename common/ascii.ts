// Byte values of the characters the CSV hot paths read and write. A const enum: TypeScript writes
// the numbers themselves into the code. (An imported `const` is a live binding that V8 loads and
// checks on every read: it made the parser's digit loop 1.7x slower.)
export const enum Ascii {
  Newline = 10,
  Cr = 13,
  Comma = 44,
  Dot = 46,
  Digit0 = 48,
  Digit9 = 57,
}
