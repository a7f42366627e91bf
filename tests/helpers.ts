/**
 * Shared arrangements for the client's integration tests: a fresh chroot per
 * test, so tests never see each other's znodes, and small waiting helpers
 * (no sleeps as synchronisation).
 */
import { connect, type ZooKeeperClient, type ZooKeeperClientOptions } from "../mod.ts";
import type { ZooKeeperCluster } from "../lib/testing/mod.ts";

let counter = 0;

/** A unique chroot path for one test. */
export function uniqueChroot(name: string): string {
  const slug = name.toLowerCase().replace(/[^a-z0-9]+/g, "-").slice(0, 40);
  return `/t-${Date.now().toString(36)}-${counter++}-${slug}`;
}

/** Creates `chroot` on the server and connects a client under it. */
export async function chrootedClient(
  cluster: ZooKeeperCluster,
  chroot: string,
  options: Omit<ZooKeeperClientOptions, "hosts"> = {},
): Promise<ZooKeeperClient> {
  {
    await using admin = await connect(cluster.connectionString(), { sessionTimeout: 10_000 });
    await admin.ensurePath(chroot);
  }
  return await connect(cluster.connectionString({ chroot }), {
    sessionTimeout: 10_000,
    ...options,
  });
}

/** `n` clients under `chroot` (created if missing), connected in parallel. */
export async function chrootedClients(
  cluster: ZooKeeperCluster,
  chroot: string,
  n: number,
  options: Omit<ZooKeeperClientOptions, "hosts"> = {},
): Promise<ZooKeeperClient[]> {
  return await Promise.all(
    Array.from({ length: n }, () => chrootedClient(cluster, chroot, options)),
  );
}

/** Closes every client in `zks`, in parallel. */
export async function closeAll(zks: readonly ZooKeeperClient[]): Promise<void> {
  await Promise.all(zks.map((zk) => zk.close()));
}

/** Resolves when `signal` aborts (at once when it already has). */
export function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}

/** Resolves when `predicate` holds, polling every 20 ms, or throws after `timeout` ms. */
export async function eventually(
  predicate: () => boolean | Promise<boolean>,
  timeout = 10_000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!(await predicate())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Resolves with the next state `zk` reports that satisfies `accept`, or throws after `timeout`. */
export function nextState(
  zk: ZooKeeperClient,
  accept: (state: string) => boolean,
  timeout = 20_000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      zk.removeListener(listener);
      reject(new Error(`no matching state within ${timeout} ms (now ${zk.state})`));
    }, timeout);
    const listener = (state: string) => {
      if (!accept(state)) return;
      clearTimeout(timer);
      zk.removeListener(listener);
      resolve(state);
    };
    zk.addListener(listener);
  });
}

/** A promise and its resolver, for waiting on a callback. */
export function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => resolve = r);
  return { promise, resolve };
}

/** Rejects after `ms` unless `promise` settles first; clears its timer either way. */
export async function within<T>(promise: Promise<T>, ms: number, what = "promise"): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    return await Promise.race([
      promise,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${what} did not settle within ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * The paths the `wchc` four-letter word lists for `session` (ZooKeeper keeps
 * listing a session whose watches are all gone, with no paths under it).
 */
export function watchedPaths(wchc: string, session: bigint): string[] {
  const paths: string[] = [];
  let mine = false;
  for (const line of wchc.split("\n")) {
    if (line.startsWith("0x")) mine = BigInt(line.trim()) === session;
    else if (mine && line.trim() !== "") paths.push(line.trim());
  }
  return paths;
}
