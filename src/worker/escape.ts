/**
 * TEST-ONLY (PDFRASTER_FAULT, see fault.ts): what a render process taken over by a hostile document
 * would try first. Each attempt fails the page with `escaped: WHAT (...)` when it works and
 * `refused: WHAT: WHY` when the sandbox stops it, so that the tests see which.
 */
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { connect } from "node:net";

const ESCAPES = ["read-passwd", "read-environ", "write-fs", "write-sharp", "spawn", "connect", "eval", "allocate"] as const;
type Escape = (typeof ESCAPES)[number];

export function isEscape(action: string): action is Escape {
  return (ESCAPES as readonly string[]).includes(action);
}

function why(error: unknown): string {
  const code = (error as NodeJS.ErrnoException).code;
  const message = error instanceof Error ? error.message.split("\n")[0] : String(error);
  return code ? `${code} (${message})` : message!;
}

/** Tries `action`; always throws: `escaped: ...` or `refused: ...`. */
export async function attemptEscape(action: Escape, arg: string | undefined): Promise<never> {
  let what: string = action;
  let detail: string;
  try {
    detail = await attempt(action, arg, (name) => (what = name));
  } catch (error) {
    throw new Error(`refused: ${what}: ${why(error)}`);
  }
  throw new Error(`escaped: ${what} (${detail})`);
}

async function attempt(action: Escape, arg: string | undefined, name: (what: string) => void): Promise<string> {
  switch (action) {
    case "read-passwd": {
      name("read /etc/passwd");
      return `${readFileSync("/etc/passwd").length} bytes`;
    }
    case "read-environ": {
      name(`read /proc/${process.ppid}/environ`);
      const environ = readFileSync(`/proc/${process.ppid}/environ`, "latin1");
      return `${environ.length} bytes${arg && environ.includes(`${arg}=`) ? `, holds ${arg}` : ""}`;
    }
    case "write-fs": {
      name(`write ${arg} through fs`);
      writeFileSync(arg!, "escaped\n");
      return "written";
    }
    case "write-sharp": {
      name(`write ${arg} through sharp`);
      const { default: sharp } = await import("sharp");
      await sharp({ create: { width: 8, height: 8, channels: 3, background: "red" } }).png().toFile(arg!);
      return "written";
    }
    case "spawn": {
      name("spawn /bin/sh");
      execFileSync("/bin/sh", ["-c", `echo escaped > '${arg}'`], { stdio: "ignore" });
      return "ran";
    }
    case "connect": {
      // ARG: a loopback port, or host:port.
      const [host, port] = arg?.includes(":") ? [arg.slice(0, arg.lastIndexOf(":")), arg.slice(arg.lastIndexOf(":") + 1)] : ["127.0.0.1", arg];
      name(`connect to ${host}:${port}`);
      await new Promise<void>((resolve, reject) => {
        const socket = connect({ host, port: Number(port), timeout: 3000 });
        socket.once("connect", () => (socket.end(), resolve()));
        socket.once("timeout", () => (socket.destroy(), reject(new Error("timed out"))));
        socket.once("error", reject);
      });
      return "connected";
    }
    case "eval": {
      name("eval");
      return `6 * 7 = ${String((0, eval)("6 * 7"))}`;
    }
    case "allocate": {
      const mb = Number(arg ?? 4096);
      name(`allocate ${mb} MB`);
      const held: Buffer[] = [];
      // 32 MB at a time, every page of it touched (Buffer.alloc fills), a little slower than a real runaway.
      for (let done = 0; done < mb; done += 32) {
        held.push(Buffer.alloc(32 * 2 ** 20, 1));
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
      return `held ${held.length * 32} MB`;
    }
  }
}
