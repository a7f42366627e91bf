/**
 * What Curator's recipes share on the wire, for the recipes in this folder:
 * parents created as CONTAINER nodes (`creatingParentContainersIfNeeded`),
 * protected names (`_c_<uuid>-<name>`), and the big-endian integers of
 * `SharedCount` and `DistributedAtomicLong`.
 *
 * @module
 */

import type { ZooKeeperClientCore } from "../../lib/core.ts";
import { DataInconsistencyError, NodeExistsError, NoNodeError } from "../../lib/errors.ts";
import { dirname } from "../../lib/paths.ts";

/** Curator's `PROTECTED_PREFIX`: a protected node's name starts with it, then a uuid and `-`. */
export const PROTECTED_PREFIX = "_c_";

/**
 * The protected name of `path`, Curator's `ZKPaths`/`ProtectedUtils` layout:
 * the last segment becomes `_c_<uuid>-<segment>`.
 */
export function protectedPath(path: string, uuid: string): string {
  const slash = path.lastIndexOf("/");
  return `${path.slice(0, slash + 1)}${PROTECTED_PREFIX}${uuid}-${path.slice(slash + 1)}`;
}

/**
 * Creates the missing ancestors of `path` (not `path` itself) top-down as
 * CONTAINER nodes with no data, as Curator's `ZKPaths.mkdirs` does for
 * `creatingParentContainersIfNeeded()`: the server deletes them once their
 * last child has gone. An ancestor someone else creates meanwhile is fine.
 */
export async function createParentContainers(
  zk: ZooKeeperClientCore,
  path: string,
  signal?: AbortSignal,
): Promise<void> {
  const parent = dirname(path);
  if (parent === "/") return;
  const segments = parent.split("/").slice(1);
  let current = "";
  for (const segment of segments) {
    current += `/${segment}`;
    if (await zk.exists(current, { signal }) !== null) continue;
    try {
      await zk.create(current, null, { container: true, signal });
    } catch (error) {
      if (!(error instanceof NodeExistsError)) throw error;
    }
  }
}

/**
 * `zk.create(path, data, options)`, creating missing parents as containers
 * when the server answers NoNode, and trying again (a container parent may be
 * collected between the two; Curator's retry loop covers that the same way).
 */
export async function createWithParents(
  zk: ZooKeeperClientCore,
  path: string,
  data: Uint8Array,
  options: { ephemeral?: boolean; sequential?: boolean; signal?: AbortSignal },
): Promise<string> {
  for (let attempt = 0;; attempt++) {
    try {
      return await zk.create(path, data, options);
    } catch (error) {
      if (!(error instanceof NoNodeError) || attempt >= 3) throw error;
      await createParentContainers(zk, path, options.signal);
    }
  }
}

/** A 4-byte big-endian two's-complement int: `SharedCount`'s and `DistributedAtomicInteger`'s. */
export function encodeInt32(value: number): Uint8Array {
  const bytes = new Uint8Array(4);
  new DataView(bytes.buffer).setInt32(0, value, false);
  return bytes;
}

/** Reads what {@linkcode encodeInt32} writes; as Java's `ByteBuffer.getInt`, extra bytes are ignored. */
export function decodeInt32(data: Uint8Array, path: string): number {
  if (data.length < 4) {
    throw new DataInconsistencyError(
      `${path} holds ${data.length} bytes, not a 4-byte big-endian int (Curator's SharedCount)`,
      { path },
    );
  }
  return new DataView(data.buffer, data.byteOffset, 4).getInt32(0, false);
}

/** An 8-byte big-endian two's-complement long: `DistributedAtomicLong`'s. */
export function encodeInt64(value: bigint): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigInt64(0, value, false);
  return bytes;
}

/**
 * Reads what {@linkcode encodeInt64} writes. As Curator: no data is 0, 1 to 7
 * bytes are corrupt, and bytes past the eighth are ignored.
 */
export function decodeInt64(data: Uint8Array, path: string): bigint {
  if (data.length === 0) return 0n;
  if (data.length < 8) {
    throw new DataInconsistencyError(
      `${path} holds ${data.length} bytes, not an 8-byte big-endian long ` +
        `(Curator's DistributedAtomicLong)`,
      { path },
    );
  }
  return new DataView(data.buffer, data.byteOffset, 8).getBigInt64(0, false);
}

/** Byte-wise equality. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
