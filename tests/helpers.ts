/**
 * Shared arrangements for the client's integration tests: a fresh chroot per
 * test, so tests never see each other's znodes, and small waiting helpers
 * (no sleeps as synchronisation).
 */
import {
  connect,
  NoWatcherError,
  State,
  type WatchType,
  type ZooKeeperClient,
  type ZooKeeperClientOptions,
} from "../mod.ts";
import { FaultProxy, type ZooKeeperCluster, type ZooKeeperMember } from "../lib/testing/mod.ts";

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

/** A client that reaches the cluster through a {@linkcode FaultProxy}, and one that does not. */
export interface ProxiedClient extends AsyncDisposable {
  /** A direct client under the same chroot, for changes made while `zk` is cut off. */
  readonly admin: ZooKeeperClient;
  /** The proxy in front of the member `zk` talks to. */
  readonly proxy: FaultProxy;
  /** The client under test, through `proxy`, with an 8 s session timeout. */
  readonly zk: ZooKeeperClient;
}

/**
 * Under `chroot` (created if missing): an admin client, and a client that
 * reaches `member` (default the first) through a fresh proxy adding
 * `latency` ms each way. Disposing closes the client, the admin, then the proxy.
 */
export async function proxiedClient(
  cluster: ZooKeeperCluster,
  chroot: string,
  options: { member?: ZooKeeperMember; latency?: number } = {},
): Promise<ProxiedClient> {
  const member = options.member ?? cluster.members[0];
  const admin = await chrootedClient(cluster, chroot);
  const proxy = await FaultProxy.start(
    { host: member.host, port: member.clientPort },
    { latency: options.latency },
  ).catch(async (error) => {
    await admin.close();
    throw error;
  });
  const zk = await connect(`${proxy.address}${chroot}`, { sessionTimeout: 8000 })
    .catch(async (error) => {
      await proxy.close();
      await admin.close();
      throw error;
    });
  return {
    admin,
    proxy,
    zk,
    async [Symbol.asyncDispose]() {
      await zk.close();
      await admin.close();
      await proxy.close();
    },
  };
}

/** Cuts `zk`'s connection at `proxy` and refuses new ones; resolves once `zk` is SUSPENDED. */
export async function cutOff(zk: ZooKeeperClient, proxy: FaultProxy): Promise<void> {
  // Listen first: the client may notice the cut before `cut()` resolves.
  const suspended = nextState(zk, (s) => s === State.SUSPENDED);
  proxy.refuse();
  await proxy.cut();
  await suspended;
}

/** Cuts `zk` off at `proxy`, runs `whileDown`, then lets it back and waits until it is CONNECTED. */
export async function whileCutOff(
  zk: ZooKeeperClient,
  proxy: FaultProxy,
  whileDown: () => Promise<void>,
): Promise<void> {
  await cutOff(zk, proxy);
  await whileDown();
  const connected = nextState(zk, (s) => s === State.CONNECTED);
  proxy.accept();
  await connected;
}

/**
 * Why `python` cannot import `modules` (a comma-separated list): the last
 * line of its error, or `undefined` when it can.
 */
export function pythonImportError(python: string, modules: string): string | undefined {
  try {
    const { success, stderr } = new Deno.Command(python, {
      args: ["-c", `import ${modules}`],
      stdout: "null",
      stderr: "piped",
    }).outputSync();
    return success ? undefined : new TextDecoder().decode(stderr).trim().split("\n").at(-1);
  } catch (error) {
    return String(error);
  }
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

/** Whether the server holds no watch (of `type`, default any) on `path` for `zk`'s session. */
export async function serverHoldsNoWatch(
  zk: ZooKeeperClient,
  path: string,
  type: WatchType = "any",
): Promise<boolean> {
  try {
    await zk.checkWatches(path, { type });
    return false;
  } catch (error) {
    if (error instanceof NoWatcherError) return true;
    throw error;
  }
}
