import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CHECKED_X86_64, DENIED_X86_64, seccompFilter } from "../../src/sandbox/seccomp.js";

/** The system's own table of x86-64 system call numbers (Debian's linux-libc-dev; .ci/run installs it). */
const HEADER = "/usr/include/x86_64-linux-gnu/asm/unistd_64.h";
const IN_CI = process.env.CI === "true";

describe("the seccomp filter", () => {
  it.skipIf(!existsSync(HEADER) && !IN_CI)("names every system call by the number the kernel's header gives it", () => {
    const numbers = new Map([...readFileSync(HEADER, "utf8").matchAll(/^#define __NR_(\w+) (\d+)$/gm)].map((m) => [m[1]!, Number(m[2])]));
    for (const [name, nr] of Object.entries({ ...DENIED_X86_64, ...CHECKED_X86_64 })) expect(numbers.get(name), name).toBe(nr);
  });

  it("is a whole classic BPF program for x86-64 only, ending in returns", () => {
    const filter = seccompFilter("x64", "linux")!;
    expect(filter.length % 8).toBe(0);
    const count = filter.length / 8;
    expect(count).toBeGreaterThan(Object.keys(DENIED_X86_64).length);
    expect(count).toBeLessThan(4096); // BPF_MAXINSNS
    // The first checks the architecture word; the last returns (kill for a foreign ABI).
    expect([filter.readUInt16LE(0), filter.readUInt32LE(4)]).toEqual([0x20, 4]);
    expect([filter.readUInt16LE(filter.length - 8), filter.readUInt32LE(filter.length - 4)]).toEqual([0x06, 0x80000000]);
    for (let i = 0; i < count; i++) {
      const [code, jt, jf] = [filter.readUInt16LE(i * 8), filter[i * 8 + 2]!, filter[i * 8 + 3]!];
      if ((code & 0x07) === 0x05) expect(i + 1 + Math.max(jt, jf), `jump ${i}`).toBeLessThan(count); // every jump lands inside
    }
    expect(seccompFilter("arm64", "linux")).toBeUndefined();
    expect(seccompFilter("x64", "darwin")).toBeUndefined();
  });
});
