import { createCanvas, type Canvas, type SKRSContext2D } from "@napi-rs/canvas";

/*
 * Soft masks. pdf.js turns a Luminosity (or transfer-mapped Alpha) soft mask into alpha with an SVG
 * filter: it sets `layerCtx.filter = addLuminosityFilter(map)`, then draws the mask canvas with
 * "destination-in". In Node its filter factory returns "none", so the mask is ignored and masked
 * fades come out as solid boxes. Here the factory returns a marker that @napi-rs/canvas keeps as-is,
 * and a wrapped drawImage() does the filter's work on the mask pixels in JS.
 */
const MASK_FILTER_PREFIX = "pdfraster-mask-";
const maskFilters = new Map<string, { luminosity: boolean; map: Uint8Array | null }>();

export class SoftMaskFilterFactory {
  addFilter(): string {
    return "none"; // transfer functions on painting (ExtGState /TR): not supported
  }
  addHCMFilter(): string {
    return "none";
  }
  addHighlightHCMFilter(): string {
    return "none";
  }
  addAlphaFilter(map: Uint8Array): string {
    return maskFilter(false, map);
  }
  addLuminosityFilter(map: Uint8Array | null): string {
    return maskFilter(true, map);
  }
  destroy(): void {}
}

function maskFilter(luminosity: boolean, map: Uint8Array | null): string {
  const key = `${MASK_FILTER_PREFIX}${luminosity ? "l" : "a"}-${map ? map.join(".") : ""}`;
  maskFilters.set(key, { luminosity, map });
  return key;
}

let drawImagePatched = false;
export function patchDrawImageForSoftMasks(): void {
  if (drawImagePatched) return;
  const proto = Object.getPrototypeOf(createCanvas(1, 1).getContext("2d")) as SKRSContext2D;
  const nativeDrawImage = proto.drawImage as (this: SKRSContext2D, ...args: unknown[]) => void;
  proto.drawImage = function (this: SKRSContext2D, ...args: unknown[]) {
    if (!this.filter.startsWith(MASK_FILTER_PREFIX)) return nativeDrawImage.apply(this, args);
    const filter = maskFilters.get(this.filter);
    this.filter = "none"; // @napi-rs/canvas crashes on a filter string it cannot parse
    if (!filter || args.length !== 9) return nativeDrawImage.apply(this, args);
    const [image, sx, sy, sw, sh, dx, dy, dw, dh] = args as [Canvas, ...number[]];
    const pixels = image.getContext("2d").getImageData(sx!, sy!, sw!, sh!);
    const { data } = pixels;
    for (let i = 0; i < data.length; i += 4) {
      // Luminosity of the mask composited over black (the default backdrop); pdf.js has already painted any /BC.
      const value = filter.luminosity
        ? Math.round(((0.2125 * data[i]! + 0.7154 * data[i + 1]! + 0.0721 * data[i + 2]!) * data[i + 3]!) / 255)
        : data[i + 3]!;
      data[i + 3] = filter.map ? filter.map[value]! : value;
    }
    const alphaMask = createCanvas(sw, sh);
    alphaMask.getContext("2d").putImageData(pixels, 0, 0);
    nativeDrawImage.call(this, alphaMask, 0, 0, sw, sh, dx, dy, dw, dh);
  };
  drawImagePatched = true;
}
