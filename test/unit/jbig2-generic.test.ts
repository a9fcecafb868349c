import { describe, expect, it } from "vitest";
import { createBitmap, setPixel, type Bitmap } from "../../src/codecs/jbig2/bitmap.js";
import { encodeGenericPage, fileForm } from "../../src/codecs/jbig2/page.js";
import { CORPUS } from "../helpers/cli.js";
import { firstDifference, jbig2dec, noise, renderMono } from "../helpers/jbig2.js";

function roundTrip(bitmap: Bitmap): void {
  const decoded = jbig2dec(fileForm(encodeGenericPage(bitmap)));
  expect(firstDifference(decoded, bitmap)).toBeUndefined();
}

function filled(width: number, height: number): Bitmap {
  const bitmap = createBitmap(width, height);
  for (let y = 0; y < height; y++) for (let x = 0; x < width; x++) setPixel(bitmap, x, y);
  return bitmap;
}

describe("JBIG2 generic region (decoded by jbig2dec)", () => {
  it("codes an empty page, one pixel, a full black page", () => {
    roundTrip(createBitmap(64, 48));
    const one = createBitmap(1, 1);
    setPixel(one, 0, 0);
    roundTrip(one);
    roundTrip(createBitmap(1, 1));
    roundTrip(filled(100, 37));
  });

  it("codes widths that are not a multiple of 8", () => {
    for (const width of [1, 7, 9, 33]) roundTrip(noise(width, 40, 0.3, width));
  });

  it("codes a rendered text page and sparse pages (long white runs in context 0)", () => {
    roundTrip(renderMono(`${CORPUS}/tracemonkey.pdf`, 1, 150));
    for (const density of [0.0005, 0.003]) roundTrip(noise(1003, 500, density, 5));
  });

  it("codes 1 x 100000 and 100000 x 1", () => {
    roundTrip(noise(1, 100_000, 0.5, 7));
    roundTrip(noise(100_000, 1, 0.5, 8));
  });

  it("codes random noise of every density, repeated rows and 1-pixel dots", () => {
    for (const density of [0.01, 0.1, 0.5, 0.9]) roundTrip(noise(301, 203, density, Math.round(density * 100)));
    const stripes = createBitmap(200, 300);
    for (let y = 0; y < 300; y++) if ((y >> 4) % 2) for (let x = y % 50; x < 200; x += 3) setPixel(stripes, x, y - (y % 16));
    roundTrip(stripes);
    const dots = createBitmap(500, 400);
    for (let y = 0; y < 400; y += 3) for (let x = (y % 6) / 3; x < 500; x += 2) setPixel(dots, x, y);
    roundTrip(dots);
  });
});
