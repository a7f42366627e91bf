/**
 * Transactions (`multi`): ops collected on the client and committed
 * atomically; one typed result per op, or a {@linkcode TransactionError}
 * that says which op failed.
 *
 * @module
 */

import {
  BadArgumentsError,
  errorFromCode,
  RolledBackError,
  TransactionError,
  type ZooKeeperError,
} from "./errors.ts";
import { OpCode } from "./jute/opcodes.ts";
import type { MultiOp, MultiResult } from "./jute/multi.ts";
import { validateAcl } from "./acl.ts";
import { publicStat } from "./stat.ts";
import type { ACL, CallOptions, Stat } from "./types.ts";

/** One result of a committed transaction, in op order. */
export type TransactionResult =
  | { type: "create"; path: string; stat?: Stat }
  | { type: "delete" }
  | { type: "setData"; stat: Stat }
  | { type: "check" };

/** Options of a create inside a transaction. */
export interface TransactionCreateOptions {
  /** The node's ACL (default: the client's `defaultAcl`). */
  acl?: readonly ACL[];
  /** Delete the node when the session ends. */
  ephemeral?: boolean;
  /** Append a sequence number to the name. */
  sequential?: boolean;
  /** A container node. */
  container?: boolean;
  /** Time to live in ms. */
  ttl?: number;
  /** Return the new node's Stat in the result. */
  includeStat?: boolean;
}

/** What a transaction needs from its client. */
export interface TransactionContext {
  /** Validates a client path and maps it to the server's. */
  toServer(path: string, sequential?: boolean): string;
  /** Maps a server path back (chroot stripped). */
  toClient(path: string): string;
  /** ACL for creates without one. */
  defaultAcl: readonly ACL[];
  /** Sends the multi. */
  commit(
    ops: MultiOp[],
    decode: (results: MultiResult[]) => TransactionResult[],
    signal?: AbortSignal,
  ): Promise<TransactionResult[]>;
}

const encoder = new TextEncoder();

function bytes(data: Uint8Array | string | null | undefined): Uint8Array {
  if (data === undefined || data === null) return new Uint8Array(0);
  return typeof data === "string" ? encoder.encode(data) : data;
}

/**
 * A transaction being built. Each method adds an op and returns the
 * transaction, so calls chain; `commit()` sends them all at once.
 *
 * @example
 * ```ts
 * const results = await zk.transaction()
 *   .create("/a", "1")
 *   .setData("/b", "2", { version: 4 })
 *   .delete("/c")
 *   .commit();
 * ```
 */
export class Transaction {
  readonly #context: TransactionContext;
  readonly #ops: MultiOp[] = [];
  readonly #paths: string[] = [];
  #committed = false;

  /** Made by `zk.transaction()`. */
  constructor(context: TransactionContext) {
    this.#context = context;
  }

  /** Number of ops added so far. */
  get size(): number {
    return this.#ops.length;
  }

  #add(op: MultiOp, path: string): this {
    if (this.#committed) throw new BadArgumentsError("transaction already committed");
    this.#ops.push(op);
    this.#paths.push(path);
    return this;
  }

  /** Adds a create. */
  create(
    path: string,
    data?: Uint8Array | string | null,
    options: TransactionCreateOptions = {},
  ): this {
    const server = this.#context.toServer(path, options.sequential ?? false);
    const acl = options.acl ?? this.#context.defaultAcl;
    validateAcl(acl);
    const { ephemeral = false, sequential = false, container = false, ttl } = options;
    let flags = ephemeral ? (sequential ? 3 : 1) : (sequential ? 2 : 0);
    if (container) {
      if (ephemeral || sequential || ttl !== undefined) {
        throw new BadArgumentsError(
          "a container node cannot be ephemeral, sequential or have a TTL",
        );
      }
      return this.#add({
        type: OpCode.createContainer,
        request: { path: server, data: bytes(data), acl: acl as ACL[], flags: 4 },
      }, path);
    }
    if (ttl !== undefined) {
      if (ephemeral) throw new BadArgumentsError("an ephemeral node cannot have a TTL");
      if (!Number.isInteger(ttl) || ttl <= 0 || ttl > 2 ** 40 - 1) {
        throw new BadArgumentsError("ttl must be a positive integer of ms below 2^40");
      }
      flags = sequential ? 6 : 5;
      return this.#add({
        type: OpCode.createTTL,
        request: { path: server, data: bytes(data), acl: acl as ACL[], flags, ttl: BigInt(ttl) },
      }, path);
    }
    return this.#add({
      type: options.includeStat ? OpCode.create2 : OpCode.create,
      request: { path: server, data: bytes(data), acl: acl as ACL[], flags },
    }, path);
  }

  /** Adds a delete (of `version`, or any version). */
  delete(path: string, options: { version?: number } = {}): this {
    const server = this.#context.toServer(path);
    return this.#add({
      type: OpCode.delete,
      request: { path: server, version: options.version ?? -1 },
    }, path);
  }

  /** Adds a data update (of `version`, or any version). */
  setData(
    path: string,
    data: Uint8Array | string | null,
    options: { version?: number } = {},
  ): this {
    const server = this.#context.toServer(path);
    return this.#add({
      type: OpCode.setData,
      request: { path: server, data: bytes(data), version: options.version ?? -1 },
    }, path);
  }

  /** Adds a check that the node is at `version`. */
  check(path: string, version: number): this {
    const server = this.#context.toServer(path);
    if (!Number.isInteger(version)) throw new BadArgumentsError("check needs an integer version");
    return this.#add({ type: OpCode.check, request: { path: server, version } }, path);
  }

  /**
   * Commits: resolves with one result per op, or rejects with
   * {@linkcode TransactionError} (nothing applied) naming the failing op.
   * An empty transaction resolves at once with no results.
   */
  commit(options: CallOptions = {}): Promise<TransactionResult[]> {
    if (this.#committed) {
      return Promise.reject(new BadArgumentsError("transaction already committed"));
    }
    this.#committed = true;
    if (this.#ops.length === 0) return Promise.resolve([]);
    const context = this.#context;
    const paths = this.#paths;
    return context.commit(this.#ops, (results) => {
      const failed = results.some((r) => r.type === OpCode.error && r.err !== 0);
      if (failed) {
        const errors: ZooKeeperError[] = results.map((r, i) => {
          const code = r.type === OpCode.error ? r.err : 0;
          if (code === 0 || code === -2) return new RolledBackError(code, { path: paths[i] });
          return errorFromCode(code, { path: paths[i] });
        });
        throw new TransactionError(errors);
      }
      return results.map((r): TransactionResult => {
        switch (r.type) {
          case OpCode.create:
            return { type: "create", path: context.toClient(r.path) };
          case OpCode.create2:
            return { type: "create", path: context.toClient(r.path), stat: publicStat(r.stat) };
          case OpCode.delete:
            return { type: "delete" };
          case OpCode.setData:
            return { type: "setData", stat: publicStat(r.stat) };
          case OpCode.check:
            return { type: "check" };
          default:
            throw new BadArgumentsError(`unexpected multi result type ${r.type}`);
        }
      });
    }, options.signal);
  }
}
