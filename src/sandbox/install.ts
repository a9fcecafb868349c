/**
 * What a render process reads to run at all: the Node binary, pdfraster's package and the
 * node_modules its dependencies (pdf.js with its fonts and cmaps, PDFium and MuPDF's WebAssembly,
 * canvas and sharp's addons, the Noto font) are installed in.
 */
import { existsSync, readdirSync, realpathSync } from "node:fs";
import { basename, dirname, join } from "node:path";

/** The package folder (with package.json) that holds `file`. */
function packageRoot(file: string): string {
  let dir = dirname(file);
  while (!existsSync(join(dir, "package.json"))) {
    const parent = dirname(dir);
    if (parent === dir) return dirname(file);
    dir = parent;
  }
  return dir;
}

/**
 * The folders code and data are loaded from: the package of `entry`, and, when it is installed as a
 * dependency (its dependencies hoisted beside it), the node_modules folder it sits in. Each as given
 * and as its real path, so that a symlinked install (npm link, pnpm) is found either way.
 */
export function installPaths(entry: string): string[] {
  const known = installs.get(entry);
  if (known) return known;
  const root = packageRoot(entry);
  const paths = [root];
  for (let dir = dirname(root); dir !== dirname(dir); dir = dirname(dir)) {
    if (basename(dir) === "node_modules") {
      paths.push(dir);
      break;
    }
  }
  const modules = [join(root, "node_modules"), ...paths.slice(1)];
  const all = withRealPaths([...paths, ...modules.flatMap(linkedPackages)]);
  installs.set(entry, all);
  return all;
}

const installs = new Map<string, string[]>();

/**
 * The real folders of packages that a node_modules folder holds as symlinks (pnpm, npm link, a
 * workspace): Node loads a module from its real path, which must be readable too.
 */
function linkedPackages(modules: string): string[] {
  const linked: string[] = [];
  const visit = (dir: string, depth: number): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const path = join(dir, entry.name);
      if (entry.isSymbolicLink()) linked.push(path);
      else if (depth === 0 && entry.isDirectory() && entry.name.startsWith("@")) visit(path, 1);
    }
  };
  visit(modules, 0);
  return linked;
}

/** The Node binary as run, and its real path. */
export function nodeBinary(): string[] {
  return withRealPaths([process.execPath]);
}

/** Each path and, where it differs, its real path (missing paths are kept as given). */
export function withRealPaths(paths: readonly string[]): string[] {
  const all = new Set<string>();
  for (const path of paths) {
    all.add(path);
    try {
      all.add(realpathSync(path));
    } catch {
      // not there (yet): the sandbox binds what exists
    }
  }
  return [...all];
}
