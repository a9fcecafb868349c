import sharp from "sharp";
import type { Layer } from "../../src/codecs/layers/split.js";

/**
 * How a stencil mask that poppler's `pdfimages -png` wrote compares with the layer it was coded
 * from: its size, and the pixels whose ink differs (poppler writes JBIG2's 1, paint, as 255).
 */
export async function maskAgainstLayer(maskPng: string, layer: Layer): Promise<{ size: [number, number]; differences: number }> {
  const mask = await sharp(maskPng).extractChannel(0).raw().toBuffer({ resolveWithObject: true });
  let differences = 0;
  if (mask.info.width === layer.width && mask.info.height === layer.height) {
    for (let y = 0; y < layer.height; y++) {
      for (let x = 0; x < layer.width; x++) {
        const ink = (layer.data[y * layer.stride + (x >> 3)]! >> (7 - (x & 7))) & 1;
        if ((ink === 1) !== (mask.data[y * layer.width + x] === 255)) differences++;
      }
    }
  }
  return { size: [mask.info.width, mask.info.height], differences };
}
