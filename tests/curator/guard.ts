/**
 * The guard protocol every holder runs inside a lock, on both sides (see
 * `java/CuratorLocks.java`): create `{guard}/inside` (ephemeral; NodeExists
 * means another holder is inside: an overlap), read the 8-byte big-endian
 * counter `{guard}`, write it back plus one without a version (an overlap
 * loses an update), delete `{guard}/inside`. It needs no shared clock: the
 * counter values the holders saw must be 0, 1, 2, ... with no repeat.
 */
import type { ZooKeeperClient } from "../../mod.ts";
import { NodeExistsError } from "../../mod.ts";

/** What one guarded hold saw. */
export interface GuardedHold {
  /** Another holder was inside. */
  overlap: boolean;
  /** The counter value read. */
  n: number;
}

/** Creates the counter node `guard` at 0. */
export async function createGuard(zk: ZooKeeperClient, guard: string): Promise<void> {
  await zk.create(guard, new Uint8Array(8), { makeParents: true });
}

/** Runs the guard protocol once. */
export async function guarded(zk: ZooKeeperClient, guard: string): Promise<GuardedHold> {
  let overlap = false;
  try {
    await zk.create(`${guard}/inside`, null, { ephemeral: true });
  } catch (error) {
    if (!(error instanceof NodeExistsError)) throw error;
    overlap = true;
  }
  const { data } = await zk.get(guard);
  const n = data.length === 8
    ? Number(new DataView(data.buffer, data.byteOffset).getBigInt64(0))
    : 0;
  await new Promise((resolve) => setTimeout(resolve, 2));
  const next = new Uint8Array(8);
  new DataView(next.buffer).setBigInt64(0, BigInt(n + 1));
  await zk.set(guard, next);
  if (!overlap) await zk.delete(`${guard}/inside`);
  return { overlap, n };
}

/** The counter's value now. */
export async function guardCount(zk: ZooKeeperClient, guard: string): Promise<number> {
  const { data } = await zk.get(guard);
  return Number(new DataView(data.buffer, data.byteOffset).getBigInt64(0));
}
