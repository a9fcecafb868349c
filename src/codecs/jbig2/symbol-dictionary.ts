import type { Bitmap } from "./bitmap.js";
import { encodeGenericBitmap, genericContexts, TEMPLATE0_AT } from "./generic-region.js";
import { encodeInteger, integerContexts, OOB } from "./integer-coder.js";
import { MQEncoder } from "./mq-encoder.js";
import { ByteWriter } from "./segments.js";

/** The order symbols are best coded in: by height (one height class each), then by width. Returns indices. */
export function dictionaryOrder(bitmaps: readonly Bitmap[]): number[] {
  return bitmaps
    .map((_, i) => i)
    .sort((a, b) => bitmaps[a]!.height - bitmaps[b]!.height || bitmaps[a]!.width - bitmaps[b]!.width || a - b);
}

/**
 * The data of a symbol dictionary segment (7.4.2) holding `bitmaps` in the given order, all exported:
 * arithmetic coding, no refinement or aggregation, each bitmap coded with the generic procedure
 * (template 0, no typical prediction, as 6.5.8.1 requires), consecutive equal heights sharing a height class.
 */
export function symbolDictionaryData(bitmaps: readonly Bitmap[]): Uint8Array {
  const encoder = new MQEncoder();
  const iadh = integerContexts();
  const iadw = integerContexts();
  const iaex = integerContexts();
  const gb = genericContexts();
  let classHeight = 0;
  for (let i = 0; i < bitmaps.length; ) {
    const height = bitmaps[i]!.height;
    encodeInteger(encoder, iadh, height - classHeight);
    classHeight = height;
    let symbolWidth = 0;
    for (; i < bitmaps.length && bitmaps[i]!.height === height; i++) {
      const bitmap = bitmaps[i]!;
      encodeInteger(encoder, iadw, bitmap.width - symbolWidth);
      symbolWidth = bitmap.width;
      encodeGenericBitmap(encoder, gb, bitmap, false);
    }
    encodeInteger(encoder, iadw, OOB);
  }
  // Export flags as runs: none of the (zero) input symbols, then every new one.
  encodeInteger(encoder, iaex, 0);
  encodeInteger(encoder, iaex, bitmaps.length);
  const coded = encoder.finish();

  const out = new ByteWriter();
  out.u16(0); // SDHUFF 0, SDREFAGG 0, SDTEMPLATE 0, contexts neither used nor retained
  for (const at of TEMPLATE0_AT) out.u8(at);
  out.u32(bitmaps.length); // SDNUMEXSYMS
  out.u32(bitmaps.length); // SDNUMNEWSYMS
  return out.bytes(coded).toBytes();
}
