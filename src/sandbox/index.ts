/**
 * The sandbox of the render processes: which launcher `--sandbox auto|strict|off` gets on this
 * machine, decided once per process (docs/security.md "Sandbox").
 */
import { SandboxError } from "../errors.js";
import { BwrapLauncher, findBwrap, probeBwrap } from "./bwrap.js";
import { seccompFilter } from "./seccomp.js";
import type { Launcher, SandboxLayer } from "./launcher.js";
import { NodePermissionLauncher, permissionFlag } from "./node-permission.js";
import { PlainLauncher } from "./plain.js";

export type { LaunchSpec, Launcher, SandboxLayer } from "./launcher.js";

/**
 * `auto`: the strongest sandbox this machine has (bubblewrap with Node's permission model on
 * Linux, else the permission model alone, said once at start); `strict`: refuse to run without the
 * OS layer; `off`: plain processes.
 */
export const SANDBOX_MODES = ["auto", "strict", "off"] as const;
export type SandboxMode = (typeof SANDBOX_MODES)[number];

export function isSandboxMode(value: unknown): value is SandboxMode {
  return (SANDBOX_MODES as readonly unknown[]).includes(value);
}

/** What the render processes run in, for reports, `/readyz` and `cluster status`. */
export interface SandboxInfo {
  mode: SandboxMode;
  layer: SandboxLayer;
  /** Why the OS layer is not there, when `auto` ran without it. */
  missing?: string;
  /** With bwrap: whether its seccomp filter is installed too (x86-64 Linux; seccomp.ts). */
  seccomp?: boolean;
}

interface Choice {
  launcher: Launcher;
  info: SandboxInfo;
}

let probed: { layer: "bwrap" | "node-permission" | "none"; bwrap?: string; missing?: string } | undefined;

/** What this machine offers, probed once (bwrap starts a throw-away Node inside its namespaces, ~50 ms). */
function probe(entry: string): NonNullable<typeof probed> {
  if (probed) return probed;
  if (!permissionFlag()) {
    probed = { layer: "none", missing: `Node ${process.version} has no permission model with addons` };
    return probed;
  }
  if (process.platform !== "linux") {
    probed = { layer: "node-permission", missing: `no OS sandbox on ${process.platform}` };
    return probed;
  }
  const bwrap = findBwrap();
  if (!bwrap) {
    probed = { layer: "node-permission", missing: "bwrap (bubblewrap) is not installed" };
    return probed;
  }
  const tried = probeBwrap(bwrap, entry);
  probed = tried.ok ? { layer: "bwrap", bwrap } : { layer: "node-permission", missing: `bwrap cannot sandbox here (${tried.reason})` };
  return probed;
}

const chosen = new Map<SandboxMode, Choice>();

/**
 * The launcher for `mode`. Throws a SandboxError for `strict` on a machine without the OS layer.
 * `entry`: the worker's entry script (the probe runs Node inside the same binds).
 */
export function chooseSandbox(mode: SandboxMode, entry: string): Choice {
  const known = chosen.get(mode);
  if (known) return known;
  let choice: Choice;
  if (mode === "off") {
    choice = { launcher: new PlainLauncher(), info: { mode, layer: "none" } };
  } else {
    const found = probe(entry);
    if (mode === "strict" && found.layer !== "bwrap") {
      throw new SandboxError(`--sandbox strict: no OS sandbox for the render processes: ${found.missing}`);
    }
    const launcher = found.layer === "bwrap" ? new BwrapLauncher(found.bwrap!) : found.layer === "node-permission" ? new NodePermissionLauncher() : new PlainLauncher();
    const seccomp = found.layer === "bwrap" ? { seccomp: seccompFilter() !== undefined } : {};
    choice = { launcher, info: { mode, layer: found.layer, ...(found.missing ? { missing: found.missing } : {}), ...seccomp } };
  }
  chosen.set(mode, choice);
  return choice;
}

/** One line for stderr when `auto` runs with less than the OS layer; undefined when there is nothing to say. */
export function sandboxWarning(info: SandboxInfo): string | undefined {
  if (info.mode !== "auto" || info.layer === "bwrap") return undefined;
  const layer = info.layer === "node-permission" ? "Node's permission model only" : "no sandbox at all";
  return `render processes run with ${layer}: ${info.missing} (see docs/security.md; --sandbox strict refuses to run so)`;
}

/** A short description: `bwrap + seccomp + node-permission`, `bwrap + node-permission`, `node-permission`, `off`. */
export function describeSandbox(info: SandboxInfo): string {
  if (info.layer === "bwrap") return info.seccomp ? "bwrap + seccomp + node-permission" : "bwrap + node-permission";
  return info.layer === "none" ? (info.mode === "off" ? "off" : "none") : "node-permission";
}
