/**
 * The sRGB ICC profile of PDF/A output intents: `sRGB-v2-magic.icc` (736 bytes, ICC v2.1, 182-point
 * tone curves: more accurate than the 1024-point standard profile's for 8-bit data) from the
 * Compact-ICC-Profiles project by Clinton Ingram (github.com/saucecontrol/Compact-ICC-Profiles,
 * commit abb1b6f), released under CC0 1.0 (public domain dedication): free to redistribute.
 * An ICC v2 profile, as PDF/A-1 (PDF 1.4) requires. SHA-256 of the bytes:
 * af4efe28f6d311799865f325ba39184a2e978b113ca74124d60af7de22b105f4 (checked by a unit test).
 */
const BASE64 =
  "AAAC4GxjbXMCEAAAbW50clJHQiBYWVogB+IAAwAUAAkADgAdYWNzcE1TRlQAAAAAc2F3c2N0cmwAAAAAAAAAAAAAAAAAAPbWAAEA" +
  "AAAA0y1oYW5kk7I0qQ6wIoqY/Zqvo2eJmwAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAJZGVzYwAAAPAAAABfY3BydAAA" +
  "AQwAAAAMd3RwdAAAARgAAAAUclhZWgAAASwAAAAUZ1hZWgAAAUAAAAAUYlhZWgAAAVQAAAAUclRSQwAAAWgAAAF4Z1RSQwAAAWgA" +
  "AAF4YlRSQwAAAWgAAAF4ZGVzYwAAAAAAAAAFc1JHQgAAAAAAAAAAAAAAAHRleHQAAAAAQ0MwAFhZWiAAAAAAAADzVAABAAAAARbJ" +
  "WFlaIAAAAAAAAG+gAAA48gAAA49YWVogAAAAAAAAYpYAALeJAAAY2lhZWiAAAAAAAAAkoAAAD4UAALbEY3VydgAAAAAAAAC2AAAA" +
  "HAA4AFQAcACMAKgAxADhAQABIgFGAW0BlQHBAfACIAJVAosCxAMBAz8DggPGBA4EWQSnBPkFTAWkBf4GXAa+ByEHigf0CGMI1QlJ" +
  "CcMKPwq/C0ILyQxUDOENdA4JDqIPQA/gEIURLRHaEooTPhP2FLIVcRY2Fv0XyhiZGW4aRhsiHAMc5x3QHr0friCkIZ4inCOfJKUl" +
  "sSbAJ9Uo7SoKKyssUS18Lqov3jEWMlIzlDTZNiQ3czjGOiA7fDzfPkU/sEEhQpZEEEWPRxJIm0ooS7tNUU7uUI9SNVPgVZBXRVkA" +
  "Wr5chF5MYBth72PHZaZniWlxa19tUW9KcUZzSnVRd155cXuIfaZ/yIHwhB6GUIiJisWNCY9RkZ+T85ZLmKubDp14n+eiW6TWp1ap" +
  "26xnrvexj7Qqtsy5dLwhvtXBjcRMxxDJ2syrz3/SXNU92CTbEt4E4P7j/OcB6gztHPA081D2c/mb/Mr//w==";

let bytes: Buffer | undefined;

/** The profile's bytes (decoded once). */
export function srgbProfile(): Buffer {
  bytes ??= Buffer.from(BASE64, "base64");
  return bytes;
}

/** What the output intent calls this condition (the ICC registry's name for sRGB). */
export const SRGB_CONDITION = "sRGB IEC61966-2.1";
