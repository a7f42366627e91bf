import assert from "node:assert/strict";
import { ForceRetryError, RetryFailedError, RetryPolicy } from "../lib/retry.ts";
import type { RetryEvent, RetryOptions } from "../lib/retry.ts";
import { abortable, sleep, throwIfAborted } from "../lib/abort.ts";
import {
  ClientClosedError,
  ConfigurationError,
  ConnectionLossError,
  NoNodeError,
  OperationTimeoutError,
  SessionExpiredError,
  ZooKeeperError,
} from "../lib/errors.ts";

/**
 * Deno.test with every sanitizer on. Deno 2.9 no longer turns the ops
 * sanitizer on by default, and it is the one that sees a timer left pending.
 */
function test(name: string, fn: () => void | Promise<void>): void {
  Deno.test({ name, fn, sanitizeOps: true, sanitizeResources: true, sanitizeExit: true });
}

/** An operation that fails with `errors` in turn, then resolves to "done"; records its attempts. */
function flaky(
  errors: unknown[],
): { fn: (attempt: number) => Promise<string>; attempts: number[] } {
  const attempts: number[] = [];
  let i = 0;
  return {
    attempts,
    fn: (attempt: number) => {
      attempts.push(attempt);
      return i < errors.length ? Promise.reject(errors[i++]) : Promise.resolve("done");
    },
  };
}

function failing(make: () => unknown): { fn: () => Promise<never>; calls: () => number } {
  let calls = 0;
  return {
    fn: () => {
      calls++;
      return Promise.reject(make());
    },
    calls: () => calls,
  };
}

/** Records what the policy waits, without jitter unless asked. */
function recording(options: RetryOptions): { policy: RetryPolicy; events: RetryEvent[] } {
  const events: RetryEvent[] = [];
  return {
    events,
    policy: new RetryPolicy({ maxJitter: 0, ...options, onRetry: (e) => events.push(e) }),
  };
}

test("a retryable failure is retried and the first success is returned", async () => {
  const op = flaky([new ConnectionLossError(), new OperationTimeoutError()]);
  const result = await new RetryPolicy({ maxTries: 3, delay: 1 }).run(op.fn);
  assert.equal(result, "done");
  assert.deepEqual(op.attempts, [1, 2, 3]);
});

test("maxTries counts every call: 10 means 10 calls, then RetryFailedError", async () => {
  let last: ConnectionLossError | undefined;
  const op = failing(() => (last = new ConnectionLossError()));
  const error = await new RetryPolicy({ maxTries: 10, delay: 0 }).run(op.fn).then(
    () => assert.fail("expected RetryFailedError"),
    (e: unknown) => e,
  );
  assert.equal(op.calls(), 10);
  assert.ok(error instanceof RetryFailedError);
  assert.ok(error instanceof ZooKeeperError);
  assert.equal(error.code, -4);
  assert.equal(error.attempts, 10);
  assert.equal(error.deadlineExceeded, false);
  assert.equal(error.cause, last);
});

test("the default policy, like kazoo's, makes a single attempt", async () => {
  const op = failing(() => new ConnectionLossError());
  await assert.rejects(new RetryPolicy().run(op.fn), RetryFailedError);
  assert.equal(op.calls(), 1);
  assert.equal(new RetryPolicy().options.maxTries, 1);
});

test("maxTries -1 or Infinity retries until the operation succeeds", async () => {
  for (const maxTries of [-1, Infinity]) {
    const op = flaky(Array.from({ length: 25 }, () => new ConnectionLossError()));
    assert.equal(await new RetryPolicy({ maxTries, delay: 0 }).run(op.fn), "done");
    assert.equal(op.attempts.length, 26);
  }
});

test("errors a reconnect cannot cure propagate at once", async () => {
  for (
    const make of [
      () => new NoNodeError(),
      () => new TypeError("bug"),
      () => new ClientClosedError(),
    ]
  ) {
    const op = failing(make);
    const policy = new RetryPolicy({ maxTries: -1, delay: 0 });
    await assert.rejects(policy.run(op.fn), (e: unknown) => !(e instanceof RetryFailedError));
    assert.equal(op.calls(), 1);
  }
});

test("ForceRetryError asks for another attempt", async () => {
  const op = flaky([new ForceRetryError("lost a race")]);
  assert.equal(await new RetryPolicy({ maxTries: 2, delay: 0 }).run(op.fn), "done");
  assert.equal(op.attempts.length, 2);
});

test("SessionExpiredError is retried unless ignoreExpire is false", async () => {
  const retried = flaky([new SessionExpiredError()]);
  assert.equal(await new RetryPolicy({ maxTries: 2, delay: 0 }).run(retried.fn), "done");

  const op = failing(() => new SessionExpiredError());
  await assert.rejects(
    new RetryPolicy({ maxTries: 5, delay: 0, ignoreExpire: false }).run(op.fn),
    SessionExpiredError,
  );
  assert.equal(op.calls(), 1);
});

test("without jitter the wait doubles each time and stops growing at maxDelay", async () => {
  const { policy, events } = recording({ maxTries: 7, delay: 1, backoff: 2, maxDelay: 5 });
  await assert.rejects(policy.run(failing(() => new ConnectionLossError()).fn), RetryFailedError);
  assert.deepEqual(events.map((e) => e.delay), [1, 2, 4, 5, 5, 5]);
  assert.deepEqual(events.map((e) => e.attempt), [1, 2, 3, 4, 5, 6]);
  assert.ok(events.every((e) => e.error instanceof ConnectionLossError));
});

test("jitter scales each wait by [1 - maxJitter, 1 + maxJitter] and backoff grows the jittered wait", async () => {
  const draws = [0, 0.5, 1];
  const { policy, events } = recording({
    maxTries: 4,
    delay: 2,
    backoff: 2,
    maxJitter: 0.5,
    random: () => draws.shift() ?? 0.5,
  });
  await assert.rejects(policy.run(failing(() => new ConnectionLossError()).fn), RetryFailedError);
  // 2 * 0.5 = 1; then (1 * 2) * 1 = 2; then (2 * 2) * 1.5 = 6.
  assert.deepEqual(events.map((e) => e.delay), [1, 2, 6]);
});

test("maxJitter is clamped to 0..1 as kazoo does", () => {
  assert.equal(new RetryPolicy({ maxJitter: 5 }).options.maxJitter, 1);
  assert.equal(new RetryPolicy({ maxJitter: -1 }).options.maxJitter, 0);
});

test("the policy gives up when the next wait would end past the deadline", async () => {
  const { policy, events } = recording({ maxTries: -1, delay: 40, backoff: 10, deadline: 200 });
  const op = failing(() => new ConnectionLossError());
  const started = performance.now();
  const error = await policy.run(op.fn).then(() => assert.fail("expected failure"), (e) => e);
  assert.ok(error instanceof RetryFailedError);
  assert.equal(error.deadlineExceeded, true);
  assert.ok(error.cause instanceof ConnectionLossError);
  // One 40 ms wait fitted; the next (400 ms) would not, so it was never started.
  assert.equal(op.calls(), 2);
  assert.deepEqual(events.map((e) => e.delay), [40]);
  assert.ok(performance.now() - started < 200);
});

test("a zero deadline allows the first attempt and no retry", async () => {
  const op = failing(() => new ConnectionLossError());
  await assert.rejects(
    new RetryPolicy({ maxTries: -1, deadline: 0 }).run(op.fn),
    (e: unknown) => e instanceof RetryFailedError && e.deadlineExceeded,
  );
  assert.equal(op.calls(), 1);
});

test("aborting during a wait rejects with the signal's reason and clears the timer", async () => {
  const controller = new AbortController();
  const reason = new Error("shutting down");
  const policy = new RetryPolicy({ maxTries: -1, delay: 60_000 });
  const op = failing(() => new ConnectionLossError());
  const run = policy.run(op.fn, { signal: controller.signal });
  await sleep(10);
  controller.abort(reason);
  await assert.rejects(run, (e: unknown) => e === reason);
  assert.equal(op.calls(), 1);
  // The ops sanitizer fails this test if the 60 s timer were still pending.
});

test("aborting mid-attempt rejects at once; the attempt's late failure is not unhandled", async () => {
  const controller = new AbortController();
  let rejectAttempt: (e: unknown) => void = () => {};
  const run = new RetryPolicy({ maxTries: -1 }).run(
    () => new Promise<never>((_, reject) => (rejectAttempt = reject)),
    { signal: controller.signal },
  );
  controller.abort(new Error("stop"));
  await assert.rejects(run, /stop/);
  rejectAttempt(new ConnectionLossError());
  await sleep(0);
});

test("an already aborted signal means the operation is never called", async () => {
  const op = failing(() => new ConnectionLossError());
  const reason = new Error("too late");
  await assert.rejects(
    new RetryPolicy().run(op.fn, { signal: AbortSignal.abort(reason) }),
    (e: unknown) => e === reason,
  );
  assert.equal(op.calls(), 0);
});

test("an abort that comes with a retryable failure wins over retrying", async () => {
  const controller = new AbortController();
  let calls = 0;
  const run = new RetryPolicy({ maxTries: -1, delay: 0 }).run(() => {
    calls++;
    controller.abort(new Error("closing"));
    return Promise.reject(new ConnectionLossError());
  }, { signal: controller.signal });
  await assert.rejects(run, /closing/);
  assert.equal(calls, 1);
});

test("the policy's own signal stops every run, alongside the call's signal", async () => {
  const policyController = new AbortController();
  const callController = new AbortController();
  const policy = new RetryPolicy({ maxTries: -1, delay: 60_000, signal: policyController.signal });
  const run = policy.run(failing(() => new ConnectionLossError()).fn, {
    signal: callController.signal,
  });
  await sleep(5);
  policyController.abort(new Error("client closed"));
  await assert.rejects(run, /client closed/);
});

test("copy() keeps the settings, applies overrides and shares no state", async () => {
  const base = new RetryPolicy({ maxTries: 3, delay: 0, backoff: 3 });
  const copy = base.copy({ maxTries: 5 });
  assert.notEqual(copy, base);
  assert.equal(copy.options.backoff, 3);
  assert.equal(copy.options.maxTries, 5);
  assert.equal(base.options.maxTries, 3);
  // Concurrent runs of one policy count their attempts separately.
  const a = flaky([new ConnectionLossError(), new ConnectionLossError()]);
  const b = flaky([new ConnectionLossError(), new ConnectionLossError()]);
  assert.deepEqual(await Promise.all([base.run(a.fn), base.run(b.fn)]), ["done", "done"]);
  assert.deepEqual(a.attempts, [1, 2, 3]);
  assert.deepEqual(b.attempts, [1, 2, 3]);
});

test("impossible settings are refused with ConfigurationError", () => {
  const bad: RetryOptions[] = [
    { maxTries: 0 },
    { maxTries: -2 },
    { maxTries: 1.5 },
    { delay: -1 },
    { delay: Infinity },
    { maxDelay: Number.NaN },
    { backoff: 0 },
    { maxJitter: Number.NaN },
    { deadline: -5 },
  ];
  for (const options of bad) {
    assert.throws(() => new RetryPolicy(options), ConfigurationError, JSON.stringify(options));
  }
});

test("sleep resolves after the delay", async () => {
  const started = performance.now();
  await sleep(20);
  assert.ok(performance.now() - started >= 19);
});

test("sleep rejects with the reason at once when aborted, before or during", async () => {
  const reason = new Error("bye");
  await assert.rejects(sleep(10, AbortSignal.abort(reason)), (e: unknown) => e === reason);
  const controller = new AbortController();
  const pending = sleep(60_000, controller.signal);
  controller.abort(reason);
  await assert.rejects(pending, (e: unknown) => e === reason);
});

/** A signal whose listener count can be read. */
function countedSignal(): { controller: AbortController; listeners: () => number } {
  const controller = new AbortController();
  const signal = controller.signal;
  let count = 0;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = (...args: Parameters<AbortSignal["addEventListener"]>) => {
    count++;
    add(...args);
  };
  signal.removeEventListener = (...args: Parameters<AbortSignal["removeEventListener"]>) => {
    count--;
    remove(...args);
  };
  return { controller, listeners: () => count };
}

test("sleep and abortable remove their abort listener once settled", async () => {
  const { controller, listeners } = countedSignal();
  await sleep(1, controller.signal);
  assert.equal(listeners(), 0);
  assert.equal(await abortable(Promise.resolve(7), controller.signal), 7);
  assert.equal(listeners(), 0);
  await assert.rejects(abortable(Promise.reject(new Error("x")), controller.signal), /x/);
  assert.equal(listeners(), 0);
  const { policy } = recording({ maxTries: 3, delay: 1 });
  await policy.run(flaky([new ConnectionLossError()]).fn, { signal: controller.signal });
  assert.equal(listeners(), 0);
});

test("abortable passes the promise through and rejects with the reason on abort", async () => {
  assert.equal(await abortable(Promise.resolve("v")), "v");
  const controller = new AbortController();
  let reject: (e: unknown) => void = () => {};
  const waiting = abortable(new Promise((_, r) => (reject = r)), controller.signal);
  controller.abort(new Error("gave up"));
  await assert.rejects(waiting, /gave up/);
  reject(new Error("late failure, must not be reported as unhandled"));
  const early = abortable(Promise.reject(new Error("also handled")), AbortSignal.abort("r"));
  await assert.rejects(early, (e: unknown) => e === "r");
  await sleep(0);
});

test("throwIfAborted throws the reason only for an aborted signal", () => {
  throwIfAborted(undefined);
  throwIfAborted(new AbortController().signal);
  assert.throws(() => throwIfAborted(AbortSignal.abort(new RangeError("r"))), RangeError);
});
