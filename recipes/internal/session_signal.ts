/**
 * An `AbortSignal` for "this session may no longer own what it holds". Under
 * the `"suspended"` policy (Curator's default, which kazoo leaves to its
 * users) it aborts when the client goes SUSPENDED (ownership at risk: the
 * session may expire before the connection comes back, and nobody can tell)
 * or LOST (the session and its ephemeral nodes are gone); under `"lost"`
 * (Curator's SessionConnectionStateErrorPolicy) only at LOST.
 *
 * @module
 */

import type { OwnershipPolicy, ZooKeeperClientCore } from "../../lib/core.ts";
import { ConnectionLossError, SessionExpiredError } from "../../lib/errors.ts";
import type { State } from "../../lib/types.ts";

/** The part of the client {@linkcode heldSignal} listens to. */
export type StateSource = Pick<ZooKeeperClientCore, "state" | "addListener" | "removeListener">;

/** A signal tied to the session's state; dispose it to stop listening. */
export interface HeldSignal extends Disposable {
  /** Aborts on SUSPENDED or LOST, or when {@linkcode HeldSignal.abort} is called. */
  readonly signal: AbortSignal;
  /** Aborts now with `reason` (if not aborted yet) and stops listening. */
  abort(reason?: unknown): void;
}

/**
 * A signal that aborts when `zk` leaves CONNECTED: with a
 * {@linkcode ConnectionLossError} on SUSPENDED (under the `"suspended"`
 * policy only), a {@linkcode SessionExpiredError} on LOST. Already aborted if
 * the client is in such a state now. Its state listener is removed as soon as
 * it aborts or is disposed, so a long-lived client does not collect listeners.
 *
 * @param what Names what is held, for the abort reason's message.
 * @param policy Whether SUSPENDED aborts (`"suspended"`, the default) or only LOST does.
 *
 * @example
 * ```ts
 * import { heldSignal } from "./session_signal.ts";
 * import type { ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * declare function doSomeWork(signal: AbortSignal): Promise<void>;
 * using held = heldSignal(zk, "lock /jobs/lock");
 * while (!held.signal.aborted) await doSomeWork(held.signal);
 * ```
 */
export function heldSignal(
  zk: StateSource,
  what = "ownership",
  policy: OwnershipPolicy = "suspended",
): HeldSignal {
  const controller = new AbortController();
  let listening = false;
  const stop = (): void => {
    if (!listening) return;
    listening = false;
    zk.removeListener(listener);
  };
  const abort = (reason: unknown): void => {
    stop();
    if (!controller.signal.aborted) controller.abort(reason);
  };
  const reasonFor = (state: State): Error =>
    state === "SUSPENDED"
      ? new ConnectionLossError(`connection suspended: ${what} is at risk`)
      : new SessionExpiredError(`session lost: ${what} is gone`);
  const ends = (state: State): boolean =>
    state === "LOST" || (state === "SUSPENDED" && policy === "suspended");
  const listener = (state: State): void => {
    if (ends(state)) abort(reasonFor(state));
  };
  if (ends(zk.state)) {
    controller.abort(reasonFor(zk.state));
  } else {
    listening = true;
    zk.addListener(listener);
  }
  return {
    signal: controller.signal,
    abort(reason?: unknown): void {
      abort(reason ?? new DOMException(`${what} given up`, "AbortError"));
    },
    [Symbol.dispose]: stop,
  };
}
