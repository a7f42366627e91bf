/**
 * How the CLI fails: one line naming the error (`NoNode: /a/b`) and an exit
 * code, 2 for bad usage and 1 for everything ZooKeeper or the network said.
 * No stack trace ever reaches the user.
 *
 * @module
 */

/** Exit code of a success. */
export const EXIT_OK = 0;
/** Exit code of a ZooKeeper, connection or I/O error. */
export const EXIT_FAILURE = 1;
/** Exit code of bad usage: unknown command, bad option, bad path, missing argument. */
export const EXIT_USAGE = 2;

/**
 * Bad usage of the command line; `command` names the command whose help
 * would have helped.
 *
 * @example
 * ```ts
 * import { UsageError } from "./errors.ts";
 * throw new UsageError("get needs a PATH", "get");
 * ```
 */
export class UsageError extends Error {
  /** The command being used, when known. */
  readonly command: string | undefined;

  /** Makes the error. */
  constructor(message: string, command?: string) {
    super(message);
    this.name = "UsageError";
    this.command = command;
  }
}

interface CodedError extends Error {
  code?: unknown;
  path?: unknown;
}

/** The default message of `error`'s class, found by making a bare one. */
function defaultMessage(error: CodedError): string | undefined {
  try {
    const Class = error.constructor as new () => Error;
    return new Class().message;
  } catch {
    return undefined;
  }
}

/** ZooKeeper's errors are numbered; errors of our own and of the runtime are not. */
function isZooKeeperError(error: unknown): error is CodedError & { code: number } {
  return error instanceof Error && typeof (error as CodedError).code === "number" &&
    error.name.endsWith("Error");
}

/**
 * One line for `error`: `NoNode: /a/b` for a ZooKeeper error about a path
 * (with the detail when there is more to say than the class's default),
 * `Name: message` otherwise.
 *
 * @example
 * ```ts
 * import { NoNodeError } from "@zk/client";
 * import { describeError } from "./errors.ts";
 * describeError(new NoNodeError(undefined, { path: "/a/b" })); // "NoNode: /a/b"
 * ```
 */
export function describeError(error: unknown): string {
  if (error instanceof UsageError) return `usage: ${error.message}`;
  if (!(error instanceof Error)) return `Error: ${String(error)}`;
  const name = error.name === "Error" ? "Error" : error.name.replace(/Error$/, "");
  let message = error.message.split("\n")[0];
  if (isZooKeeperError(error) && typeof error.path === "string") {
    const suffix = `: ${error.path}`;
    const bare = message.endsWith(suffix) ? message.slice(0, -suffix.length) : message;
    const fallback = defaultMessage(error);
    // "invalid path (empty segment)" says no more than "(empty segment)" after the class name.
    const detail = bare === fallback ? "" : bare.replace(/^invalid path \((.*)\)$/, "$1");
    message = detail === "" ? error.path : `${error.path} (${detail})`;
  }
  return `${name}: ${message}`;
}

/**
 * The exit code for `error`: {@linkcode EXIT_USAGE} for a {@linkcode UsageError}
 * or an invalid path or connection string, {@linkcode EXIT_FAILURE} otherwise.
 *
 * @example
 * ```ts
 * import { exitCodeOf, UsageError } from "./errors.ts";
 * exitCodeOf(new UsageError("no such command")); // 2
 * ```
 */
export function exitCodeOf(error: unknown): number {
  if (error instanceof UsageError) return EXIT_USAGE;
  if (error instanceof Error && USAGE_ERRORS.has(error.name)) return EXIT_USAGE;
  return EXIT_FAILURE;
}

/** Errors of the client that mean the command line itself was wrong. */
const USAGE_ERRORS = new Set(["InvalidPathError", "ConfigurationError", "LockReentryError"]);
