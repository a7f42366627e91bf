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
import { ErrorCode } from "./jute/error_codes.ts";
import { CreateFlags, OpCode } from "./jute/opcodes.ts";
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

// The argument checks below are shared by the client's own create/set/delete
// and by the ops of a transaction, so both refuse the same input the same way.

const EMPTY = new Uint8Array(0);
const encoder = new TextEncoder();

/** Node data as bytes: a string is UTF-8 encoded, `null`/`undefined` is empty. */
export function toBytes(data: Uint8Array | string | null | undefined): Uint8Array {
  if (data === undefined || data === null) return EMPTY;
  if (typeof data === "string") return encoder.encode(data);
  if (data instanceof Uint8Array) return data;
  throw new BadArgumentsError("data must be a Uint8Array or a string");
}

/** An expected version (-1, "any", when left out) that fits jute's `int`. */
export function checkVersion(version: number | undefined): number {
  if (version === undefined) return -1;
  if (!Number.isInteger(version) || version < -1 || version > 0x7fffffff) {
    throw new BadArgumentsError(`bad version ${version}`);
  }
  return version;
}

/** The TTL limit of ZooKeeper's `EphemeralType.TTL` (2^40 - 1 ms). */
const MAX_TTL = 2 ** 40 - 1;

/** The create opcodes {@linkcode createMode} picks from. */
type CreateOpCode =
  | typeof OpCode.create
  | typeof OpCode.create2
  | typeof OpCode.createContainer
  | typeof OpCode.createTTL;

/**
 * The opcode, flags and TTL for a create with these options. `includeStat`
 * turns a plain `create` into `create2`; the container and TTL opcodes
 * always answer with the Stat.
 */
export function createMode(
  options: {
    ephemeral?: boolean;
    sequential?: boolean;
    container?: boolean;
    ttl?: number;
    includeStat?: boolean;
  },
): { type: CreateOpCode; flags: number; ttl: bigint } {
  const { ephemeral = false, sequential = false, container = false, ttl } = options;
  if (container) {
    if (ephemeral || sequential || ttl !== undefined) {
      throw new BadArgumentsError("a container node cannot be ephemeral, sequential or have a TTL");
    }
    return { type: OpCode.createContainer, flags: CreateFlags.CONTAINER, ttl: -1n };
  }
  if (ttl !== undefined) {
    if (ephemeral) throw new BadArgumentsError("an ephemeral node cannot have a TTL");
    if (!Number.isInteger(ttl) || ttl <= 0 || ttl > MAX_TTL) {
      throw new BadArgumentsError(`ttl must be an integer in 1..${MAX_TTL} ms`);
    }
    return {
      type: OpCode.createTTL,
      flags: sequential
        ? CreateFlags.PERSISTENT_SEQUENTIAL_WITH_TTL
        : CreateFlags.PERSISTENT_WITH_TTL,
      ttl: BigInt(ttl),
    };
  }
  const flags = ephemeral
    ? (sequential ? CreateFlags.EPHEMERAL_SEQUENTIAL : CreateFlags.EPHEMERAL)
    : (sequential ? CreateFlags.PERSISTENT_SEQUENTIAL : CreateFlags.PERSISTENT);
  return { type: options.includeStat ? OpCode.create2 : OpCode.create, flags, ttl: -1n };
}

/**
 * A transaction being built. Each method adds an op and returns the
 * transaction, so calls chain; `commit()` sends them all at once.
 *
 * @example
 * ```ts
 * import type { ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
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
    const { type, flags, ttl } = createMode(options);
    const request = { path: server, data: toBytes(data), acl: acl as ACL[], flags };
    if (type === OpCode.createTTL) {
      return this.#add({ type, request: { ...request, ttl } }, path);
    }
    return this.#add({ type, request }, path);
  }

  /** Adds a delete (of `version`, or any version). */
  delete(path: string, options: { version?: number } = {}): this {
    const server = this.#context.toServer(path);
    return this.#add({
      type: OpCode.delete,
      request: { path: server, version: checkVersion(options.version) },
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
      request: { path: server, data: toBytes(data), version: checkVersion(options.version) },
    }, path);
  }

  /** Adds a check that the node is at `version`. */
  check(path: string, version: number): this {
    const server = this.#context.toServer(path);
    if (!Number.isInteger(version)) throw new BadArgumentsError("check needs an integer version");
    return this.#add(
      { type: OpCode.check, request: { path: server, version: checkVersion(version) } },
      path,
    );
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
          if (code === 0 || code === ErrorCode.RUNTIME_INCONSISTENCY) {
            return new RolledBackError(code, { path: paths[i] });
          }
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
