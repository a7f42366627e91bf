/**
 * The client core: {@linkcode ZooKeeperClientCore}, the whole ZooKeeper API
 * as a thin layer of path validation, chroot mapping and request encoding
 * over the session. It knows no recipe and no runtime: the transport is
 * given to it. `lib/client.ts` adds the runtime's transport, the recipe
 * factories and `connect()`.
 *
 * @module
 */

import {
  BadArgumentsError,
  ClientClosedError,
  ConfigurationError,
  ConnectionLossError,
  errorFromCode,
  NodeExistsError,
  NoNodeError,
  ZooKeeperError,
} from "./errors.ts";
import { ErrorCode } from "./jute/error_codes.ts";
import { OpCode } from "./jute/opcodes.ts";
import type { JuteReader } from "./jute/reader.ts";
import type { JuteWriter } from "./jute/writer.ts";
import {
  readACL,
  readClientInfo,
  writeCheckWatchesRequest,
  writeCreateRequest,
  writeCreateTTLRequest,
  writeDeleteRequest,
  writeExistsRequest,
  writeGetACLRequest,
  writeGetAllChildrenNumberRequest,
  writeGetChildrenRequest,
  writeGetDataRequest,
  writeGetEphemeralsRequest,
  writeReconfigRequest,
  writeSetACLRequest,
  writeSetDataRequest,
  writeSyncRequest,
} from "./jute/records.ts";
import { type MultiOp, readMultiResponse, writeMultiRequest } from "./jute/multi.ts";
import { OPEN_ACL_UNSAFE, validateAcl } from "./acl.ts";
import { Chroot, dirname, joinPath, validatePath } from "./paths.ts";
import { EventQueue } from "./events.ts";
import { type RetryOptions, RetryPolicy } from "./retry.ts";
import { parseConnectionString } from "./session/hosts.ts";
import { sendFourLetterWord } from "./session/four_letter.ts";
import {
  type AuthEntry,
  type Logger,
  type ReconnectOptions,
  type SaslOptions,
  Session,
} from "./session/session.ts";
import { watchType } from "./session/watch_sync.ts";
import type { TlsOptions, Transport } from "./transport/types.ts";
import {
  type ACL,
  type CallOptions,
  type KeeperState,
  type Stat,
  State,
  type WatchedEvent,
  type Watcher,
  type WatchType,
} from "./types.ts";
import { checkVersion, createMode, toBytes, Transaction } from "./transaction.ts";
import { publicStat, readPublicStat } from "./stat.ts";

/** Everything `connect()` and `new ZooKeeperClient()` accept. */
export interface ZooKeeperClientOptions {
  /** `"host:port,host:port/chroot"`: IPv6 in brackets, port 2181 when left out. */
  hosts: string;
  /** Requested session timeout in ms (default 10 000); the server may clamp it. */
  sessionTimeout?: number;
  /** Deadline of one connection attempt in ms (default: session timeout / number of hosts). */
  connectTimeout?: number;
  /** How long `connect()`/`start()` wait for the first session, ms (default 15 000). */
  startTimeout?: number;
  /**
   * Fail a request sent to the server that has had no reply for this many
   * ms with {@linkcode RequestTimeoutError} (Java's
   * `zookeeper.request.timeout`; default 0: no limit, the read timeout still
   * drops a silent connection). The request may still be applied. Checked by
   * the connection's one timer, so it costs nothing per request.
   */
  requestTimeout?: number;
  /**
   * Fail a request that waits this many ms for a session to exist, before
   * the first one or after LOST while no server grants a new one, with
   * {@linkcode ConnectionLossError} (default 15 000, Curator's connection
   * timeout; 0: wait for ever). Requests made while SUSPENDED are bounded by
   * the session instead: they go out on reconnect, or fail at LOST.
   */
  sessionWaitTimeout?: number;
  /** Resume this session instead of opening a new one. */
  sessionId?: bigint;
  /** The password of the session to resume. */
  sessionPassword?: Uint8Array;
  /** Accept read-only servers when no quorum is reachable (default false). */
  readOnly?: boolean;
  /** Shuffle the hosts (default true). */
  randomizeHosts?: boolean;
  /** Credentials sent after every handshake, before any request. */
  auth?: { scheme: string; credential: string | Uint8Array }[];
  /** SASL credentials (DIGEST-MD5). */
  sasl?: SaslOptions;
  /** TLS: `true` for the system roots, or settings. */
  tls?: true | TlsOptions;
  /** ACL for nodes created without one (default {@linkcode OPEN_ACL_UNSAFE}). */
  defaultAcl?: readonly ACL[];
  /** Reconnect pacing (kazoo's `connection_retry`). */
  connectionRetry?: ReconnectOptions;
  /** Default policy of {@linkcode ZooKeeperClientCore.retry} (kazoo's `command_retry`). */
  commandRetry?: RetryOptions;
  /** Where to log (console-like; silent by default). */
  logger?: Logger;
  /** How to open connections (default: the runtime's). */
  transport?: Transport;
  /** Largest request the client sends, bytes (default 0xfffff, ZooKeeper's `jute.maxbuffer`). */
  maxPacketSize?: number;
  /** Largest reply the client accepts, bytes (default 4 × `maxPacketSize`). */
  maxReplySize?: number;
  /**
   * When the recipes' ownership signals (lock and semaphore handles,
   * leadership) abort, unless a recipe overrides it (default `"suspended"`).
   */
  ownershipPolicy?: OwnershipPolicy;
}

/**
 * When an ownership signal aborts (Curator's connection-state error policies):
 * - `"suspended"` (Curator's Standard policy): at SUSPENDED, as soon as the
 *   connection drops, since the session may expire before it comes back and
 *   nobody can tell. Safe: work stops before anyone else can own the thing.
 * - `"lost"` (Curator's SessionConnectionStateErrorPolicy): only at LOST.
 *   Work rides out short blips, but may run on for up to a session timeout
 *   after the server expired the session, while another owner already works.
 */
export type OwnershipPolicy = "suspended" | "lost";

/** Data arguments: bytes, or a string sent as UTF-8. */
export type Data = Uint8Array | string;

/** Options of {@linkcode ZooKeeperClientCore.create}. */
export interface CreateOptions extends CallOptions {
  /** The node's ACL (default: the client's `defaultAcl`). */
  acl?: readonly ACL[];
  /** Delete the node when the session ends. */
  ephemeral?: boolean;
  /** Append a 10-digit sequence number to the name. */
  sequential?: boolean;
  /** A container node: the server deletes it once its last child goes (3.5+). */
  container?: boolean;
  /** Time to live in ms for a persistent node without children (needs `extendedTypesEnabled`). */
  ttl?: number;
  /** Create missing parents (as persistent nodes with the same ACL). */
  makeParents?: boolean;
  /** Resolve with `{path, stat}` instead of the path. */
  includeStat?: boolean;
}

/** A node's data and metadata. */
export interface NodeData {
  /** The data (empty when the node has none). */
  data: Uint8Array;
  /** The metadata. */
  stat: Stat;
}

/** Options of reads that can leave a one-shot watch. */
export interface WatchOptions extends CallOptions {
  /** Called once with the next change of the node (or on session loss/close with `NONE`). */
  watch?: Watcher;
}

/** Options of {@linkcode ZooKeeperClientCore.getChildren}. */
export interface GetChildrenOptions extends WatchOptions {
  /** Resolve with `{children, stat}`. */
  includeStat?: boolean;
}

/** Options of {@linkcode ZooKeeperClientCore.addWatch} and {@linkcode ZooKeeperClientCore.watch}. */
export interface PersistentWatchOptions extends CallOptions {
  /** Watch the whole subtree (persistent recursive), not just the node. */
  recursive?: boolean;
}

/** One read of {@linkcode ZooKeeperClientCore.multiRead}. */
export type ReadOp = { op: "get"; path: string } | { op: "getChildren"; path: string };

/** One outcome of {@linkcode ZooKeeperClientCore.multiRead}: a value or the op's error. */
export type ReadResult = NodeData | string[] | ZooKeeperError;

/** An entry of {@linkcode ZooKeeperClientCore.whoAmI}. */
export interface ClientIdentity {
  /** The auth scheme (`ip`, `digest`, `sasl`, `x509`, `super`). */
  authScheme: string;
  /** The identity under it. */
  user: string;
}

const EMPTY = new Uint8Array(0);
const decoder = new TextDecoder();

const ignore = (): void => {};

/**
 * Data decoded from a reply is a view of the received chunk (up to 64 KiB):
 * hand out a copy when keeping the view would pin a much larger buffer.
 */
function compact(data: Uint8Array | null): Uint8Array {
  if (data === null || data.length === 0) return EMPTY;
  return data.buffer.byteLength > data.length * 2 + 4096 ? data.slice() : data;
}

/** `value`, if it is above zero; a {@linkcode ConfigurationError} otherwise. */
function positive(name: string, value: number): number {
  if (!(value > 0)) throw new ConfigurationError(`${name} must be positive, not ${value}`);
  return value;
}

/** `value`, if it is a finite number of zero or more; a {@linkcode ConfigurationError} otherwise. */
function notNegative(name: string, value: number): number {
  if (!(value >= 0) || !Number.isFinite(value)) {
    throw new ConfigurationError(`${name} must be 0 or more, not ${value}`);
  }
  return value;
}

/** Options of {@linkcode ZooKeeperClientCore}: the client's, with the transport required. */
export type ZooKeeperClientCoreOptions = ZooKeeperClientOptions & { transport: Transport };

/**
 * The ZooKeeper API over one session, with no recipe and no runtime of its
 * own: the transport is given. Recipes take this type, so they work with any
 * client; applications use {@linkcode ZooKeeperClient} (from `connect()`),
 * which is one. Every method returns a promise and takes `{signal}`; paths
 * are the client's (under the chroot, if any).
 *
 * @example
 * ```ts
 * import { ZooKeeperClientCore } from "@zk/client";
 * import type { Transport } from "@zk/client";
 * declare const transport: Transport; // sockets of some other runtime
 * await using zk = new ZooKeeperClientCore({ hosts: "127.0.0.1:2181", transport });
 * await zk.start();
 * await zk.create("/config", "v1");
 * ```
 */
export class ZooKeeperClientCore implements AsyncDisposable {
  readonly #session: Session;
  readonly #chroot: Chroot;
  readonly #defaultAcl: readonly ACL[];
  readonly #commandRetry: RetryPolicy;
  readonly #transport: Transport;
  readonly #tls: TlsOptions | undefined;
  readonly #startTimeout: number;
  #hosts: { host: string; port: number }[];
  readonly #ownershipPolicy: OwnershipPolicy;

  /** Checks the options; nothing is connected until `start()`. */
  constructor(options: ZooKeeperClientCoreOptions) {
    if (options === null || typeof options !== "object") {
      throw new ConfigurationError("options must be an object with `hosts`");
    }
    const parsed = parseConnectionString(options.hosts);
    this.#chroot = new Chroot(parsed.chroot);
    this.#hosts = parsed.hosts;
    const sessionTimeout = positive("sessionTimeout", options.sessionTimeout ?? 10_000);
    const requestTimeout = notNegative("requestTimeout", options.requestTimeout ?? 0);
    const sessionWaitTimeout = notNegative(
      "sessionWaitTimeout",
      options.sessionWaitTimeout ?? 15_000,
    );
    if (options.connectTimeout !== undefined) positive("connectTimeout", options.connectTimeout);
    this.#defaultAcl = options.defaultAcl ?? OPEN_ACL_UNSAFE;
    validateAcl(this.#defaultAcl);
    // Built now so a bad policy fails here, not at the first retry().
    this.#commandRetry = new RetryPolicy(options.commandRetry ?? { maxTries: 5 });
    if (options.transport === undefined) {
      throw new ConfigurationError("the client core needs a `transport`");
    }
    this.#transport = options.transport;
    this.#tls = options.tls === true ? {} : options.tls;
    this.#startTimeout = positive("startTimeout", options.startTimeout ?? 15_000);
    this.#ownershipPolicy = options.ownershipPolicy ?? "suspended";
    if (this.#ownershipPolicy !== "suspended" && this.#ownershipPolicy !== "lost") {
      throw new ConfigurationError(
        `ownershipPolicy must be "suspended" or "lost", not ${String(options.ownershipPolicy)}`,
      );
    }
    const maxPacketSize = positive("maxPacketSize", options.maxPacketSize ?? 0xfffff);
    const maxReplySize = positive("maxReplySize", options.maxReplySize ?? maxPacketSize * 4);
    if (options.sasl && options.sasl.mechanism !== "DIGEST-MD5") {
      throw new ConfigurationError(`unsupported SASL mechanism ${options.sasl.mechanism}`);
    }
    if ((options.sessionId === undefined) !== (options.sessionPassword === undefined)) {
      throw new ConfigurationError("sessionId and sessionPassword go together");
    }
    const auth: AuthEntry[] = (options.auth ?? []).map((a) => {
      if (typeof a?.scheme !== "string" || a.scheme === "") {
        throw new ConfigurationError("auth scheme must be a non-empty string");
      }
      return { scheme: a.scheme, credential: toBytes(a.credential) };
    });
    const chroot = this.#chroot;
    this.#session = new Session({
      hosts: parsed.hosts,
      randomizeHosts: options.randomizeHosts ?? true,
      sessionTimeout,
      connectTimeout: options.connectTimeout,
      sessionId: options.sessionId,
      sessionPassword: options.sessionPassword,
      readOnly: options.readOnly ?? false,
      auth,
      sasl: options.sasl,
      tls: this.#tls,
      transport: this.#transport,
      maxPacketSize,
      maxReplySize,
      reconnect: options.connectionRetry ?? {},
      requestTimeout,
      sessionWaitTimeout,
      toClientPath: (p) => chroot.toClient(p),
      logger: options.logger ?? {},
    });
  }

  // ---- lifecycle and state ------------------------------------------------

  /**
   * Connects; resolves once a session is established. Rejects (and closes
   * the client) when `signal` aborts or after `startTimeout` ms.
   */
  async start(options: CallOptions = {}): Promise<void> {
    const timeout = new AbortController();
    const timer = setTimeout(
      () =>
        timeout.abort(
          new ConnectionLossError(
            `no session with ${this.#describeHosts()} within ${this.#startTimeout} ms` +
              (this.#session.lastError instanceof Error
                ? ` (last error: ${this.#session.lastError.message})`
                : ""),
            { cause: this.#session.lastError },
          ),
        ),
      this.#startTimeout,
    );
    const signal = options.signal
      ? AbortSignal.any([options.signal, timeout.signal])
      : timeout.signal;
    try {
      await this.#session.start(signal);
    } catch (error) {
      await this.#session.close();
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  #describeHosts(): string {
    return this.#hosts.map((h) => `${h.host.includes(":") ? `[${h.host}]` : h.host}:${h.port}`)
      .join(",");
  }

  /** kazoo's connection state: `CONNECTED`, `SUSPENDED` or `LOST`. */
  get state(): State {
    return this.#session.state;
  }
  /** The Java client's state (`CONNECTING`, `CONNECTED`, `CONNECTED_RO`, ...). */
  get keeperState(): KeeperState {
    return this.#session.keeperState;
  }
  /** True while a connection is up (read-write or read-only). */
  get connected(): boolean {
    return this.#session.connectedAddress !== undefined;
  }
  /** True while connected to a read-only server. */
  get readOnly(): boolean {
    return this.#session.readOnly;
  }
  /** The session id (0n before the first session). */
  get sessionId(): bigint {
    return this.#session.sessionId;
  }
  /** The recipes' default {@linkcode OwnershipPolicy} (`"suspended"` unless set). */
  get ownershipPolicy(): OwnershipPolicy {
    return this.#ownershipPolicy;
  }
  /** The session password (to resume the session elsewhere). */
  get sessionPassword(): Uint8Array {
    return this.#session.sessionPassword;
  }
  /** The session timeout the server granted, ms. */
  get negotiatedTimeout(): number {
    return this.#session.negotiatedTimeout;
  }
  /** `host:port` of the server connected to, if any. */
  get connectedAddress(): string | undefined {
    return this.#session.connectedAddress;
  }
  /** The chroot of the connection string (`""` for none). */
  get chroot(): string {
    return this.#chroot.prefix;
  }
  /** The highest zxid seen in a reply. */
  get lastZxid(): bigint {
    return this.#session.lastZxid;
  }

  /** Calls `listener` with every state transition. A throwing listener is logged, not fatal. */
  addListener(listener: (state: State) => void): void {
    this.#session.addListener(listener);
  }
  /** Stops calling `listener`. */
  removeListener(listener: (state: State) => void): void {
    this.#session.removeListener(listener);
  }

  /**
   * State transitions as an async iterable, ending when `signal` aborts or
   * the client closes.
   *
   * @example
   * ```ts
   * import type { ZooKeeperClient } from "@zk/client";
   * declare const zk: ZooKeeperClient;
   * declare const signal: AbortSignal;
   * for await (const state of zk.states({ signal })) console.log(state);
   * ```
   *
   * @example Ended with the scope
   * ```ts
   * import type { ZooKeeperClient } from "@zk/client";
   * declare const zk: ZooKeeperClient;
   * await using states = zk.states();
   * const { value } = await states.next(); // the next transition
   * ```
   */
  states(options: CallOptions = {}): AsyncIterableIterator<State> & AsyncDisposable {
    const signal = options.signal;
    const listener = (state: State) => {
      queue.push(state);
      if (state === State.LOST && this.#session.closed) queue.stop();
    };
    const onAbort = () => queue.stop();
    const queue = new EventQueue<State>(() => {
      this.#session.removeListener(listener);
      signal?.removeEventListener("abort", onAbort);
    });
    if (signal?.aborted || this.#session.closed) queue.stop();
    else {
      this.#session.addListener(listener);
      signal?.addEventListener("abort", onAbort, { once: true });
    }
    return queue;
  }

  /**
   * Replaces the servers this client connects to, keeping its session (the
   * Java client's `updateServerList`), for instance after an ensemble
   * reconfiguration. `hosts` is a connection string; a chroot in it must be
   * the client's own (or left out).
   *
   * To spread clients evenly over the new ensemble, the client may move now:
   * always when its server is no longer listed, and with probability
   * `1 − old/new` when the list grew (ZooKeeper's client rebalancing). A move
   * is a quick reconnect to the chosen server: the state goes `SUSPENDED`
   * then `CONNECTED`, the session and its watches carry over, and requests in
   * flight at that moment fail with {@linkcode ConnectionLossError} (use
   * `retry()` for those that must go through).
   *
   * @returns whether the client is moving to another server.
   * @throws {ConfigurationError} on a bad connection string or another chroot.
   * @throws {ClientClosedError} after `close()`.
   *
   * @example
   * ```ts
   * import type { ZooKeeperClient } from "@zk/client";
   * declare const zk: ZooKeeperClient;
   * zk.updateServerList("zk1:2181,zk2:2181,zk3:2181,zk4:2181,zk5:2181");
   * ```
   */
  updateServerList(hosts: string): boolean {
    if (this.#session.closed) throw new ClientClosedError();
    const parsed = parseConnectionString(hosts);
    if (parsed.chroot !== "" && parsed.chroot !== this.#chroot.prefix) {
      throw new ConfigurationError(
        `the chroot cannot change on a live client (${
          this.#chroot.prefix || "none"
        }, not ${parsed.chroot})`,
      );
    }
    this.#hosts = parsed.hosts;
    return this.#session.updateHosts(parsed.hosts);
  }

  /**
   * Closes the session: ephemeral nodes go at once, pending calls fail with
   * {@linkcode ClientClosedError}, watches end. Idempotent.
   */
  close(): Promise<void> {
    return this.#session.close();
  }

  /** `await using zk = await connect(...)` closes the client at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // ---- paths --------------------------------------------------------------

  #server(path: string, sequential = false): string {
    validatePath(path, sequential);
    return this.#chroot.toServer(path);
  }

  #fail(err: number, path: string): never {
    throw errorFromCode(err, { path });
  }

  /**
   * The common request: `encode`, then on success `read` the reply body; a
   * server error becomes the matching {@linkcode ZooKeeperError} about the
   * client's `path`.
   */
  #request<T>(
    type: number,
    encode: (w: JuteWriter) => void,
    path: string,
    signal: AbortSignal | undefined,
    read: (r: JuteReader) => T,
  ): Promise<T> {
    return this.#session.submit(type, encode, (err, r) => {
      if (err !== 0) this.#fail(err, path);
      return read(r);
    }, { signal, path });
  }

  // ---- CRUD ---------------------------------------------------------------

  /**
   * Creates a node and resolves with its path (the actual name for a
   * sequential node), or `{path, stat}` with `includeStat`.
   *
   * @example
   * ```ts
   * import type { ZooKeeperClient } from "@zk/client";
   * declare const zk: ZooKeeperClient;
   * const path = await zk.create("/jobs/job-", "payload", { sequential: true, ephemeral: true });
   * ```
   */
  create(
    path: string,
    data?: Data | null,
    options?: CreateOptions & { includeStat?: false },
  ): Promise<string>;
  /** Creates a node and resolves with its path and metadata. */
  create(
    path: string,
    data: Data | null | undefined,
    options: CreateOptions & { includeStat: true },
  ): Promise<{ path: string; stat: Stat }>;
  /** Creates a node. */
  create(
    path: string,
    data?: Data | null,
    options?: CreateOptions,
  ): Promise<string | { path: string; stat: Stat }>;
  async create(
    path: string,
    data?: Data | null,
    options: CreateOptions = {},
  ): Promise<string | { path: string; stat: Stat }> {
    const serverPath = this.#server(path, options.sequential ?? false);
    const bytes = toBytes(data);
    // The default ACL was checked by the constructor.
    if (options.acl !== undefined) validateAcl(options.acl);
    const acl = (options.acl ?? this.#defaultAcl) as ACL[];
    const { type, flags, ttl } = createMode(options);
    const includeStat = options.includeStat ?? false;
    const request = () =>
      this.#request(
        type,
        (w) => {
          if (type === OpCode.createTTL) {
            writeCreateTTLRequest(w, { path: serverPath, data: bytes, acl, flags, ttl });
          } else {
            writeCreateRequest(w, { path: serverPath, data: bytes, acl, flags });
          }
        },
        path,
        options.signal,
        (r) => {
          // With includeStat, createMode picked an opcode whose reply carries the Stat.
          const created = this.#chroot.toClient(r.string() ?? "");
          return includeStat ? { path: created, stat: readPublicStat(r) } : created;
        },
      );
    try {
      return await request();
    } catch (error) {
      if (!(error instanceof NoNodeError) || !options.makeParents) throw error;
      const parent = dirname(path);
      if (parent !== "/") await this.ensurePath(parent, { acl, signal: options.signal });
      return await request();
    }
  }

  /**
   * Creates `path` and any missing parents as persistent nodes; an existing
   * node is fine.
   */
  async ensurePath(
    path: string,
    options: CallOptions & { acl?: readonly ACL[] } = {},
  ): Promise<void> {
    // create() validates the path.
    if (path === "/") return;
    try {
      await this.create(path, null, { acl: options.acl, signal: options.signal });
    } catch (error) {
      if (error instanceof NodeExistsError) return;
      if (!(error instanceof NoNodeError)) throw error;
      await this.ensurePath(dirname(path), options);
      try {
        await this.create(path, null, { acl: options.acl, signal: options.signal });
      } catch (again) {
        if (!(again instanceof NodeExistsError)) throw again;
      }
    }
  }

  /**
   * The node's metadata, or `null` if it does not exist. A `watch` fires
   * when it is created, changed or deleted.
   */
  async exists(path: string, options: WatchOptions = {}): Promise<Stat | null> {
    const serverPath = this.#server(path);
    const watch = options.watch;
    return this.#session.submit(
      OpCode.exists,
      (w) => writeExistsRequest(w, { path: serverPath, watch: watch !== undefined }),
      (err, r) => {
        if (err === ErrorCode.NO_NODE) {
          if (watch) this.#session.watches.add("exist", serverPath, watch);
          return null;
        }
        if (err !== 0) this.#fail(err, path);
        const stat = readPublicStat(r);
        if (watch) this.#session.watches.add("data", serverPath, watch);
        return stat;
      },
      {
        signal: options.signal,
        path,
        ...this.#session.watchSync.forRead(watch, serverPath, "exist"),
      },
    );
  }

  /** The node's data and metadata. A `watch` fires when it changes or is deleted. */
  get(path: string, options: WatchOptions = {}): Promise<NodeData> {
    // Not `async`: the hot path of most applications, where a promise
    // wrapping the session's own costs an allocation and three extra ticks.
    let serverPath: string;
    try {
      serverPath = this.#server(path);
    } catch (error) {
      return Promise.reject(error);
    }
    const watch = options.watch;
    if (watch === undefined) {
      return this.#session.submit(
        OpCode.getData,
        (w) => writeGetDataRequest(w, { path: serverPath, watch: false }),
        (err, r) => {
          if (err !== 0) this.#fail(err, path);
          return { data: compact(r.buffer()), stat: readPublicStat(r) };
        },
        { signal: options.signal, path },
      );
    }
    return this.#session.submit(
      OpCode.getData,
      (w) => writeGetDataRequest(w, { path: serverPath, watch: true }),
      (err, r) => {
        if (err !== 0) this.#fail(err, path);
        const data = compact(r.buffer());
        const stat = readPublicStat(r);
        this.#session.watches.add("data", serverPath, watch);
        return { data, stat };
      },
      {
        signal: options.signal,
        path,
        ...this.#session.watchSync.forRead(watch, serverPath, "data"),
      },
    );
  }

  /**
   * The node's children (names, unsorted), or `{children, stat}` with
   * `includeStat`. A `watch` fires when a child is added or removed, or the
   * node is deleted.
   */
  getChildren(
    path: string,
    options?: GetChildrenOptions & { includeStat?: false },
  ): Promise<string[]>;
  /** The node's children and its metadata. */
  getChildren(
    path: string,
    options: GetChildrenOptions & { includeStat: true },
  ): Promise<{ children: string[]; stat: Stat }>;
  /** The node's children. */
  getChildren(
    path: string,
    options?: GetChildrenOptions,
  ): Promise<string[] | { children: string[]; stat: Stat }>;
  async getChildren(
    path: string,
    options: GetChildrenOptions = {},
  ): Promise<string[] | { children: string[]; stat: Stat }> {
    const serverPath = this.#server(path);
    const watch = options.watch;
    const includeStat = options.includeStat ?? false;
    return this.#session.submit(
      includeStat ? OpCode.getChildren2 : OpCode.getChildren,
      (w) => writeGetChildrenRequest(w, { path: serverPath, watch: watch !== undefined }),
      (err, r) => {
        if (err !== 0) this.#fail(err, path);
        const children = r.stringVector() ?? [];
        const stat = includeStat ? readPublicStat(r) : undefined;
        if (watch) this.#session.watches.add("child", serverPath, watch);
        return stat ? { children, stat } : children;
      },
      {
        signal: options.signal,
        path,
        ...this.#session.watchSync.forRead(watch, serverPath, "child"),
      },
    );
  }

  /** Replaces the node's data; with `version`, only if it is still that version. */
  async set(
    path: string,
    data: Data | null,
    options: CallOptions & { version?: number } = {},
  ): Promise<Stat> {
    const serverPath = this.#server(path);
    const bytes = toBytes(data);
    const version = checkVersion(options.version);
    return this.#request(
      OpCode.setData,
      (w) => writeSetDataRequest(w, { path: serverPath, data: bytes, version }),
      path,
      options.signal,
      readPublicStat,
    );
  }

  /**
   * Deletes the node; with `version`, only if it is still that version; with
   * `recursive`, its whole subtree first (children missing by then are fine).
   */
  async delete(
    path: string,
    options: CallOptions & { version?: number; recursive?: boolean } = {},
  ): Promise<void> {
    const serverPath = this.#server(path);
    const version = checkVersion(options.version);
    if (options.recursive) {
      let children: string[];
      try {
        children = await this.getChildren(path, { signal: options.signal });
      } catch (error) {
        if (error instanceof NoNodeError) return;
        throw error;
      }
      await Promise.all(children.map(async (child) => {
        try {
          await this.delete(joinPath(path, child), { recursive: true, signal: options.signal });
        } catch (error) {
          if (!(error instanceof NoNodeError)) throw error;
        }
      }));
      if (path === "/") return;
    }
    // delete("/") goes out as "/" even under a chroot, so it fails as it would without one.
    const target = path === "/" ? "/" : serverPath;
    await this.#request(
      OpCode.delete,
      (w) => writeDeleteRequest(w, { path: target, version }),
      path,
      options.signal,
      ignore,
    );
  }

  /** Waits until the connected server has caught up with the leader for `path`. */
  async sync(path: string, options: CallOptions = {}): Promise<void> {
    const serverPath = this.#server(path);
    return this.#request(
      OpCode.sync,
      (w) => writeSyncRequest(w, { path: serverPath }),
      path,
      options.signal,
      ignore,
    );
  }

  /** The node's ACL and metadata. */
  async getACL(path: string, options: CallOptions = {}): Promise<{ acl: ACL[]; stat: Stat }> {
    const serverPath = this.#server(path);
    return this.#request(
      OpCode.getACL,
      (w) => writeGetACLRequest(w, { path: serverPath }),
      path,
      options.signal,
      (r) => {
        const acl = r.vector(readACL, 12) ?? [];
        return { acl, stat: readPublicStat(r) };
      },
    );
  }

  /** Replaces the node's ACL; with `version`, only if its ACL version still matches. */
  async setACL(
    path: string,
    acl: readonly ACL[],
    options: CallOptions & { version?: number } = {},
  ): Promise<Stat> {
    const serverPath = this.#server(path);
    validateAcl(acl);
    const version = checkVersion(options.version);
    return this.#request(
      OpCode.setACL,
      (w) => writeSetACLRequest(w, { path: serverPath, acl: acl as ACL[], version }),
      path,
      options.signal,
      readPublicStat,
    );
  }

  /**
   * Adds a credential to the session (for example `digest`, `"user:password"`);
   * it is replayed on every reconnect.
   */
  addAuth(scheme: string, credential: Data, options: CallOptions = {}): Promise<void> {
    if (typeof scheme !== "string" || scheme === "") {
      return Promise.reject(new BadArgumentsError("auth scheme must be a non-empty string"));
    }
    return this.#session.addAuth({ scheme, credential: toBytes(credential) }, options.signal);
  }

  // ---- transactions -------------------------------------------------------

  /**
   * Starts a transaction: ops added to it are committed atomically.
   *
   * @example
   * ```ts
   * import type { ZooKeeperClient } from "@zk/client";
   * declare const zk: ZooKeeperClient;
   * const [, created] = await zk.transaction() // one result per op, in order
   *   .check("/config", 3)
   *   .create("/config/new", "x")
   *   .commit();
   * ```
   */
  transaction(): Transaction {
    return new Transaction({
      toServer: (path, sequential) => this.#server(path, sequential),
      toClient: (path) => this.#chroot.toClient(path),
      defaultAcl: this.#defaultAcl,
      commit: (ops, decode, signal) =>
        this.#session.submit(
          OpCode.multi,
          (w) => writeMultiRequest(w, ops),
          (err, r) => {
            if (err !== 0) this.#fail(err, "/");
            return decode(readMultiResponse(r));
          },
          { signal },
        ),
    });
  }

  /**
   * Reads several nodes in one round trip, atomically (ZooKeeper 3.6+): one
   * value or error per op, in order.
   */
  async multiRead(ops: readonly ReadOp[], options: CallOptions = {}): Promise<ReadResult[]> {
    const multiOps: MultiOp[] = ops.map((op) => {
      const path = this.#server(op.path);
      if (op.op === "get") return { type: OpCode.getData, request: { path, watch: false } };
      if (op.op === "getChildren") {
        return { type: OpCode.getChildren, request: { path, watch: false } };
      }
      throw new BadArgumentsError(`unknown read op ${(op as { op: string }).op}`);
    });
    if (multiOps.length === 0) return [];
    return this.#session.submit(
      OpCode.multiRead,
      (w) => writeMultiRequest(w, multiOps),
      (err, r) => {
        if (err !== 0) this.#fail(err, "/");
        return readMultiResponse(r).map((result, i): ReadResult => {
          switch (result.type) {
            case OpCode.getData:
              return { data: compact(result.data), stat: publicStat(result.stat) };
            case OpCode.getChildren:
              return result.children ?? [];
            case OpCode.error:
              return errorFromCode(result.err, { path: ops[i]?.path });
            default:
              throw new BadArgumentsError(`unexpected multiRead result type ${result.type}`);
          }
        });
      },
      { signal: options.signal },
    );
  }

  // ---- persistent watches -------------------------------------------------

  /**
   * Adds a persistent watch (ZooKeeper 3.6+): `listener` gets every change of
   * the node (or of its subtree with `recursive`) until removed with
   * {@linkcode removeWatches}. It also gets a `NONE` event on every
   * disconnect and reconnect, since changes may have been missed in between.
   */
  async addWatch(
    path: string,
    listener: Watcher,
    options: PersistentWatchOptions = {},
  ): Promise<void> {
    const kind = options.recursive ? "recursive" : "persistent";
    await this.#session.watchSync.addPersistent(
      this.#server(path),
      path,
      kind,
      listener,
      options.signal,
    );
  }

  /**
   * A persistent watch as an async iterable of events, ending when `signal`
   * aborts, the loop breaks, or the client closes. The server watch is
   * removed when the last watcher of the path goes.
   *
   * @example
   * ```ts
   * import type { ZooKeeperClient } from "@zk/client";
   * declare const zk: ZooKeeperClient;
   * declare const signal: AbortSignal;
   * for await (const event of zk.watch("/app", { recursive: true, signal })) {
   *   console.log(event.type, event.path);
   * }
   * ```
   *
   * @example Ended, and its server watch removed, with the scope
   * ```ts
   * import type { ZooKeeperClient } from "@zk/client";
   * declare const zk: ZooKeeperClient;
   * await using events = zk.watch("/app/config");
   * const { value } = await events.next(); // the next change
   * ```
   */
  watch(
    path: string,
    options: PersistentWatchOptions = {},
  ): AsyncIterableIterator<WatchedEvent> & AsyncDisposable {
    const serverPath = this.#server(path);
    const signal = options.signal;
    const kind = options.recursive ? "recursive" : "persistent";
    const sync = this.#session.watchSync;
    const listener: Watcher = (event) => {
      queue.push(event);
      if (event.type === "NONE" && event.state === "CLOSED") queue.stop();
    };
    const onAbort = () => queue.stop();
    let added = false;
    const queue = new EventQueue<WatchedEvent>(() => {
      signal?.removeEventListener("abort", onAbort);
      if (!added) return;
      sync.releasePersistent(serverPath, kind, listener).catch(ignore);
    });
    if (signal?.aborted) {
      queue.stop();
      return queue;
    }
    signal?.addEventListener("abort", onAbort, { once: true });
    sync.addPersistent(serverPath, path, kind, listener, signal).then(
      () => {
        added = true;
        if (queue.stopped) sync.releasePersistent(serverPath, kind, listener).catch(ignore);
      },
      (error) => queue.stop(signal?.aborted ? undefined : error),
    );
    return queue;
  }

  /**
   * Removes watches of `type` (default `any`) on `path`: one `watcher`, or
   * all of them. The server's watch goes when no local watcher of that type
   * is left. With `local`, only the local watchers are removed (works while
   * disconnected). Fails with {@linkcode NoWatcherError} when there is none.
   */
  async removeWatches(
    path: string,
    options: CallOptions & { type?: WatchType; watcher?: Watcher; local?: boolean } = {},
  ): Promise<void> {
    await this.#session.watchSync.remove(this.#server(path), path, options);
  }

  /**
   * Checks that the server holds a watch of `type` on `path` for this
   * session; fails with {@linkcode NoWatcherError} when it does not.
   */
  async checkWatches(
    path: string,
    options: CallOptions & { type?: WatchType } = {},
  ): Promise<void> {
    const serverPath = this.#server(path);
    const { code } = watchType(options.type ?? "any");
    return this.#request(
      OpCode.checkWatches,
      (w) => writeCheckWatchesRequest(w, { path: serverPath, type: code }),
      path,
      options.signal,
      ignore,
    );
  }

  // ---- 3.6+ server ops ----------------------------------------------------

  /** Paths of this session's ephemeral nodes, optionally only those under `prefix`. */
  async getEphemerals(prefix = "/", options: CallOptions = {}): Promise<string[]> {
    if (typeof prefix !== "string" || !prefix.startsWith("/")) {
      throw new BadArgumentsError(`prefix must start with / (got ${prefix})`);
    }
    const chroot = this.#chroot.prefix;
    const serverPrefix = chroot === "" ? prefix : prefix === "/" ? chroot + "/" : chroot + prefix;
    return this.#request(
      OpCode.getEphemerals,
      (w) => writeGetEphemeralsRequest(w, { prefixPath: serverPrefix }),
      prefix,
      options.signal,
      (r) => (r.stringVector() ?? []).map((p) => this.#chroot.toClient(p)),
    );
  }

  /** How many nodes are below `path` (all levels). */
  async getAllChildrenNumber(path: string, options: CallOptions = {}): Promise<number> {
    const serverPath = this.#server(path);
    return this.#request(
      OpCode.getAllChildrenNumber,
      (w) => writeGetAllChildrenNumberRequest(w, { path: serverPath }),
      path,
      options.signal,
      (r) => r.int(),
    );
  }

  /** The identities the server associates with this session. */
  async whoAmI(options: CallOptions = {}): Promise<ClientIdentity[]> {
    return this.#session.submit(
      OpCode.whoAmI,
      undefined,
      (err, r) => {
        if (err !== 0) this.#fail(err, "/");
        const infos = r.vector(readClientInfo, 8) ?? [];
        return infos.map((i) => ({ authScheme: i.authScheme ?? "", user: i.user ?? "" }));
      },
      { signal: options.signal },
    );
  }

  /**
   * The ensemble's dynamic configuration (`/zookeeper/config`, never under
   * the chroot) as text, and its metadata.
   */
  async getConfig(options: WatchOptions = {}): Promise<{ config: string; stat: Stat }> {
    const watch = options.watch;
    const serverPath = "/zookeeper/config";
    return this.#session.submit(
      OpCode.getData,
      (w) => writeGetDataRequest(w, { path: serverPath, watch: watch !== undefined }),
      (err, r) => {
        if (err !== 0) this.#fail(err, serverPath);
        const data = r.buffer() ?? EMPTY;
        const stat = readPublicStat(r);
        if (watch) this.#session.watches.add("data", serverPath, watch);
        return { config: decoder.decode(data), stat };
      },
      { signal: options.signal, path: serverPath },
    );
  }

  /**
   * Changes the ensemble (needs `reconfigEnabled` and a super user):
   * incremental with `joining`/`leaving`, or a whole `newMembers` list.
   * `fromConfig` makes it conditional on the current config version.
   */
  async reconfig(
    options: CallOptions & {
      joining?: string | string[];
      leaving?: string | string[];
      newMembers?: string | string[];
      fromConfig?: bigint;
    },
  ): Promise<{ config: string; stat: Stat }> {
    const list = (v: string | string[] | undefined) =>
      v === undefined ? null : Array.isArray(v) ? v.join(",") : v;
    const request = {
      joiningServers: list(options.joining),
      leavingServers: list(options.leaving),
      newMembers: list(options.newMembers),
      curConfigId: options.fromConfig ?? -1n,
    };
    if (
      request.newMembers !== null && (request.joiningServers ?? request.leavingServers) !== null
    ) {
      throw new BadArgumentsError("reconfig takes either newMembers or joining/leaving");
    }
    return this.#session.submit(
      OpCode.reconfig,
      (w) => writeReconfigRequest(w, request),
      (err, r) => {
        if (err !== 0) this.#fail(err, "/zookeeper/config");
        const data = r.buffer() ?? EMPTY;
        return { config: decoder.decode(data), stat: readPublicStat(r) };
      },
      { signal: options.signal },
    );
  }

  // ---- four-letter words --------------------------------------------------

  /**
   * Sends a four-letter word (`srvr`, `stat`, `mntr`, `ruok`, ...) to the
   * server the client is connected to (or the first host), over TLS when
   * the client uses TLS, and returns the answer.
   */
  async command(word: string, options: CallOptions = {}): Promise<string> {
    const address = this.#session.connectedAddress;
    let host = this.#hosts[0].host;
    let port = this.#hosts[0].port;
    if (address) {
      const i = address.lastIndexOf(":");
      host = address.slice(0, i).replace(/^\[|\]$/g, "");
      port = Number(address.slice(i + 1));
    }
    return sendFourLetterWord(this.#transport, host, port, word, {
      tls: this.#tls,
      signal: options.signal,
    });
  }

  /** The version of the server connected to, such as `"3.8.0"`. */
  async serverVersion(options: CallOptions = {}): Promise<string> {
    const answer = await this.command("srvr", options);
    const match = /version: ([0-9][^\s,-]*)/i.exec(answer);
    if (!match) throw new ZooKeeperError(ErrorCode.API_ERROR, `no version in "srvr" answer`);
    return match[1];
  }

  // ---- retry --------------------------------------------------------------

  /**
   * Runs `fn`, retrying it on connection loss (and session expiry unless
   * `ignoreExpire: false`) with backoff, as kazoo's `client.retry`.
   *
   * @example
   * ```ts
   * import type { ZooKeeperClient } from "@zk/client";
   * declare const zk: ZooKeeperClient;
   * const value = await zk.retry(() => zk.get("/config"));
   * ```
   */
  retry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
    return this.#commandRetry.copy(options).run(fn, { signal: options.signal });
  }
}
