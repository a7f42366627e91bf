/**
 * Curator's `Participant` list for its elections (`LeaderLatch`,
 * `LeaderSelector`): the contenders in queue order, each with the id stored
 * as its node's UTF-8 data; the first node that still exists is the leader.
 *
 * @module
 */

import type { ZooKeeperClientCore } from "../../../lib/core.ts";
import { childrenOrEmpty, readTexts } from "../../internal/tolerant.ts";
import { sortChildren } from "./lock_internals.ts";

/** One contender of a Curator election, as Curator's `Participant` reports it. */
export interface Participant {
  /** The id the contender stored in its node (UTF-8). */
  readonly id: string;
  /** Whether it leads: the first contender in queue order. */
  readonly isLeader: boolean;
}

/** The participants under `dir` whose nodes sort by `lockName`, the leader first. */
export async function readParticipants(
  zk: ZooKeeperClientCore,
  dir: string,
  lockName: string,
  signal?: AbortSignal,
): Promise<Participant[]> {
  const sorted = sortChildren(await childrenOrEmpty(zk, dir, signal), [lockName]);
  const ids = await readTexts(zk, dir, sorted, { signal });
  return ids.map((id, i) => ({ id, isLeader: i === 0 }));
}

/** Resolves when `zk` is CONNECTED (at once if it is); rejects when `signal` aborts. */
export function untilConnected(
  zk: Pick<ZooKeeperClientCore, "state" | "addListener" | "removeListener">,
  signal: AbortSignal,
): Promise<void> {
  if (signal.aborted) return Promise.reject(signal.reason);
  if (zk.state === "CONNECTED") return Promise.resolve();
  return new Promise((resolve, reject) => {
    const done = () => {
      zk.removeListener(listener);
      signal.removeEventListener("abort", onAbort);
    };
    const listener = (state: string) => {
      if (state !== "CONNECTED") return;
      done();
      resolve();
    };
    const onAbort = () => {
      done();
      reject(signal.reason);
    };
    zk.addListener(listener);
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
