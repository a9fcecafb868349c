import type { Bitmap } from "./bitmap.js";

/**
 * 8-connected components of a bitmap, found on runs of black pixels: each row is cut into runs, runs
 * that touch a run of the row above (overlapping or diagonal) are joined with union-find. Time and
 * memory are linear in the number of runs, which `maxRuns` bounds (a page of noise has millions).
 */
export interface Components {
  readonly count: number;
  /** Per component: bounding box (inclusive) and where its runs are in `runOrder`. */
  readonly minX: Int32Array;
  readonly minY: Int32Array;
  readonly maxX: Int32Array;
  readonly maxY: Int32Array;
  readonly firstRun: Int32Array; // index into runOrder; component i owns runOrder[firstRun[i] .. firstRun[i + 1])
  /** Runs grouped by component: run r is row runY[r], pixels runStart[r] ..= runEnd[r]. */
  readonly runOrder: Int32Array;
  readonly runStart: Int32Array;
  readonly runEnd: Int32Array;
  readonly runY: Int32Array;
}

/**
 * The arrays of the last call, reused by the next (one page after another in a render process:
 * allocating ~10 MB of them per 300 DPI page cost more in garbage collection than the search itself).
 * Bounded by `maxRuns` and `maxComponents`. Single-threaded use only: a result is valid until the next call.
 */
const scratch = {
  runs: { start: new Int32Array(4096), end: new Int32Array(4096), y: new Int32Array(4096) },
  rowFirst: new Int32Array(0),
  parent: new Int32Array(0),
  label: new Int32Array(0),
  runOrder: new Int32Array(0),
  box: new Int32Array(0), // minX, minY, maxX, maxY, firstRun (count + 1), fill: six runs of `count`
};

/** `array` if it holds `length`, else a larger one (its contents are not kept). */
function atLeast(array: Int32Array<ArrayBuffer>, length: number): Int32Array<ArrayBuffer> {
  return array.length >= length ? array : new Int32Array(Math.max(length, Math.min(array.length * 2, 1 << 30)));
}

/**
 * Returns undefined when the bitmap has more than `maxRuns` runs or `maxComponents` components. The
 * arrays of the result are reused by the next call (see `scratch`): read them before calling again.
 */
export function findComponents(bitmap: Bitmap, maxRuns: number, maxComponents: number): Components | undefined {
  const runs = findRuns(bitmap, maxRuns);
  if (!runs) return undefined;
  const { start, end, y: runY, count: runCount, rowFirst } = runs;
  // A set's root is its first run (the union keeps the smaller root), so parent[i] <= i throughout.
  const parent = (scratch.parent = atLeast(scratch.parent, runCount));
  for (let i = 0; i < runCount; i++) parent[i] = i;
  for (let row = 1; row < bitmap.height; row++) {
    let a = rowFirst[row - 1]!;
    const aEnd = rowFirst[row]!;
    let b = rowFirst[row]!;
    const bEnd = rowFirst[row + 1]!;
    while (a < aEnd && b < bEnd) {
      // Runs a (row above) and b touch 8-connectedly when a.start <= b.end + 1 and b.start <= a.end + 1.
      if (start[a]! <= end[b]! + 1 && start[b]! <= end[a]! + 1) {
        const ra = findRoot(parent, a);
        const rb = findRoot(parent, b);
        if (ra < rb) parent[rb] = ra;
        else if (rb < ra) parent[ra] = rb;
      }
      // Advance whichever run ends first; the other may still touch the next run.
      if (end[a]! < end[b]!) a++;
      else b++;
    }
  }
  // Components are numbered in the order of their first run. As parent[i] < i for a run that is not a
  // root, its parent is labelled already, with its root's label.
  const label = (scratch.label = atLeast(scratch.label, runCount));
  let count = 0;
  for (let i = 0; i < runCount; i++) {
    const p = parent[i]!;
    if (p === i) {
      if (count === maxComponents) return undefined;
      label[i] = count++;
    } else {
      label[i] = label[p]!;
    }
  }
  const box = (scratch.box = atLeast(scratch.box, 6 * (count + 1)));
  const minX = box.subarray(0, count).fill(0x7fffffff);
  const minY = box.subarray(count, 2 * count).fill(0x7fffffff);
  const maxX = box.subarray(2 * count, 3 * count).fill(-1);
  const maxY = box.subarray(3 * count, 4 * count).fill(-1);
  const firstRun = box.subarray(4 * count, 5 * count + 1).fill(0);
  for (let i = 0; i < runCount; i++) {
    const c = label[i]!;
    if (start[i]! < minX[c]!) minX[c] = start[i]!;
    if (end[i]! > maxX[c]!) maxX[c] = end[i]!;
    if (runY[i]! < minY[c]!) minY[c] = runY[i]!;
    if (runY[i]! > maxY[c]!) maxY[c] = runY[i]!;
    firstRun[c + 1]!++;
  }
  for (let c = 0; c < count; c++) firstRun[c + 1]! += firstRun[c]!;
  const fill = box.subarray(5 * count + 1, 6 * count + 1);
  fill.set(firstRun.subarray(0, count));
  const runOrder = (scratch.runOrder = atLeast(scratch.runOrder, runCount)).subarray(0, runCount);
  for (let i = 0; i < runCount; i++) runOrder[fill[label[i]!]!++] = i;
  return { count, minX, minY, maxX, maxY, firstRun, runOrder, runStart: start, runEnd: end, runY };
}

/** The root of run i's set, compressing the path to it. */
function findRoot(parent: Int32Array, i: number): number {
  let root = i;
  while (parent[root] !== root) root = parent[root]!;
  while (parent[i] !== root) {
    const next = parent[i]!;
    parent[i] = root;
    i = next;
  }
  return root;
}

interface Runs {
  start: Int32Array;
  end: Int32Array;
  y: Int32Array;
  count: number;
  /** Runs of row r are rowFirst[r] .. rowFirst[r + 1]. */
  rowFirst: Int32Array;
}

function findRuns(bitmap: Bitmap, maxRuns: number): Runs | undefined {
  const { width, height, stride, data } = bitmap;
  const rowBytes = (width + 7) >> 3;
  const runs = new RunBuffer(maxRuns, scratch.runs);
  const rowFirst = (scratch.rowFirst = atLeast(scratch.rowFirst, height + 1));
  for (let y = 0; y < height; y++) {
    rowFirst[y] = runs.count;
    const row = y * stride;
    let runStart = -1;
    for (let i = 0; i < rowBytes; i++) {
      const byte = data[row + i]!;
      // Whole bytes that do not change the state are skipped: white outside a run, black inside one.
      if (runStart < 0 ? byte === 0 : byte === 0xff) continue;
      // The byte's bits from `bit` on, shifted to the top: the next change is at its leading zeros
      // (of the byte for a black pixel, of its complement for a white one).
      for (let bit = 0; ; ) {
        const ahead = ((runStart < 0 ? byte : ~byte) << bit) & 0xff;
        if (ahead === 0) break;
        bit += Math.clz32(ahead) - 24;
        if (runStart < 0) runStart = (i << 3) + bit;
        else {
          if (!runs.push(runStart, (i << 3) + bit - 1, y)) return undefined;
          runStart = -1;
        }
      }
    }
    if (runStart >= 0 && !runs.push(runStart, width - 1, y)) return undefined;
  }
  rowFirst[height] = runs.count;
  scratch.runs = { start: runs.start, end: runs.end, y: runs.y }; // kept, grown, for the next page
  return { start: runs.start, end: runs.end, y: runs.y, count: runs.count, rowFirst };
}

class RunBuffer {
  start: Int32Array<ArrayBuffer>;
  end: Int32Array<ArrayBuffer>;
  y: Int32Array<ArrayBuffer>;
  count = 0;

  constructor(
    private readonly maxRuns: number,
    arrays: { start: Int32Array<ArrayBuffer>; end: Int32Array<ArrayBuffer>; y: Int32Array<ArrayBuffer> },
  ) {
    ({ start: this.start, end: this.end, y: this.y } = arrays);
  }

  /** Adds a run; false when that would pass `maxRuns`. */
  push(x0: number, x1: number, y: number): boolean {
    if (this.count >= this.maxRuns) return false;
    if (this.count === this.start.length) {
      const capacity = Math.min(this.count * 2, this.maxRuns);
      this.start = grow(this.start, capacity);
      this.end = grow(this.end, capacity);
      this.y = grow(this.y, capacity);
    }
    this.start[this.count] = x0;
    this.end[this.count] = x1;
    this.y[this.count++] = y;
    return true;
  }
}

function grow(array: Int32Array<ArrayBuffer>, capacity: number): Int32Array<ArrayBuffer> {
  const grown = new Int32Array(capacity);
  grown.set(array);
  return grown;
}

/** Sets pixels x0 ..= x1 of the row at byte offset `row`. */
export function fillRun(data: Uint8Array, row: number, x0: number, x1: number): void {
  let x = x0;
  while (x <= x1 && (x & 7) !== 0) {
    data[row + (x >> 3)]! |= 0x80 >> (x & 7);
    x++;
  }
  while (x + 7 <= x1) {
    data[row + (x >> 3)] = 0xff;
    x += 8;
  }
  while (x <= x1) {
    data[row + (x >> 3)]! |= 0x80 >> (x & 7);
    x++;
  }
}
