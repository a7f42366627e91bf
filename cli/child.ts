/**
 * Running a program on behalf of `zk lock` and `zk elect`: it inherits the
 * terminal, and when ownership ends before it does, it gets SIGTERM, then
 * SIGKILL after a grace period. Its exit code is passed on (128 + N when a
 * signal N ended it, as shells report it).
 *
 * @module
 */

import { spawn } from "node:child_process";
import { constants } from "node:os";
import process from "node:process";

/** How a program ended. */
export interface ProgramExit {
  /** Its exit code, or 128 + the signal's number; 127 when it could not start. */
  readonly code: number;
  /** True when it was stopped because `stop` aborted. */
  readonly stopped: boolean;
}

/** The default time between SIGTERM and SIGKILL. */
export const DEFAULT_GRACE = 5_000;

/**
 * Runs `argv`; when `stop` aborts first, sends it SIGTERM and, `graceMs`
 * later, SIGKILL.
 *
 * @example
 * ```ts
 * import { runProgram } from "./child.ts";
 * const { code } = await runProgram(["sleep", "1"], AbortSignal.timeout(60_000), 5_000);
 * ```
 */
export function runProgram(
  argv: readonly string[],
  stop: AbortSignal,
  graceMs: number,
): Promise<ProgramExit> {
  return new Promise((resolve) => {
    const child = spawn(argv[0], argv.slice(1), { stdio: "inherit" });
    let stopped = false;
    let killTimer: ReturnType<typeof setTimeout> | undefined;
    const onStop = () => {
      stopped = true;
      child.kill("SIGTERM");
      killTimer = setTimeout(() => child.kill("SIGKILL"), graceMs);
    };
    const finish = (code: number) => {
      stop.removeEventListener("abort", onStop);
      clearTimeout(killTimer);
      resolve({ code, stopped });
    };
    child.once("error", (error) => {
      process.stderr.write(`zk: cannot run ${argv[0]}: ${error.message}\n`);
      finish(127);
    });
    child.once("exit", (code, signal) => {
      const number = signal ? (constants.signals as Record<string, number>)[signal] ?? 0 : 0;
      finish(code ?? 128 + number);
    });
    if (stop.aborted) onStop();
    else stop.addEventListener("abort", onStop, { once: true });
  });
}
