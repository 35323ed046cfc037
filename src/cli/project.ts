/**
 * Where things are: the user's project (the nearest folder with a package.json), the filters
 * in it, and the installed meshwasm package itself.
 *
 * A project's filters live in `<dir>/<name>/assembly/index.ts` for each filter folder `dir`:
 * `filters` and `examples` always, plus any listed in package.json under
 * `"meshwasm": { "filterDirs": [...] }` (`meshwasm new --dir` adds to that list).
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { usageError } from "./errors.ts";

/** The folders searched for filters when package.json names no others. */
export const DEFAULT_FILTER_DIRS = ["examples", "filters"] as const;

/** The meshwasm package's own folder (this repository, or node_modules/meshwasm). */
export const packageRoot: string = resolve(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The meshwasm package's version, from its package.json. */
export function packageVersion(): string {
  return (JSON.parse(readFileSync(join(packageRoot, "package.json"), "utf8")) as PackageJson)
    .version as string;
}

export interface PackageJson {
  name?: string;
  version?: string;
  type?: string;
  scripts?: Record<string, string>;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
  meshwasm?: { filterDirs?: unknown };
  [key: string]: unknown;
}

export interface Filter {
  /** Folder name, also the module name: build/<name>.wasm. */
  name: string;
  /** The folder holding it, relative to the project root (`filters`, `examples`, ...). */
  dir: string;
  /** Absolute path of `assembly/index.ts`. */
  entry: string;
  /** Absolute path of the filter's folder. */
  folder: string;
}

export class Project {
  private constructor(
    /** Absolute path of the folder holding package.json (or the start folder). */
    readonly root: string,
    readonly packageJson: PackageJson | undefined,
  ) {}

  /** The project around `cwd`: the nearest ancestor with a package.json, else `cwd`. */
  static find(cwd: string = process.cwd()): Project {
    let dir = resolve(cwd);
    for (;;) {
      const file = join(dir, "package.json");
      if (existsSync(file)) return new Project(dir, readPackageJson(file));
      const parent = dirname(dir);
      if (parent === dir) return new Project(resolve(cwd), undefined);
      dir = parent;
    }
  }

  /** True inside the meshwasm repository itself (filters import the SDK by relative path). */
  get isMeshwasmItself(): boolean {
    return this.packageJson?.name === "meshwasm" && existsSync(join(this.root, "assembly"));
  }

  /** The folders searched for filters, relative to the root. */
  get filterDirs(): string[] {
    const extra = this.packageJson?.meshwasm?.filterDirs;
    const listed = Array.isArray(extra)
      ? extra.filter((d): d is string => typeof d === "string")
      : [];
    return [...new Set([...DEFAULT_FILTER_DIRS, ...listed])];
  }

  /** Every filter in the project, sorted by folder then name. */
  filters(): Filter[] {
    const found: Filter[] = [];
    for (const dir of this.filterDirs) {
      const abs = join(this.root, dir);
      if (!existsSync(abs)) continue;
      for (const name of readdirSync(abs).sort()) {
        const entry = join(abs, name, "assembly", "index.ts");
        if (existsSync(entry)) found.push({ name, dir, entry, folder: join(abs, name) });
      }
    }
    return found;
  }

  /** The named filters (all when `names` is empty); a usage error names unknown ones. */
  select(names: readonly string[]): Filter[] {
    const all = this.filters();
    if (names.length === 0) return all;
    const unknown = names.filter((n) => !all.some((f) => f.name === n));
    if (unknown.length > 0) {
      const known = all.map((f) => f.name).join(", ") || "none";
      throw usageError(
        `no filter named ${unknown.map((n) => `"${n}"`).join(", ")} in ${this.filterDirs.join(", ")}`,
        `known filters: ${known}. Create one with \`meshwasm new <name>\`.`,
      );
    }
    return names.map((n) => all.find((f) => f.name === n) as Filter);
  }

  /** Where a filter's module is built: `<root>/build/<name>.wasm`. */
  wasmPath(name: string): string {
    return join(this.root, "build", `${name}.wasm`);
  }

  /** `path` relative to the root, for messages. */
  rel(path: string): string {
    return relative(this.root, path) || ".";
  }
}

function readPackageJson(file: string): PackageJson {
  try {
    return JSON.parse(readFileSync(file, "utf8")) as PackageJson;
  } catch (error) {
    throw usageError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
}
