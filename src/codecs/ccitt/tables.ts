/**
 * The code tables of ITU-T T.4 (section 4.1, tables 1-4), which T.6 (Group 4) uses unchanged.
 * Each table is written as `code/length` pairs in the order of its run lengths; a code is the
 * integer value of its bits, most significant first (e.g. white run 0 is 00110101 = 0x35, 8 bits).
 */

/** Table 2/T.4: white terminating codes, runs 0..63. */
const WHITE_TERMINATING = [
  [0x35, 8], [0x07, 6], [0x07, 4], [0x08, 4], [0x0b, 4], [0x0c, 4], [0x0e, 4], [0x0f, 4],
  [0x13, 5], [0x14, 5], [0x07, 5], [0x08, 5], [0x08, 6], [0x03, 6], [0x34, 6], [0x35, 6],
  [0x2a, 6], [0x2b, 6], [0x27, 7], [0x0c, 7], [0x08, 7], [0x17, 7], [0x03, 7], [0x04, 7],
  [0x28, 7], [0x2b, 7], [0x13, 7], [0x24, 7], [0x18, 7], [0x02, 8], [0x03, 8], [0x1a, 8],
  [0x1b, 8], [0x12, 8], [0x13, 8], [0x14, 8], [0x15, 8], [0x16, 8], [0x17, 8], [0x28, 8],
  [0x29, 8], [0x2a, 8], [0x2b, 8], [0x2c, 8], [0x2d, 8], [0x04, 8], [0x05, 8], [0x0a, 8],
  [0x0b, 8], [0x52, 8], [0x53, 8], [0x54, 8], [0x55, 8], [0x24, 8], [0x25, 8], [0x58, 8],
  [0x59, 8], [0x5a, 8], [0x5b, 8], [0x4a, 8], [0x4b, 8], [0x32, 8], [0x33, 8], [0x34, 8],
] as const;

/** Table 2/T.4: black terminating codes, runs 0..63. */
const BLACK_TERMINATING = [
  [0x37, 10], [0x02, 3], [0x03, 2], [0x02, 2], [0x03, 3], [0x03, 4], [0x02, 4], [0x03, 5],
  [0x05, 6], [0x04, 6], [0x04, 7], [0x05, 7], [0x07, 7], [0x04, 8], [0x07, 8], [0x18, 9],
  [0x17, 10], [0x18, 10], [0x08, 10], [0x67, 11], [0x68, 11], [0x6c, 11], [0x37, 11], [0x28, 11],
  [0x17, 11], [0x18, 11], [0xca, 12], [0xcb, 12], [0xcc, 12], [0xcd, 12], [0x68, 12], [0x69, 12],
  [0x6a, 12], [0x6b, 12], [0xd2, 12], [0xd3, 12], [0xd4, 12], [0xd5, 12], [0xd6, 12], [0xd7, 12],
  [0x6c, 12], [0x6d, 12], [0xda, 12], [0xdb, 12], [0x54, 12], [0x55, 12], [0x56, 12], [0x57, 12],
  [0x64, 12], [0x65, 12], [0x52, 12], [0x53, 12], [0x24, 12], [0x37, 12], [0x38, 12], [0x27, 12],
  [0x28, 12], [0x58, 12], [0x59, 12], [0x2b, 12], [0x2c, 12], [0x5a, 12], [0x66, 12], [0x67, 12],
] as const;

/** Table 3a/T.4: white make-up codes, runs 64, 128, ..., 1728. */
const WHITE_MAKEUP = [
  [0x1b, 5], [0x12, 5], [0x17, 6], [0x37, 7], [0x36, 8], [0x37, 8], [0x64, 8], [0x65, 8], [0x68, 8],
  [0x67, 8], [0xcc, 9], [0xcd, 9], [0xd2, 9], [0xd3, 9], [0xd4, 9], [0xd5, 9], [0xd6, 9], [0xd7, 9],
  [0xd8, 9], [0xd9, 9], [0xda, 9], [0xdb, 9], [0x98, 9], [0x99, 9], [0x9a, 9], [0x18, 6], [0x9b, 9],
] as const;

/** Table 3a/T.4: black make-up codes, runs 64, 128, ..., 1728. */
const BLACK_MAKEUP = [
  [0x0f, 10], [0xc8, 12], [0xc9, 12], [0x5b, 12], [0x33, 12], [0x34, 12], [0x35, 12], [0x6c, 13], [0x6d, 13],
  [0x4a, 13], [0x4b, 13], [0x4c, 13], [0x4d, 13], [0x72, 13], [0x73, 13], [0x74, 13], [0x75, 13], [0x76, 13],
  [0x77, 13], [0x52, 13], [0x53, 13], [0x54, 13], [0x55, 13], [0x5a, 13], [0x5b, 13], [0x64, 13], [0x65, 13],
] as const;

/** Table 3b/T.4: make-up codes shared by both colours, runs 1792, 1856, ..., 2560. */
const SHARED_MAKEUP = [
  [0x08, 11], [0x0c, 11], [0x0d, 11], [0x12, 12], [0x13, 12], [0x14, 12], [0x15, 12],
  [0x16, 12], [0x17, 12], [0x1c, 12], [0x1d, 12], [0x1e, 12], [0x1f, 12],
] as const;

/** Table 4/T.4: the two-dimensional mode codes. */
export const PASS = { code: 0x1, length: 4 } as const;
export const HORIZONTAL = { code: 0x1, length: 3 } as const;
/** Vertical modes by a1 - b1 + 3: VL3, VL2, VL1, V0, VR1, VR2, VR3. */
export const VERTICAL_CODE = Uint8Array.of(0x02, 0x02, 0x02, 0x1, 0x03, 0x03, 0x03);
export const VERTICAL_LENGTH = Uint8Array.of(7, 6, 3, 1, 3, 6, 7);
/** End of facsimile block (T.6 section 2.4): two EOL codes, 000000000001 each. */
export const EOL = { code: 0x001, length: 12 } as const;

/** The longest make-up code's run: longer runs repeat it (T.4 section 4.1.1.3). */
export const MAX_MAKEUP = 2560;

/**
 * The code for every run a make-up code stands for or 0..63, indexed by run length (0..2560):
 * `code` and `length` for the terminating code of runs below 64 and the make-up code of multiples of 64.
 */
export interface RunCodes {
  code: Uint16Array;
  length: Uint8Array;
}

function runCodes(terminating: readonly (readonly [number, number])[], makeup: readonly (readonly [number, number])[]): RunCodes {
  const code = new Uint16Array(MAX_MAKEUP + 1);
  const length = new Uint8Array(MAX_MAKEUP + 1);
  terminating.forEach(([c, n], run) => ((code[run] = c), (length[run] = n)));
  [...makeup, ...SHARED_MAKEUP].forEach(([c, n], i) => ((code[(i + 1) * 64] = c), (length[(i + 1) * 64] = n)));
  return { code, length };
}

export const WHITE: RunCodes = runCodes(WHITE_TERMINATING, WHITE_MAKEUP);
export const BLACK: RunCodes = runCodes(BLACK_TERMINATING, BLACK_MAKEUP);
