/** Fonts for pdf.js in Node: the fallback for non-embedded fonts pdf.js has no data for. */
import { createRequire } from "node:module";
import { GlobalFonts } from "@napi-rs/canvas";

/** pdf.js draws non-embedded fonts it has no data for with fillText(generic family); @napi-rs/canvas has no glyph fallback. */
const FALLBACK_FAMILIES = ["sans-serif", "serif", "monospace"] as const;
let fallbackFontsRegistered = false;

/** Registers one Latin+CJK font from npm under the generic family names pdf.js asks for. Idempotent. */
export function registerFallbackFonts(): void {
  if (fallbackFontsRegistered) return;
  const font = createRequire(import.meta.url).resolve(
    "@expo-google-fonts/noto-sans-sc/400Regular/NotoSansSC_400Regular.ttf",
  );
  for (const family of FALLBACK_FAMILIES) {
    if (!GlobalFonts.registerFromPath(font, family)) throw new Error(`Cannot register font ${font} as ${family}`);
  }
  fallbackFontsRegistered = true;
}
