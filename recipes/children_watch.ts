/**
 * `ChildrenWatch`: kazoo's recipe that calls a function with a node's
 * children now and again after every change, across reconnects and session
 * expiry.
 *
 * @module
 */

import type { ZooKeeperClientCore } from "../lib/core.ts";
import { NoNodeError } from "../lib/errors.ts";
import type { WatchedEvent } from "../lib/types.ts";
import { WatchRecipe, type WatchRecipeOptions, type WatchVerdict } from "./data_watch.ts";

/** Options of {@linkcode ChildrenWatch}. */
export interface ChildrenWatchOptions extends WatchRecipeOptions {
  /**
   * Pass the triggering watch event to the function as its second argument
   * (kazoo's `send_event`; default false).
   */
  sendEvent?: boolean;
}

/** One value of a {@linkcode ChildrenWatch}. */
export interface ChildrenWatchValue {
  /** The children's names, in the server's order. */
  children: string[];
  /** The watch event that led to this read; absent for the first read and after a reconnect. */
  event?: WatchedEvent;
}

/**
 * The function of a {@linkcode ChildrenWatch}: called with the children's
 * names (and, with `sendEvent`, the triggering event). Returning `false`
 * stops the watch.
 */
export type ChildrenWatchFunction = (children: string[], event?: WatchedEvent) => WatchVerdict;

/**
 * Watches a node's children, kazoo's way: the function is called at once,
 * then each time the set of children differs from the one it last saw,
 * until it returns `false`, the watch is closed or the node is deleted. The node must exist: if it does
 * not, `ready` rejects with {@linkcode NoNodeError} (and iteration throws it);
 * its later deletion ends the watch quietly. After a reconnect or a session
 * expiry the children are read again (and the function called if they
 * changed meanwhile). Without a function, the watch is an async iterable
 * of {@linkcode ChildrenWatchValue}.
 *
 * @example Callback
 * ```ts
 * import { ChildrenWatch, connect } from "@zk/client";
 * await using zk = await connect("127.0.0.1:2181");
 * await using watch = new ChildrenWatch(zk, "/services", (children) => {
 *   console.log("members:", children.join(", "));
 * });
 * await watch.ready; // rejects with NoNodeError if /services is missing
 * ```
 *
 * @example Async iteration
 * ```ts
 * import { ChildrenWatch, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * const signal = AbortSignal.timeout(60_000);
 * for await (const { children } of new ChildrenWatch(zk, "/services", { signal })) {
 *   console.log(children.length, "members");
 * }
 * ```
 */
export class ChildrenWatch extends WatchRecipe<ChildrenWatchValue> {
  /** A children watch is what this recipe leaves on the server. */
  protected readonly watchType: "children" = "children";
  /** The children last read; `undefined` until the first read succeeds. */
  #last: Set<string> | undefined;

  /** Calls `fn` with the node's children now and after every change. */
  constructor(
    zk: ZooKeeperClientCore,
    path: string,
    fn: ChildrenWatchFunction,
    options?: ChildrenWatchOptions,
  );
  /** A watch to iterate with `for await`. */
  constructor(zk: ZooKeeperClientCore, path: string, options?: ChildrenWatchOptions);
  constructor(
    zk: ZooKeeperClientCore,
    path: string,
    fnOrOptions?: ChildrenWatchFunction | ChildrenWatchOptions,
    maybeOptions?: ChildrenWatchOptions,
  ) {
    const fn = typeof fnOrOptions === "function" ? fnOrOptions : undefined;
    const options = (typeof fnOrOptions === "function" ? maybeOptions : fnOrOptions) ?? {};
    const sendEvent = options.sendEvent ?? false;
    super(
      zk,
      path,
      fn &&
        ((value: ChildrenWatchValue) =>
          sendEvent ? fn(value.children, value.event) : fn(value.children)),
      options,
    );
    this.begin();
  }

  /** Reads the node and leaves the watch. */
  protected async read(event: WatchedEvent | undefined): Promise<ChildrenWatchValue | undefined> {
    let children: string[];
    try {
      children = await this.zk.getChildren(this.path, { watch: this.watcher });
    } catch (error) {
      // kazoo: the node must exist at first; once gone, the watch is over.
      if (error instanceof NoNodeError && this.#last !== undefined) return undefined;
      throw error;
    }
    return event === undefined ? { children } : { children, event };
  }

  /** Whether this read is a change for the function. */
  protected shouldDeliver(value: ChildrenWatchValue, first: boolean): boolean {
    const previous = this.#last;
    const current = new Set(value.children);
    this.#last = current;
    if (first || previous === undefined) return true;
    // Only a different set of children is a change: after a reconnect both
    // the re-read and the server's catch-up event find the same new list.
    return previous.size !== current.size || value.children.some((c) => !previous.has(c));
  }
}
