/**
 * Running a program on behalf of `zk lock` and `zk elect`: it inherits the
 * terminal, and when ownership ends before it does, it gets SIGTERM, then
 * SIGKILL after a grace period. Its exit code is passed on (128 + N when a
 * signal N ended it, as shells report it).
 *
 * @module
 */

import { writeErr } from "./io.ts";

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
      // Deno reports a child ended by signal N with code 128 + N, as shells do.
      exited: child.status.then(({ code }) => code),
    };
  } catch (error) {
    writeErr(`zk: cannot run ${argv[0]}: ${(error as Error).message}`);
    return { kill: () => {}, exited: Promise.resolve(127) };
  }
}

async function spawnWithNode(argv: readonly string[]): Promise<Spawned> {
  const [{ spawn }, { constants }] = await Promise.all([
    import("node:child_process"),
    import("node:os"),
  ]);
  const child = spawn(argv[0], argv.slice(1), { stdio: "inherit" });
  const exited = new Promise<number>((resolve) => {
    child.once("error", (error) => {
      writeErr(`zk: cannot run ${argv[0]}: ${error.message}`);
      resolve(127);
    });
    child.once("exit", (code, signal) => {
      const number = signal ? (constants.signals as Record<string, number>)[signal] ?? 0 : 0;
      resolve(code ?? 128 + number);
    });
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
  const child = typeof Deno === "object" ? spawnWithDeno(argv) : await spawnWithNode(argv);
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
