/**
 * One rule for the errors the client raises itself: each carries the code of
 * the server condition it is a kind of and extends that condition's class,
 * so `code` and `instanceof` agree; whether to retry is `isRetryable`'s call.
 */
import assert from "node:assert/strict";
import * as errors from "../lib/errors.ts";
import * as recipes from "../recipes/mod.ts";
import { RetryPolicy } from "../lib/retry.ts";

const {
  ClientClosedError,
  ConfigurationError,
  ConnectionLossError,
  errorFromCode,
  isRetryable,
  isSessionExpiry,
  LockTimeoutError,
  OperationTimeoutError,
  OutcomeUnknownError,
  SessionExpiredError,
  BadArgumentsError,
  ZooKeeperError,
} = errors;

// Errors that report on other errors rather than being a condition of their own.
const AGGREGATES = new Set(["TransactionError", "RolledBackError", "RetryFailedError"]);

function sample(Class: new (...args: never[]) => errors.ZooKeeperError): errors.ZooKeeperError {
  const make = Class as unknown as new (...args: unknown[]) => errors.ZooKeeperError;
  try {
    return new make("x", "/p");
  } catch {
    return new make(1, 2);
  }
}

Deno.test("every error class is an instance of the class its code names", () => {
  const classes = [...Object.values(errors), ...Object.values(recipes)].filter((v) =>
    typeof v === "function" && v.prototype instanceof ZooKeeperError && !AGGREGATES.has(v.name)
  ) as (new (...args: never[]) => errors.ZooKeeperError)[];
  assert.ok(classes.length > 30);
  for (const Class of classes) {
    const error = sample(Class);
    const byCode = errorFromCode(error.code).constructor;
    if (byCode === ZooKeeperError) continue; // a code without a class of its own
    assert.ok(
      error instanceof byCode,
      `${Class.name} (code ${error.code}) is not a ${byCode.name}`,
    );
  }
});

Deno.test("the client's own errors are kinds of the server conditions whose codes they carry", () => {
  assert.ok(new ClientClosedError() instanceof SessionExpiredError);
  assert.ok(new ConfigurationError("bad") instanceof BadArgumentsError);
  assert.ok(new LockTimeoutError() instanceof OperationTimeoutError);
  assert.ok(new OutcomeUnknownError("maybe") instanceof ConnectionLossError);
});

Deno.test("isRetryable: passing conditions yes, a closed client, an unknown outcome or a recipe timeout never", () => {
  assert.equal(isRetryable(new ConnectionLossError()), true);
  assert.equal(isRetryable(new OperationTimeoutError()), true);
  assert.equal(isRetryable(new SessionExpiredError()), true);
  assert.equal(isRetryable(new SessionExpiredError(), { expired: false }), false);
  assert.equal(isRetryable(new ClientClosedError()), false);
  assert.equal(isRetryable(new OutcomeUnknownError("maybe")), false);
  assert.equal(isRetryable(new LockTimeoutError()), false);
  assert.equal(isRetryable(new Error("other")), false);
  assert.equal(isSessionExpiry(new SessionExpiredError()), true);
  assert.equal(isSessionExpiry(new ClientClosedError()), false);
});

Deno.test("a retry loop without a limit stops at once on a closed client", async () => {
  let attempts = 0;
  await assert.rejects(
    new RetryPolicy({ maxTries: -1 }).run(() => {
      attempts++;
      return Promise.reject(new ClientClosedError());
    }),
    ClientClosedError,
  );
  assert.equal(attempts, 1);
});
