/**
 * Tolerant znode operations shared by the recipes: listing a folder that may
 * not exist yet, reading the identifiers stored in member nodes that may
 * vanish while we read them, and deleting a node that may be gone already
 * (or that a try whose reply was lost may have deleted).
 *
 * @module
 */

import type { ZooKeeperClientCore } from "../../lib/core.ts";
import { ClientClosedError, NoNodeError } from "../../lib/errors.ts";
import { RetryPolicy } from "../../lib/retry.ts";
import { joinPath } from "../../lib/paths.ts";

const decoder = new TextDecoder();

/** The children of `path`, or `[]` when `path` does not exist. */
export async function childrenOrEmpty(
  zk: ZooKeeperClientCore,
  path: string,
  signal?: AbortSignal,
): Promise<string[]> {
  try {
    return await zk.getChildren(path, { signal });
  } catch (error) {
    if (error instanceof NoNodeError) return [];
    throw error;
  }
}

/** Deletes `path`; resolves `false` when it was not there. */
export async function deleteIfPresent(
  zk: ZooKeeperClientCore,
  path: string,
  signal?: AbortSignal,
): Promise<boolean> {
  try {
    await zk.delete(path, { signal });
    return true;
  } catch (error) {
    if (error instanceof NoNodeError) return false;
    throw error;
  }
}

/**
 * The clean-up retry: through any length of connection trouble and session
 * changes, independent of the client's own retry settings (a `deadline`
 * there must not leave a node behind).
 */
export const UNTIL_DONE: RetryPolicy = new RetryPolicy({
  maxTries: -1,
  delay: 50,
  maxDelay: 1_000,
});

/**
 * Deletes `path`, retried with {@linkcode UNTIL_DONE} until it is gone.
 * Resolves `true` if it was there, `false` if the first try found it
 * missing: a later try that finds it gone counts as ours, since an earlier
 * one whose reply was lost may have deleted it. A closed client ends it:
 * with `ephemeral` the node went with the session (`true`); otherwise the
 * error is passed on.
 */
export async function deleteRetried(
  zk: ZooKeeperClientCore,
  path: string,
  options: { signal?: AbortSignal; ephemeral?: boolean } = {},
): Promise<boolean> {
  let attempts = 0;
  try {
    await UNTIL_DONE.run(() => {
      attempts++;
      return zk.delete(path, { signal: options.signal });
    }, { signal: options.signal });
    return true;
  } catch (error) {
    if (error instanceof NoNodeError) return attempts > 1;
    if (error instanceof ClientClosedError && options.ephemeral) return true;
    throw error;
  }
}

/** Options of {@linkcode readTexts}. */
export interface ReadTextsOptions {
  /** Aborts the reads. */
  signal?: AbortSignal;
  /** Retry each read through connection loss (with the client's `retry()`, no try limit). */
  retry?: boolean;
}

/**
 * The data of each `names` child of `dir` as UTF-8, in the order given,
 * leaving out the nodes that were deleted before we read them.
 */
export async function readTexts(
  zk: ZooKeeperClientCore,
  dir: string,
  names: readonly string[],
  options: ReadTextsOptions = {},
): Promise<string[]> {
  const { signal } = options;
  const found = await Promise.all(names.map(async (name) => {
    const read = () => zk.get(joinPath(dir, name), { signal });
    try {
      const { data } = options.retry
        ? await zk.retry(read, { maxTries: -1, signal })
        : await read();
      return decoder.decode(data);
    } catch (error) {
      if (error instanceof NoNodeError) return undefined; // gone meanwhile
      throw error;
    }
  }));
  return found.filter((text): text is string => text !== undefined);
}
