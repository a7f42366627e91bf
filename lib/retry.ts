/**
 * Retrying an operation through connection trouble, with kazoo's
 * `KazooRetry` semantics: exponential backoff with jitter, a cap on the
 * delay, a limit on tries and an optional deadline.
 *
 * ```ts
 * import { RetryPolicy, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * const policy = new RetryPolicy({ maxTries: -1, deadline: 30_000 });
 * const data = await policy.run(() => zk.get("/config"));
 * ```
 *
 * Retried: {@linkcode ConnectionLossError}, {@linkcode OperationTimeoutError},
 * {@linkcode ForceRetryError}, and {@linkcode SessionExpiredError} unless
 * `ignoreExpire` is false. Anything else propagates at once, including
 * `ClientClosedError`.
 *
 * Retrying a write is only safe if it is idempotent: a `create` that lost its
 * connection may have been applied, so the retry can fail with
 * `NodeExistsError`, or leave an orphan sequential node behind.
 *
 * @module
 */

import { ConfigurationError, isRetryable, ZooKeeperError } from "./errors.ts";
import { ErrorCode } from "./jute/error_codes.ts";
import { abortable, sleep, throwIfAborted } from "./abort.ts";

/** What a {@linkcode RetryPolicy} is told before each wait. */
export interface RetryEvent {
  /** The error that made the attempt fail. */
  error: unknown;
  /** How many attempts have failed so far (1 after the first). */
  attempt: number;
  /** How long the policy waits before the next attempt, in ms. */
  delay: number;
}

/** How a {@linkcode RetryPolicy} retries. Defaults are kazoo's `KazooRetry`'s. */
export interface RetryOptions {
  /**
   * The total number of attempts; `-1` (or `Infinity`) retries forever.
   * Default 1, kazoo's: a single attempt, whose retryable failure becomes a
   * {@linkcode RetryFailedError}.
   */
  maxTries?: number;
  /** The wait before the second attempt, before jitter, in ms. Default 100. */
  delay?: number;
  /** Each wait is the previous (jittered) one times this. Default 2. */
  backoff?: number;
  /**
   * Jitter as a fraction of the delay, clamped to 0..1: each wait is the
   * current delay times a uniform random factor in `[1 - maxJitter, 1 + maxJitter]`.
   * Default 0.4.
   */
  maxJitter?: number;
  /** The cap on the delay before jitter, in ms. Default 60 000. */
  maxDelay?: number;
  /**
   * The time budget from the first attempt, in ms. When the next wait would
   * end past it, the policy gives up with {@linkcode RetryFailedError} instead
   * of waiting. An attempt already running is not cut short. Default: none.
   */
  deadline?: number;
  /** Retry {@linkcode SessionExpiredError} too. Default true. */
  ignoreExpire?: boolean;
  /**
   * Aborting stops the policy: {@linkcode RetryPolicy.run} rejects with
   * `signal.reason`, at once, even mid-attempt or mid-wait.
   */
  signal?: AbortSignal;
  /** Called before each wait, e.g. to log the failure. Exceptions from it propagate. */
  onRetry?: (event: RetryEvent) => void;
  /** The source of the jitter: uniform in [0, 1). Default `Math.random`; set it in tests. */
  random?: () => number;
}

/**
 * Thrown by a {@linkcode RetryPolicy} that gives up: too many attempts, or
 * the deadline reached. `cause` is the last attempt's error. Its `code` is
 * ConnectionLoss (-4), since that is what the caller is left with.
 *
 * @example
 * ```ts
 * import { RetryFailedError, RetryPolicy, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * try {
 *   await new RetryPolicy({ maxTries: 3 }).run(() => zk.get("/a"));
 * } catch (e) {
 *   if (e instanceof RetryFailedError) console.log(e.attempts, e.cause);
 * }
 * ```
 */
export class RetryFailedError extends ZooKeeperError {
  /** How many attempts were made. */
  readonly attempts: number;
  /** True if the policy stopped because of its deadline, false if it ran out of tries. */
  readonly deadlineExceeded: boolean;

  /** Makes the error; `cause` should be the last attempt's error. */
  constructor(
    message: string,
    options: { cause?: unknown; attempts: number; deadlineExceeded?: boolean },
  ) {
    super(ErrorCode.CONNECTION_LOSS, message, { cause: options.cause });
    this.attempts = options.attempts;
    this.deadlineExceeded = options.deadlineExceeded ?? false;
  }
}

/**
 * Thrown by an operation to make its {@linkcode RetryPolicy} try again, as
 * kazoo's recipes do when a compare-and-set loses a race.
 *
 * @example
 * ```ts
 * import { BadVersionError, ForceRetryError, RetryPolicy, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * declare function increment(data: Uint8Array): Uint8Array;
 * await new RetryPolicy({ maxTries: -1 }).run(async () => {
 *   const { data, stat } = await zk.get("/counter");
 *   try {
 *     await zk.set("/counter", increment(data), { version: stat.version });
 *   } catch (e) {
 *     throw e instanceof BadVersionError ? new ForceRetryError("lost a race") : e;
 *   }
 * });
 * ```
 */
export class ForceRetryError extends Error {
  /** Makes the error; the message says why the operation wants another try. */
  constructor(message = "retry requested", options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}

interface ResolvedOptions {
  maxTries: number;
  delay: number;
  backoff: number;
  maxJitter: number;
  maxDelay: number;
  deadline: number | undefined;
  ignoreExpire: boolean;
  signal: AbortSignal | undefined;
  onRetry: ((event: RetryEvent) => void) | undefined;
  random: () => number;
}

function resolve(options: RetryOptions): ResolvedOptions {
  const {
    maxTries = 1,
    delay = 100,
    backoff = 2,
    maxJitter = 0.4,
    maxDelay = 60_000,
    deadline,
    ignoreExpire = true,
    signal,
    onRetry,
    random = Math.random,
  } = options;
  if (
    !(maxTries === -1 || maxTries === Infinity || (Number.isInteger(maxTries) && maxTries >= 1))
  ) {
    throw new ConfigurationError(`retry maxTries must be -1 or an integer >= 1, not ${maxTries}`);
  }
  for (const [name, value] of [["delay", delay], ["maxDelay", maxDelay]] as const) {
    if (!Number.isFinite(value) || value < 0) {
      throw new ConfigurationError(`retry ${name} must be a finite number >= 0, not ${value}`);
    }
  }
  if (!Number.isFinite(backoff) || backoff <= 0) {
    throw new ConfigurationError(`retry backoff must be a finite number > 0, not ${backoff}`);
  }
  if (Number.isNaN(maxJitter)) throw new ConfigurationError("retry maxJitter must be a number");
  if (deadline !== undefined && !(deadline >= 0)) {
    throw new ConfigurationError(`retry deadline must be a number >= 0, not ${deadline}`);
  }
  return {
    maxTries: maxTries === Infinity ? -1 : maxTries,
    delay,
    backoff,
    // kazoo clamps rather than refuses: a jitter outside 0..1 would make negative waits.
    maxJitter: Math.min(Math.max(maxJitter, 0), 1),
    maxDelay,
    deadline,
    ignoreExpire,
    signal,
    onRetry,
    random,
  };
}

/**
 * Runs an async operation until it succeeds, retrying the errors a
 * reconnect can cure (see the module doc). A policy holds only settings:
 * every {@linkcode run} counts its own attempts, so one policy can serve
 * many concurrent runs.
 *
 * @example
 * ```ts
 * import { RetryPolicy, type ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * const retry = new RetryPolicy({ maxTries: 5, delay: 50, maxDelay: 1_000 });
 * const children = await retry.run(() => zk.getChildren("/workers"));
 * ```
 */
export class RetryPolicy {
  /** The settings, with every default filled in. */
  readonly options: Readonly<RetryOptions>;
  readonly #options: ResolvedOptions;

  /**
   * Makes a policy.
   *
   * @throws {ConfigurationError} for a `maxTries` that is not -1 or a
   * positive integer, a negative or non-finite `delay` or `maxDelay`, a
   * `backoff` that is not positive, or a negative `deadline`.
   */
  constructor(options: RetryOptions = {}) {
    this.#options = resolve(options);
    this.options = Object.freeze({ ...this.#options });
  }

  /**
   * A policy with the same settings, with `overrides` applied. Counters are
   * per run anyway, so the copy starts fresh, as kazoo's `copy()` does.
   *
   * @example
   * ```ts
   * import { RetryPolicy } from "@zk/client";
   * const base = new RetryPolicy({ maxTries: -1 });
   * const bounded = base.copy({ deadline: 5_000 });
   * ```
   */
  copy(overrides: RetryOptions = {}): RetryPolicy {
    return new RetryPolicy({ ...this.options, ...overrides });
  }

  /**
   * Calls `fn` (with the attempt number, 1 for the first) until it resolves,
   * waiting between attempts. Rejects with `fn`'s error if it is not
   * retryable, with {@linkcode RetryFailedError} once the tries or the
   * deadline run out, and with `signal.reason` as soon as the policy's or
   * this call's `signal` aborts. No timer or listener outlives the call.
   *
   * @example
   * ```ts
   * import { RetryPolicy, type ZooKeeperClient } from "@zk/client";
   * declare const zk: ZooKeeperClient;
   * const controller = new AbortController();
   * const stat = await new RetryPolicy({ maxTries: -1 }).run(
   *   (attempt) => zk.exists("/ready"),
   *   { signal: controller.signal },
   * );
   * ```
   */
  async run<T>(
    fn: (attempt: number) => Promise<T>,
    options: { signal?: AbortSignal } = {},
  ): Promise<T> {
    const o = this.#options;
    const signal = combineSignals(o.signal, options.signal);
    const stopTime = o.deadline === undefined ? undefined : performance.now() + o.deadline;
    let attempts = 0;
    let currentDelay = o.delay;
    while (true) {
      throwIfAborted(signal);
      try {
        return await abortable(Promise.resolve(fn(attempts + 1)), signal);
      } catch (error) {
        throwIfAborted(signal);
        if (!this.#retryable(error)) throw error;
        attempts++;
        if (o.maxTries !== -1 && attempts >= o.maxTries) {
          throw new RetryFailedError(`too many retry attempts (${attempts})`, {
            cause: error,
            attempts,
          });
        }
        const jitter = 1 - o.maxJitter + 2 * o.maxJitter * o.random();
        const wait = currentDelay * jitter;
        if (stopTime !== undefined && performance.now() + wait >= stopTime) {
          throw new RetryFailedError(`retry deadline of ${o.deadline} ms exceeded`, {
            cause: error,
            attempts,
            deadlineExceeded: true,
          });
        }
        o.onRetry?.({ error, attempt: attempts, delay: wait });
        await sleep(wait, signal);
        // kazoo grows the jittered wait, not the base delay, then caps it.
        currentDelay = Math.min(wait * o.backoff, o.maxDelay);
      }
    }
  }

  #retryable(error: unknown): boolean {
    return error instanceof ForceRetryError ||
      isRetryable(error, { expired: this.#options.ignoreExpire });
  }
}

function combineSignals(
  a: AbortSignal | undefined,
  b: AbortSignal | undefined,
): AbortSignal | undefined {
  if (a === undefined || a === b) return b;
  if (b === undefined) return a;
  return AbortSignal.any([a, b]);
}
