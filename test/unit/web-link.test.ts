import { describe, expect, it } from "vitest";
import { isWebUri, webLink } from "../../src/keep/web-link.js";

describe("webLink", () => {
  it("keeps a URI action's own http, https or mailto URL, normalized as a URL", () => {
    expect(webLink({ unsafeUrl: "https://ok.example/a?b=1" })).toBe("https://ok.example/a?b=1");
    expect(webLink({ unsafeUrl: "HTTP://OK.example" })).toBe("http://ok.example/");
    expect(webLink({ unsafeUrl: "mailto:a@b.example" })).toBe("mailto:a@b.example");
  });
  it("drops other schemes, URLs pdf.js completed, and URLs of scripts and launches (newWindow set)", () => {
    for (const unsafeUrl of ["javascript:alert(1)", "file:///etc/passwd", "www.x.example/calc.exe", "../a.html", "tel:123", "ftp://x.example/", "data:text/html,x"]) {
      expect([unsafeUrl, webLink({ unsafeUrl })]).toEqual([unsafeUrl, null]);
    }
    expect(webLink({ unsafeUrl: "https://script.example/x", newWindow: false })).toBeNull();
    expect(webLink({ unsafeUrl: "https://launch.example/x", newWindow: true })).toBeNull();
    expect(webLink({})).toBeNull();
    expect(isWebUri("https://x.example/")).toBe(true);
    expect(isWebUri("javascript:x")).toBe(false);
  });
});
