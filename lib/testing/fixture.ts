/**
 * Deno test helpers: one cluster shared by a test module (started on first
 * use, stopped after the module's last test), and a fresh chrooted client
 * per test so tests never see each other's znodes.
 *
 * @module
 */

import type { ZooKeeperClient, ZooKeeperClientOptions } from "../client.ts";
import { ZooKeeperCluster, type ZooKeeperClusterOptions } from "./cluster.ts";
import { BadArgumentsError } from "../errors.ts";

/** Client options of {@linkcode ClusterFixture.client}. */
export type FixtureClientOptions = Omit<ZooKeeperClientOptions, "hosts"> & {
  /**
   * The chroot: default {@linkcode ClusterFixture.chroot} of the test, a
   * path of your own, or `false` for the real root.
   */
  chroot?: string | false;
  /** Connect to the TLS ports, trusting the cluster's CA and presenting its client certificate. */
  secure?: boolean;
};

/** Options of {@linkcode clusterFixture}: the cluster's, plus client defaults. */
export interface ClusterFixtureOptions extends ZooKeeperClusterOptions {
  /** Defaults for every {@linkcode ClusterFixture.client} (session timeout 10 s unless set). */
  clientOptions?: FixtureClientOptions;
  /**
   * Stop the cluster after the module's last test with `Deno.test.afterAll`
   * (default true; needs the fixture to be made at module top level).
   */
  autoStop?: boolean;
}

/** What a test gets from {@linkcode clusterFixture}. */
export interface ClusterFixture {
  /** The module's cluster, started on the first call. */
  cluster(): Promise<ZooKeeperCluster>;
  /** A chroot path unique to test `t` (the same one on every call for `t`). */
  chroot(t: { name: string }): string;
  /**
   * A connected client inside the test's chroot (created first). Close it in
   * the test, e.g. with `await using`; any still open are closed by `stop()`.
   */
  client(t: { name: string }, options?: FixtureClientOptions): Promise<ZooKeeperClient>;
  /**
   * `count` connected clients inside the test's chroot, connected in
   * parallel, as one group that `await using` closes.
   *
   * @example
   * ```ts
   * import { clusterFixture } from "@zk/client/testing";
   * const fixture = clusterFixture({ freePorts: true });
   * Deno.test("three clients see one node", async (t) => {
   *   await using clients = await fixture.clients(t, 3);
   *   const [a, b, c] = clients;
   *   await a.create("/n", "x");
   *   console.log(await b.exists("/n"), await c.exists("/n"));
   * });
   * ```
   */
  clients(
    t: { name: string },
    count: number,
    options?: FixtureClientOptions,
  ): Promise<ClientGroup>;
  /** Closes leftover clients, stops the cluster and removes its folder. Idempotent. */
  stop(): Promise<void>;
}

/** Clients made together by {@linkcode ClusterFixture.clients}; `await using` closes them all. */
export type ClientGroup = ZooKeeperClient[] & AsyncDisposable;

let counter = 0;

/**
 * Makes a per-module fixture. Call it at module top level: the cluster starts
 * on first use and, by default, stops after the module's last test.
 *
 * @example
 * ```ts
 * import { clusterFixture } from "@zk/client/testing";
 * const zk = clusterFixture({ size: 3, portOffset: 23000 });
 *
 * Deno.test("a created node can be read back", async (t) => {
 *   await using client = await zk.client(t);
 *   await client.create("/a", "x");
 *   // the node is really /<chroot>/a: other tests don't see it
 * });
 * ```
 */
export function clusterFixture(options: ClusterFixtureOptions = {}): ClusterFixture {
  const { clientOptions, autoStop, ...clusterOptions } = options;
  let started: Promise<ZooKeeperCluster> | undefined;
  let stopping: Promise<void> | undefined;
  const chroots = new WeakMap<object, string>();
  const clients = new Set<ZooKeeperClient>();

  const fixture: ClusterFixture = {
    cluster() {
      if (stopping) return Promise.reject(new Error("the fixture was stopped"));
      if (started === undefined) {
        const starting = ZooKeeperCluster.start(clusterOptions);
        // A failed start is retried by the next call.
        starting.catch(() => {
          if (started === starting) started = undefined;
        });
        started = starting;
      }
      return started;
    },

    chroot(t) {
      let chroot = chroots.get(t);
      if (chroot === undefined) {
        const slug = t.name.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "")
          .slice(0, 40);
        chroot = `/zk-test-${slug}-${(counter++).toString(36)}-${
          Math.random().toString(36).slice(2, 8)
        }`;
        chroots.set(t, chroot);
      }
      return chroot;
    },

    async client(t, options = {}) {
      const cluster = await fixture.cluster();
      const { connect } = await import("../client.ts");
      const { chroot: given, secure, ...rest } = { ...clientOptions, ...options };
      const chroot = given === false ? "" : given ?? fixture.chroot(t);
      const connectOptions: Omit<ZooKeeperClientOptions, "hosts"> = {
        sessionTimeout: 10_000,
        ...rest,
      };
      if (secure) {
        const tls = cluster.tls;
        if (tls === undefined) throw new Error("secure: the fixture's cluster has no tls");
        connectOptions.tls = { caCerts: [tls.caCert], cert: tls.clientCert, key: tls.clientKey };
      }
      if (chroot !== "") {
        const admin = await connect(cluster.connectionString({ tls: secure }), connectOptions);
        try {
          await admin.ensurePath(chroot);
        } finally {
          await admin.close();
        }
      }
      const client = await connect(
        cluster.connectionString({ tls: secure, chroot }),
        connectOptions,
      );
      clients.add(client);
      return client;
    },

    async clients(t, count, options = {}) {
      if (!Number.isInteger(count) || count < 1) {
        throw new BadArgumentsError(`count must be a positive integer, not ${count}`);
      }
      // The chroot once, then the clients in parallel.
      const first = await fixture.client(t, options);
      const settled = await Promise.allSettled(
        Array.from({ length: count - 1 }, () => fixture.client(t, options)),
      );
      const made = [first, ...settled.flatMap((r) => r.status === "fulfilled" ? [r.value] : [])];
      const closeAll = async () => {
        await Promise.allSettled(made.map((client) => client.close()));
        for (const client of made) clients.delete(client);
      };
      const failed = settled.find((r) => r.status === "rejected");
      if (failed) {
        await closeAll();
        throw failed.reason;
      }
      return Object.assign(made, { [Symbol.asyncDispose]: closeAll });
    },

    stop() {
      return stopping ??= (async () => {
        await Promise.allSettled([...clients].map((client) => client.close()));
        clients.clear();
        const cluster = await started?.catch(() => undefined);
        await cluster?.stop();
      })();
    },
  };

  if (autoStop ?? true) {
    try {
      if ("Deno" in globalThis) Deno.test.afterAll(() => fixture.stop());
    } catch {
      // Not at module top level (or an older Deno): the caller stops it.
    }
  }
  return fixture;
}
