import type { MQEncoder } from "./mq-encoder.js";

/** Out-of-band: the IAx value that ends a height class, a strip, or tells "no more". */
export const OOB = null;

/** Contexts of one IAx procedure (IADH, IADW, IAEX, IADT, IAFS, IADS, IAIT...): 512, indexed by PREV. */
export function integerContexts(): Uint8Array {
  return new Uint8Array(512);
}

// Table A.1: the ranges of |value|, each with its prefix bits, value bit count and offset.
const RANGES: ReadonlyArray<{ limit: number; prefix: number; prefixBits: number; valueBits: number; offset: number }> = [
  { limit: 4, prefix: 0b0, prefixBits: 1, valueBits: 2, offset: 0 },
  { limit: 20, prefix: 0b10, prefixBits: 2, valueBits: 4, offset: 4 },
  { limit: 84, prefix: 0b110, prefixBits: 3, valueBits: 6, offset: 20 },
  { limit: 340, prefix: 0b1110, prefixBits: 4, valueBits: 8, offset: 84 },
  { limit: 4436, prefix: 0b11110, prefixBits: 5, valueBits: 12, offset: 340 },
  { limit: 4436 + 2 ** 32, prefix: 0b11111, prefixBits: 5, valueBits: 32, offset: 4436 },
];

/** The integer arithmetic encoding procedure: the inverse of T.88 A.2. `value` null codes OOB. */
export function encodeInteger(encoder: MQEncoder, contexts: Uint8Array, value: number | null): void {
  const sign = value === null || value < 0 ? 1 : 0;
  const magnitude = value === null ? 0 : Math.abs(value);
  if (value !== null && (!Number.isSafeInteger(value) || magnitude >= 4436 + 2 ** 32)) {
    throw new RangeError(`JBIG2 integer out of range: ${value}`);
  }
  let r = 0;
  while (magnitude >= RANGES[r]!.limit) r++;
  const range = RANGES[r]!;
  // One bit after another in PREV's context (a loop, not a closure per value: the text region codes thousands).
  let prev = encodeBit(encoder, contexts, 1, sign);
  for (let i = range.prefixBits - 1; i >= 0; i--) prev = encodeBit(encoder, contexts, prev, (range.prefix >> i) & 1);
  const v = magnitude - range.offset; // below 2^32, so >>> reads its bits
  for (let i = range.valueBits - 1; i >= 0; i--) prev = encodeBit(encoder, contexts, prev, (v >>> i) & 1);
}

/** Codes bit d in context PREV and returns the next PREV (A.2: the last 8 bits, with bit 8 set once past 256). */
function encodeBit(encoder: MQEncoder, contexts: Uint8Array, prev: number, d: number): number {
  encoder.encode(contexts, prev, d);
  return prev < 256 ? (prev << 1) | d : (((prev << 1) | d) & 511) | 256;
}

/** Contexts of the IAID procedure for symbol codes of `codeLength` bits. */
export function symbolIdContexts(codeLength: number): Uint8Array {
  return new Uint8Array(2 ** (codeLength + 1));
}

/** The IAID encoding procedure (inverse of T.88 A.3): `id` in `codeLength` bits, most significant first. */
export function encodeSymbolId(encoder: MQEncoder, contexts: Uint8Array, codeLength: number, id: number): void {
  let prev = 1;
  for (let i = codeLength - 1; i >= 0; i--) {
    const d = (id >>> i) & 1;
    encoder.encode(contexts, prev, d);
    prev = (prev << 1) | d;
  }
}

/** SBSYMCODELEN: ceil(log2(count)), 0 for a single symbol. */
export function symbolCodeLength(count: number): number {
  let length = 0;
  while (2 ** length < count) length++;
  return length;
}
