/**
 * Keeps the server's watch tables in step with the client's
 * {@linkcode WatchRegistry}: what a watch-setting request leaves behind when
 * its caller gives up, when the server's watch may go (no local watcher and
 * no request setting one is left), and how a persistent watch is removed
 * from servers that cannot remove it by type (before 3.9).
 *
 * @module
 */

import { BadArgumentsError, errorFromCode, MarshallingError, NoWatcherError } from "../errors.ts";
import { ErrorCode } from "../jute/error_codes.ts";
import { AddWatchMode, OpCode, WatcherType as WireWatcherType } from "../jute/opcodes.ts";
import type { JuteWriter } from "../jute/writer.ts";
import {
  writeAddWatchRequest,
  writeExistsRequest,
  writeGetChildrenRequest,
  writeRemoveWatchesRequest,
} from "../jute/records.ts";
import type { Watcher, WatchType } from "../types.ts";
import type { ReplyDecoder, SubmitOptions } from "./session.ts";
import type { WatchKind, WatchRegistry } from "./watches.ts";

/** How requests reach the server: the session's `submit`. */
export type Submit = <T>(
  type: number,
  encode: ((w: JuteWriter) => void) | undefined,
  decode: ReplyDecoder<T>,
  options?: SubmitOptions,
) => Promise<T>;

// 3.6+ adds the persistent kinds to WatcherType.
const WatcherType = { ...WireWatcherType, Persistent: 4, PersistentRecursive: 5 } as const;

/** Per {@linkcode WatchType}: the local watch kinds it covers and the server's `WatcherType`. */
const WATCH_TYPES: Readonly<Record<WatchType, { kinds: readonly WatchKind[]; code: number }>> = {
  data: { kinds: ["data", "exist"], code: WatcherType.Data },
  children: { kinds: ["child"], code: WatcherType.Children },
  any: { kinds: ["data", "exist", "child", "persistent", "recursive"], code: WatcherType.Any },
  persistent: { kinds: ["persistent"], code: WatcherType.Persistent },
  persistentRecursive: { kinds: ["recursive"], code: WatcherType.PersistentRecursive },
};

/** The local kinds and the server's code of a {@linkcode WatchType}; a typed error for others. */
export function watchType(type: WatchType): { kinds: readonly WatchKind[]; code: number } {
  if (!Object.hasOwn(WATCH_TYPES, type)) throw new BadArgumentsError(`unknown watch type ${type}`);
  return WATCH_TYPES[type];
}

const PERSISTENT = { mode: AddWatchMode.PERSISTENT, type: WatcherType.Persistent } as const;
const RECURSIVE = {
  mode: AddWatchMode.PERSISTENT_RECURSIVE,
  type: WatcherType.PersistentRecursive,
} as const;

/** What a persistent watch of `kind` is called in `addWatch` and `removeWatches`. */
export function persistentMode(kind: WatchKind): { mode: number; type: number } {
  return kind === "recursive" ? RECURSIVE : PERSISTENT;
}

const ignore = (): void => {};

/** Options of {@linkcode WatchSync.remove}. */
export interface RemoveWatchesOptions {
  /** Which watches (default `any`). */
  type?: WatchType;
  /** Only this watcher (the server's watch goes when no other needs it). */
  watcher?: Watcher;
  /** Only the local watchers: no request. */
  local?: boolean;
  /** Gives up waiting for the server. */
  signal?: AbortSignal;
}

/** The server side of the client's watches. */
export class WatchSync {
  readonly #registry: WatchRegistry;
  readonly #submit: Submit;
  readonly #closed: () => boolean;
  /** Learned from the server: only `WatcherType.Any` removes a persistent watch (before 3.9). */
  #anyRemovesPersistent = false;

  /** `submit` sends requests; `closed` tells whether the client is closed. */
  constructor(registry: WatchRegistry, submit: Submit, closed: () => boolean) {
    this.#registry = registry;
    this.#submit = submit;
    this.#closed = closed;
  }

  /**
   * The bookkeeping of a watch-setting read: the registry counts it as in
   * flight until it is answered (so nobody removes the server's watch from
   * under it), and if its caller gave up after it was sent and the server
   * set the watch anyway, the watch is taken off again, unless another
   * watcher of this client needs it. `kind` is what the read would register;
   * only `exists` sets a watch on a missing node.
   */
  forRead(
    watch: Watcher | undefined,
    serverPath: string,
    kind: "data" | "exist" | "child",
  ): Pick<SubmitOptions, "abandoned" | "finished"> {
    if (watch === undefined) return {};
    const registry = this.#registry;
    const code = kind === "child" ? WATCH_TYPES.children.code : WATCH_TYPES.data.code;
    return {
      finished: registry.expect(kind, serverPath),
      abandoned: (err) => {
        if (err !== 0 && !(kind === "exist" && err === ErrorCode.NO_NODE)) return;
        if (registry.wanted(kind, serverPath)) return;
        this.#removeRequest(serverPath, code, serverPath).catch(ignore);
      },
    };
  }

  /**
   * Adds a persistent watch on the server and registers `listener` once it
   * is set. Given up after it was sent, the server's watch is removed when
   * the reply comes, unless another watcher needs it: it would otherwise
   * push events to nobody until the next reconnect.
   */
  addPersistent(
    serverPath: string,
    path: string,
    kind: "persistent" | "recursive",
    listener: Watcher,
    signal?: AbortSignal,
  ): Promise<void> {
    const registry = this.#registry;
    return this.#submit(
      OpCode.addWatch,
      (w) => writeAddWatchRequest(w, { path: serverPath, mode: persistentMode(kind).mode }),
      (err) => {
        if (err !== 0 && err !== ErrorCode.NO_NODE) throw errorFromCode(err, { path });
        registry.add(kind, serverPath, listener);
      },
      {
        signal,
        path,
        finished: registry.expect(kind, serverPath),
        abandoned: (err) => {
          if ((err !== 0 && err !== ErrorCode.NO_NODE) || registry.wanted(kind, serverPath)) return;
          if (this.#closed()) return;
          this.#send(serverPath, persistentMode(kind).type, serverPath).catch(ignore);
        },
      },
    );
  }

  /** Forgets `listener`; the server's watch goes when nobody else needs it. */
  async releasePersistent(
    serverPath: string,
    kind: "persistent" | "recursive",
    listener: Watcher,
  ): Promise<void> {
    const registry = this.#registry;
    registry.remove(kind, serverPath, listener);
    if (registry.wanted(kind, serverPath) || this.#closed()) return;
    await this.#send(serverPath, persistentMode(kind).type, serverPath).catch((error) => {
      if (!(error instanceof NoWatcherError)) throw error;
    });
  }

  /**
   * `removeWatches`: one watcher (the server's watch goes when no other
   * watcher and no read setting one needs it), or all of them; with `local`,
   * only the client's table. Fails with {@linkcode NoWatcherError} when
   * there is none.
   */
  async remove(serverPath: string, path: string, options: RemoveWatchesOptions): Promise<void> {
    const { kinds, code } = watchType(options.type ?? "any");
    const registry = this.#registry;
    const count = () => kinds.reduce((n, k) => n + registry.count(k, serverPath), 0);
    if (options.watcher !== undefined) {
      let removed = 0;
      for (const k of kinds) removed += registry.remove(k, serverPath, options.watcher);
      if (removed === 0) throw new NoWatcherError(undefined, { path });
      // Another watcher, or a read setting one right now, still needs the server's watch.
      if (options.local || kinds.some((k) => registry.wanted(k, serverPath))) return;
    } else if (options.local) {
      if (count() === 0) throw new NoWatcherError(undefined, { path });
      for (const k of kinds) registry.remove(k, serverPath);
      return;
    }
    await this.#send(serverPath, code, path, options.signal);
    if (options.watcher === undefined) { for (const k of kinds) registry.remove(k, serverPath); }
  }

  async #send(serverPath: string, type: number, path: string, signal?: AbortSignal): Promise<void> {
    const persistentType = type === WatcherType.Persistent ||
      type === WatcherType.PersistentRecursive;
    if (!persistentType || !this.#anyRemovesPersistent) {
      try {
        return await this.#removeRequest(serverPath, type, path, signal);
      } catch (error) {
        // Servers before 3.9 know only Children, Data and Any.
        if (!persistentType || !(error instanceof MarshallingError)) throw error;
        this.#anyRemovesPersistent = true;
      }
    }
    await this.#removeRequest(serverPath, WatcherType.Any, path, signal);
    await this.#rearm(
      serverPath,
      type === WatcherType.Persistent ? "persistent" : "recursive",
      signal,
    );
  }

  /**
   * After a `WatcherType.Any` removal (the only way to drop a persistent
   * watch before 3.9) the server forgot every watch on the path: set again
   * the ones this client still holds.
   */
  async #rearm(serverPath: string, removed: WatchKind, signal?: AbortSignal): Promise<void> {
    const registry = this.#registry;
    const pending: Promise<unknown>[] = [];
    const other: WatchKind = removed === "persistent" ? "recursive" : "persistent";
    if (registry.count(other, serverPath) > 0) {
      pending.push(this.#submit(
        OpCode.addWatch,
        (w) => writeAddWatchRequest(w, { path: serverPath, mode: persistentMode(other).mode }),
        ignore,
        { signal },
      ));
    }
    if (registry.count("data", serverPath) + registry.count("exist", serverPath) > 0) {
      pending.push(this.#submit(
        OpCode.exists,
        (w) => writeExistsRequest(w, { path: serverPath, watch: true }),
        ignore,
        { signal },
      ));
    }
    if (registry.count("child", serverPath) > 0) {
      pending.push(this.#submit(
        OpCode.getChildren,
        (w) => writeGetChildrenRequest(w, { path: serverPath, watch: true }),
        ignore,
        { signal },
      ));
    }
    await Promise.all(pending);
  }

  #removeRequest(
    serverPath: string,
    type: number,
    path: string,
    signal?: AbortSignal,
  ): Promise<void> {
    return this.#submit(
      OpCode.removeWatches,
      (w) => writeRemoveWatchesRequest(w, { path: serverPath, type }),
      (err) => {
        if (err !== 0) throw errorFromCode(err, { path });
      },
      { signal, path },
    );
  }
}
