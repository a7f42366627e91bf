/**
 * The queue under Curator's locks (`LockInternals` and its drivers): every
 * contender is a protected ephemeral-sequential child of the lock's node,
 * all children are sorted by the text after the last occurrence of the lock
 * name (the sequence, for Curator's nodes; the whole name for a foreign
 * child), and a driver's predicate says, from our index in that order,
 * whether we hold the lock or which one node we wait for.
 *
 * @module
 */

import type { ZooKeeperClientCore } from "../../../lib/core.ts";
import { throwIfAborted } from "../../../lib/abort.ts";
import { joinPath } from "../../../lib/paths.ts";
import { ForceRetryError } from "../../../lib/retry.ts";
import {
  type ContenderNode,
  isStale,
  retryUntil,
  waitForDeletion,
} from "../../internal/contenders.ts";
import type { CuratorProtectedCreate } from "./protected_create.ts";

/**
 * Curator's `standardFixForSorting`: the text after the last `lockName` in
 * `name`, or `name` itself when it has none.
 */
export function fixForSorting(name: string, lockName: string): string {
  const at = name.lastIndexOf(lockName);
  return at >= 0 ? name.slice(at + lockName.length) : name;
}

/**
 * `children` in Curator's lock order: by the key `fixForSorting` gives for
 * each of `lockNames` in turn, compared as Java compares strings (by UTF-16
 * code unit, which is how JavaScript compares them too).
 */
export function sortChildren(children: readonly string[], lockNames: readonly string[]): string[] {
  const keyed = children.map((name) => ({
    name,
    key: lockNames.reduce((key, lockName) => fixForSorting(key, lockName), name),
  }));
  keyed.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  return keyed.map(({ name }) => name);
}

/** What a predicate decides: we hold it, or we wait for the node `watch`. */
export type PredicateResult = { holds: true } | { holds: false; watch: string };

/** Decides from the sorted children and our index in them. */
export type LockPredicate = (sorted: readonly string[], ourIndex: number) => PredicateResult;

/**
 * Curator's standard predicate: the first `maxLeases` contenders hold; any
 * other waits for the one `maxLeases` places before it.
 */
export function standardPredicate(maxLeases: number): LockPredicate {
  return (sorted, ourIndex) =>
    ourIndex < maxLeases ? { holds: true } : { holds: false, watch: sorted[ourIndex - maxLeases] };
}

/** How one contender of a Curator lock queues. */
export interface LockDriver {
  /** The lock's node: contenders are its children. */
  readonly dir: string;
  /** The lock names the children are sorted by (`["lock-"]`, or the read-write pair). */
  readonly lockNames: readonly string[];
  /** Whether our index holds. */
  readonly predicate: LockPredicate;
}

/**
 * Queues a contender and waits until the predicate says it holds; `null`
 * instead of waiting when `blocking` is false. Connection loss is ridden
 * out (the create is adopted by its protected prefix); when our node
 * vanishes (the session expired) we queue again with a new one, as Curator
 * does under its retry policy.
 */
export function contend(
  zk: ZooKeeperClientCore,
  driver: LockDriver,
  creator: CuratorProtectedCreate,
  blocking: boolean,
  signal: AbortSignal,
): Promise<ContenderNode | null> {
  let node: ContenderNode | undefined;
  return retryUntil(async () => {
    if (node && isStale(zk, node)) node = undefined;
    node ??= await creator.create(signal);
    const own = node;
    while (true) {
      throwIfAborted(signal);
      const children = await zk.getChildren(driver.dir, { signal });
      const sorted = sortChildren(children, driver.lockNames);
      const ourIndex = sorted.indexOf(own.name);
      if (ourIndex < 0) {
        node = undefined;
        throw new ForceRetryError("our lock node is gone (session expired?)");
      }
      const decision = driver.predicate(sorted, ourIndex);
      if (decision.holds) {
        if (isStale(zk, own)) throw new ForceRetryError("the session changed");
        return own;
      }
      if (!blocking) return null;
      // Any change of the one node we wait for (or its absence) means: look again.
      await waitForDeletion(zk, joinPath(driver.dir, decision.watch), signal);
      if (isStale(zk, own)) throw new ForceRetryError("the session changed");
    }
  }, signal);
}
