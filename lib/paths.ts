/**
 * ZooKeeper path rules (`PathUtils.validatePath`) and chroot mapping.
 *
 * @module
 */

import { InvalidPathError } from "./errors.ts";

/**
 * Throws {@linkcode InvalidPathError} unless `path` is one ZooKeeper accepts:
 * absolute, no empty, `.` or `..` segment, no trailing `/` (except the root,
 * and except for a sequential create, checked as if a digit followed), no
 * control, surrogate, private-use or non-character code points.
 *
 * @example
 * ```ts
 * import { validatePath } from "@zk/client";
 * validatePath("/app/config");      // ok
 * validatePath("/app/lock-", true); // ok: the server appends a sequence number
 * ```
 */
export function validatePath(path: string, sequential = false): void {
  if (typeof path !== "string") {
    throw new InvalidPathError("not a string", { path: String(path) });
  }
  const p = sequential ? path + "1" : path;
  if (p.length === 0) throw new InvalidPathError("empty", { path });
  if (p.charCodeAt(0) !== 47) throw new InvalidPathError("must start with /", { path });
  if (p.length === 1) return;
  if (p.charCodeAt(p.length - 1) === 47) {
    throw new InvalidPathError("must not end with /", { path });
  }
  let segmentStart = 1;
  for (let i = 1; i <= p.length; i++) {
    const c = i < p.length ? p.charCodeAt(i) : 47;
    if (c === 47) {
      const len = i - segmentStart;
      if (len === 0) throw new InvalidPathError("empty segment", { path });
      if (
        (len === 1 && p.charCodeAt(segmentStart) === 46) ||
        (len === 2 && p.charCodeAt(segmentStart) === 46 && p.charCodeAt(segmentStart + 1) === 46)
      ) {
        throw new InvalidPathError("relative segment", { path });
      }
      segmentStart = i + 1;
      continue;
    }
    if (
      c < 0x20 || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xf8ff) ||
      c >= 0xfff0
    ) {
      throw new InvalidPathError(`forbidden character U+${c.toString(16).padStart(4, "0")}`, {
        path,
      });
    }
  }
}

/**
 * Maps client paths to server paths and back under a chroot. The root `/`
 * maps to the chroot itself.
 */
export class Chroot {
  /** The chroot, without a trailing slash; `""` when there is none. */
  readonly prefix: string;

  /** `prefix` is a validated absolute path or `""`/`"/"` for none. */
  constructor(prefix: string) {
    this.prefix = prefix === "/" ? "" : prefix;
  }

  /** The server path for a client path. */
  toServer(path: string): string {
    if (this.prefix === "") return path;
    return path === "/" ? this.prefix : this.prefix + path;
  }

  /**
   * The client path for a server path. Paths outside the chroot (such as
   * `/zookeeper/config`) are returned unchanged.
   */
  toClient(path: string): string {
    const prefix = this.prefix;
    if (prefix === "" || !path.startsWith(prefix)) return path;
    if (path.length === prefix.length) return "/";
    return path.charCodeAt(prefix.length) === 47 ? path.slice(prefix.length) : path;
  }
}

/** The last segment of a path (`"/a/b"` → `"b"`). */
export function basename(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

/** The parent of a path (`"/a/b"` → `"/a"`, `"/a"` → `"/"`). */
export function dirname(path: string): string {
  const i = path.lastIndexOf("/");
  return i <= 0 ? "/" : path.slice(0, i);
}

/** Joins a parent path and a child name (`joinPath("/", "a")` → `"/a"`). */
export function joinPath(parent: string, child: string): string {
  return parent === "/" ? "/" + child : parent + "/" + child;
}
