/**
 * The MQ binary arithmetic encoder of ITU-T T.88 Annex E (the coder JPEG 2000 also uses). A context's
 * state is one byte, `(index << 1) | mps`, kept in a `Uint8Array` owned by the caller, so each coding
 * procedure (generic region pixels, each IAx integer, IAID) has its own array of contexts.
 */

// Table E.1: probability estimate Qe, next index after an MPS, after an LPS, and whether an LPS swaps the MPS.
const QE = new Uint16Array([
  0x5601, 0x3401, 0x1801, 0x0ac1, 0x0521, 0x0221, 0x5601, 0x5401, 0x4801, 0x3801, 0x3001, 0x2401, 0x1c01, 0x1601, 0x5601,
  0x5401, 0x5101, 0x4801, 0x3801, 0x3401, 0x3001, 0x2801, 0x2401, 0x2201, 0x1c01, 0x1801, 0x1601, 0x1401, 0x1201, 0x1101,
  0x0ac1, 0x09c1, 0x08a1, 0x0521, 0x0441, 0x02a1, 0x0221, 0x0141, 0x0111, 0x0085, 0x0049, 0x0025, 0x0015, 0x0009, 0x0005,
  0x0001, 0x5601,
]);
const NMPS = new Uint8Array([
  1, 2, 3, 4, 5, 38, 7, 8, 9, 10, 11, 12, 13, 29, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33,
  34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 45, 46,
]);
const NLPS = new Uint8Array([
  1, 6, 9, 12, 29, 33, 6, 14, 14, 14, 17, 18, 20, 21, 14, 14, 15, 16, 17, 18, 19, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29,
  30, 31, 32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 46,
]);
const SWITCH = new Uint8Array([1, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 1]);

// State transitions precomputed on the packed byte (index << 1 | mps): after an MPS, after an LPS.
const AFTER_MPS = new Uint8Array(94);
const AFTER_LPS = new Uint8Array(94);
const QE_OF = new Uint16Array(94);
for (let index = 0; index < 47; index++) {
  for (let mps = 0; mps < 2; mps++) {
    const state = (index << 1) | mps;
    QE_OF[state] = QE[index]!;
    AFTER_MPS[state] = (NMPS[index]! << 1) | mps;
    AFTER_LPS[state] = (NLPS[index]! << 1) | (SWITCH[index] ? 1 - mps : mps);
  }
}

export class MQEncoder {
  private a = 0x8000;
  private c = 0;
  private ct = 12;
  // out[bp] is the byte B of the standard; out[0] is a placeholder before the first real byte (BPST - 1).
  private out = new Uint8Array(4096);
  private bp = 0;
  private flushed = false;

  /** Codes the binary decision `bit` in context `cx` of `contexts`. */
  encode(contexts: Uint8Array, cx: number, bit: number): void {
    const state = contexts[cx]!;
    const qe = QE_OF[state]!;
    let a = this.a - qe;
    if (bit === (state & 1)) {
      if ((a & 0x8000) !== 0) {
        this.a = a;
        this.c += qe;
        return;
      }
      // CODEMPS with conditional exchange: the smaller sub-interval goes to the MPS.
      if (a < qe) a = qe;
      else this.c += qe;
      contexts[cx] = AFTER_MPS[state]!;
    } else {
      // CODELPS with conditional exchange.
      if (a < qe) this.c += qe;
      else a = qe;
      contexts[cx] = AFTER_LPS[state]!;
    }
    // RENORME
    do {
      a <<= 1;
      this.c <<= 1; // C stays below 2^28 between byte-outs, so int32 shifts are exact
      if (--this.ct === 0) this.byteOut();
    } while ((a & 0x8000) === 0);
    this.a = a;
  }

  /**
   * Codes `count` equal decisions in one context: the same bytes as `count` calls of encode(), but MPS
   * decisions that need no renormalization only move A and C, so a run of them is one step.
   */
  encodeRun(contexts: Uint8Array, cx: number, bit: number, count: number): void {
    while (count > 0) {
      const state = contexts[cx]!;
      if (bit === (state & 1)) {
        const qe = QE_OF[state]!;
        const free = Math.min(Math.floor((this.a - 0x8000) / qe), count);
        if (free > 0) {
          this.a -= free * qe;
          this.c += free * qe;
          count -= free;
          continue;
        }
      }
      this.encode(contexts, cx, bit);
      count--;
    }
  }

  private byteOut(): void {
    if (this.bp + 2 >= this.out.length) {
      const grown = new Uint8Array(this.out.length * 2);
      grown.set(this.out);
      this.out = grown;
    }
    const b = this.out[this.bp]!;
    if (b === 0xff) {
      this.emit7();
      return;
    }
    if (this.c < 0x8000000) {
      this.emit8();
      return;
    }
    // A carry into B; B can reach 0xff only here, and then the next byte gets a stuffed zero bit.
    this.out[this.bp] = b + 1;
    if (b + 1 === 0xff) {
      this.c &= 0x7ffffff;
      this.emit7();
    } else {
      this.emit8();
    }
  }

  private emit7(): void {
    this.out[++this.bp] = this.c >>> 20;
    this.c &= 0xfffff;
    this.ct = 7;
  }

  private emit8(): void {
    this.out[++this.bp] = this.c >>> 19;
    this.c &= 0x7ffff;
    this.ct = 8;
  }

  /** FLUSH (E.2.9) and the 0xFF 0xAC terminating marker; returns the coded bytes. The encoder is then spent. */
  finish(): Uint8Array {
    if (this.flushed) throw new Error("MQEncoder.finish() called twice");
    this.flushed = true;
    // SETBITS: the value in [C, C + A) with the most trailing one bits.
    const tempC = this.c + this.a;
    this.c = (this.c | 0xffff) >>> 0;
    if (this.c >= tempC) this.c -= 0x8000;
    this.c *= 2 ** this.ct;
    this.byteOut();
    this.c *= 2 ** this.ct;
    this.byteOut();
    if (this.bp + 3 >= this.out.length) {
      const grown = new Uint8Array(this.out.length + 8);
      grown.set(this.out);
      this.out = grown;
    }
    if (this.out[this.bp] !== 0xff) this.out[++this.bp] = 0xff;
    this.out[++this.bp] = 0xac;
    return this.out.slice(1, this.bp + 1);
  }
}
