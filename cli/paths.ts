/**
 * Znode paths as the user types them: absolute, or relative to the shell's
 * current directory, with `.` and `..` resolved. What is left is checked by
 * the client's own path rules.
 *
 * @module
 */

import { validatePath } from "../lib/paths.ts";

/**
 * `path` resolved against `cwd`; `..` above the root stays at the root.
 * Throws the client's `InvalidPathError` for what no znode can be called.
 *
 * @example
 * ```ts
 * import { resolvePath } from "./paths.ts";
 * resolvePath("/app", "config/../db"); // "/app/db"
 * ```
 */
export function resolvePath(cwd: string, path: string): string {
  const joined = path.startsWith("/") ? path : cwd === "/" ? `/${path}` : `${cwd}/${path}`;
  const segments: string[] = [];
  const parts = joined.split("/");
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i];
    if (part === ".") continue;
    if (part === "..") segments.pop();
    // A trailing slash (`/app/`) is how people type directories.
    else if (part === "" && i === parts.length - 1) continue;
    else segments.push(part);
  }
  const resolved = "/" + segments.join("/");
  validatePath(resolved);
  return resolved;
}

/**
 * `path` relative to `root` (`"/"` for the root itself): how a subtree's
 * nodes are named in a dump.
 *
 * @example
 * ```ts
 * import { relativeTo } from "./paths.ts";
 * relativeTo("/app", "/app/config"); // "/config"
 * ```
 */
export function relativeTo(root: string, path: string): string {
  if (path === root) return "/";
  return root === "/" ? path : path.slice(root.length);
}

/**
 * `relative` (as {@linkcode relativeTo} makes it) placed under `root`.
 *
 * @example
 * ```ts
 * import { underRoot } from "./paths.ts";
 * underRoot("/backup", "/config"); // "/backup/config"
 * ```
 */
export function underRoot(root: string, relative: string): string {
  if (relative === "/") return root;
  return root === "/" ? relative : root + relative;
}
