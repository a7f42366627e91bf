/**
 * @zk/client: a ZooKeeper client for Deno and Bun, in pure TypeScript.
 *
 * ```ts
 * import { connect } from "@zk/client";
 * await using zk = await connect("127.0.0.1:2181/app", { sessionTimeout: 10_000 });
 * await zk.create("/config", "v1");
 * const { data, stat } = await zk.get("/config", { watch: (e) => console.log(e.type) });
 * ```
 *
 * @module
 */
export * from "./lib/errors.ts";
export * from "./lib/types.ts";
export { connect, ZooKeeperClient } from "./lib/client.ts";
export {
  type ClientIdentity,
  type CreateOptions,
  type Data,
  type GetChildrenOptions,
  type NodeData,
  type OwnershipPolicy,
  type PersistentWatchOptions,
  type ReadOp,
  type ReadResult,
  type WatchOptions,
  ZooKeeperClientCore,
  type ZooKeeperClientCoreOptions,
  type ZooKeeperClientOptions,
} from "./lib/core.ts";
export {
  Transaction,
  type TransactionCreateOptions,
  type TransactionResult,
} from "./lib/transaction.ts";
export {
  CREATOR_ALL_ACL,
  makeAcl,
  makeDigestAcl,
  makeDigestCredential,
  OPEN_ACL_UNSAFE,
  Perms,
  type PermsFlags,
  READ_ACL_UNSAFE,
  validateAcl,
} from "./lib/acl.ts";
export {
  ForceRetryError,
  type RetryEvent,
  RetryFailedError,
  type RetryOptions,
  RetryPolicy,
} from "./lib/retry.ts";
export { basename, dirname, joinPath, validatePath } from "./lib/paths.ts";
export {
  type ConnectionString,
  DEFAULT_PORT,
  type HostAddress,
  parseConnectionString,
} from "./lib/session/hosts.ts";
export type { Logger, ReconnectOptions, SaslOptions } from "./lib/session/session.ts";
export { sendFourLetterWord } from "./lib/session/four_letter.ts";
export {
  defaultTransport,
  type TlsOptions,
  type Transport,
  type TransportConnection,
  type TransportConnectOptions,
} from "./lib/transport/mod.ts";
export * from "./recipes/mod.ts";
export * from "./recipes/curator/mod.ts";
