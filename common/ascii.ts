// Byte values of the characters the CSV hot paths read and write.
export const NEWLINE = 10;
export const CR = 13;
export const COMMA = 44;
export const DOT = 46;
export const DIGIT_0 = 48;
export const DIGIT_9 = 57;
