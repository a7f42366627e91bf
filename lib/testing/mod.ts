/**
 * The test harness of `@zk/client`: real ZooKeeper servers started from the
 * Java jars, fault injection, and helpers for Deno tests.
 *
 * ```ts
 * import { ZooKeeperCluster } from "@zk/client/testing";
 * await using cluster = await ZooKeeperCluster.start({ size: 3 });
 * console.log(cluster.connectionString());
 * ```
 *
 * @module
 */

export * from "./cluster.ts";
export { digest } from "./member_config.ts";
export * from "./find.ts";
export * from "./four_letter_word.ts";
export * from "./ports.ts";
export * from "./raw_session.ts";
export * from "./proxy.ts";
export * from "./faulty_transport.ts";
export * from "./expire.ts";
export * from "./server_integrity.ts";
export * from "./fixture.ts";
