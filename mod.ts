/**
 * @zk/client: a ZooKeeper client for Deno and Bun.
 * @module
 */
export * from "./lib/errors.ts";
