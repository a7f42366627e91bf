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

interface Spawned {
  /** Sends a signal; errors (it has exited) are ignored. */
  kill(signal: "SIGTERM" | "SIGKILL"): void;
  /** Resolves with the exit code (128 + N for signal N), 127 when it could not start. */
  readonly exited: Promise<number>;
}

const signalNumber = (name: string): number =>
  (constants.signals as Record<string, number>)[name] ?? 0;

/**
 * Deno's `node:child_process` reports any child it sent SIGTERM to as ended
 * by SIGTERM, even one that trapped it and exited with a code of its own;
 * `Deno.Command` reports the real status, so Deno uses that.
 */
function spawnWithDeno(argv: readonly string[]): Spawned {
  try {
    const child = new Deno.Command(argv[0], {
      args: argv.slice(1),
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
    return {
      kill: (signal) => {
        try {
          child.kill(signal);
        } catch {
          // It has exited.
        }
      },
      exited: child.status.then(({ code, signal }) => signal ? 128 + signalNumber(signal) : code),
    };
  } catch (error) {
    process.stderr.write(`zk: cannot run ${argv[0]}: ${(error as Error).message}\n`);
    return { kill: () => {}, exited: Promise.resolve(127) };
  }
}

function spawnWithNode(argv: readonly string[]): Spawned {
  const child = spawn(argv[0], argv.slice(1), { stdio: "inherit" });
  const exited = new Promise<number>((resolve) => {
    child.once("error", (error) => {
      process.stderr.write(`zk: cannot run ${argv[0]}: ${error.message}\n`);
      resolve(127);
    });
    child.once("exit", (code, signal) => resolve(code ?? 128 + signalNumber(signal ?? "")));
  });
  return { kill: (signal) => child.kill(signal), exited };
}

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
export async function runProgram(
  argv: readonly string[],
  stop: AbortSignal,
  graceMs: number,
): Promise<ProgramExit> {
  const child = typeof Deno === "object" ? spawnWithDeno(argv) : spawnWithNode(argv);
  let stopped = false;
  let killTimer: ReturnType<typeof setTimeout> | undefined;
  const onStop = () => {
    stopped = true;
    child.kill("SIGTERM");
    killTimer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  };
  if (stop.aborted) onStop();
  else stop.addEventListener("abort", onStop, { once: true });
  try {
    return { code: await child.exited, stopped };
  } finally {
    stop.removeEventListener("abort", onStop);
    clearTimeout(killTimer);
  }
}
