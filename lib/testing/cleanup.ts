/**
 * Nothing the harness starts may outlive the process that started it: every
 * Java child and temp folder is registered here, and removed on exit, on
 * SIGINT/SIGTERM/SIGHUP, and (for a runner that was SIGKILLed) by the next
 * harness run, which sweeps folders whose owner is dead.
 *
 * @module
 */

import type { ChildProcess } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import process from "node:process";

/** Prefix of every folder the harness makes under the OS temp folder. */
export const TEMP_PREFIX = "zk-harness-";
const OWNER_FILE = "owner.pid";
/** Each member writes its Java pid here, so a sweep can find orphans. */
export const PID_FILE = "java.pid";

const children = new Set<ChildProcess>();
const dirs = new Set<string>();
/** Folders kept for the whole process (caches): removed at exit, but they need no signal hooks. */
const quietDirs = new Set<string>();
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;
const SIGNAL_NUMBERS = { SIGHUP: 1, SIGINT: 2, SIGTERM: 15 } as const;
type Signal = typeof SIGNALS[number];
let exitHooked = false;
let signalsHooked = false;

/**
 * Makes a temp folder `zk-harness-*` that is removed at exit unless released
 * first. A `cache` folder lives as long as the process: it is removed at exit
 * (or by the next run's sweep after a kill) without holding signal handlers,
 * so a test that made one leaves no signal listener behind.
 */
export function makeTempDir(options: { cache?: boolean } = {}): string {
  const dir = mkdtempSync(join(tmpdir(), TEMP_PREFIX));
  writeFileSync(join(dir, OWNER_FILE), String(process.pid));
  if (options.cache) {
    quietDirs.add(dir);
    hook();
  } else trackDir(dir);
  return dir;
}

/** Removes `dir` now and forgets it. */
export function removeDir(dir: string): void {
  dirs.delete(dir);
  rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  updateSignalHooks();
}

/** Registers `dir` for removal at exit. */
export function trackDir(dir: string): void {
  dirs.add(dir);
  hook();
}

/** Registers a child to be SIGKILLed at exit; it unregisters itself when it exits. */
export function trackChild(child: ChildProcess): void {
  children.add(child);
  child.once("exit", () => {
    children.delete(child);
    updateSignalHooks();
  });
  hook();
}

function hook(): void {
  if (!exitHooked) {
    exitHooked = true;
    process.on("exit", cleanupSync);
    // `deno test` does not emit node's "exit", but it does dispatch "unload".
    if ("Deno" in globalThis) globalThis.addEventListener("unload", cleanupSync);
  }
  updateSignalHooks();
}

/**
 * Signal handlers are installed only while something is registered, so the
 * harness does not take over Ctrl-C in a program that has nothing running.
 */
function updateSignalHooks(): void {
  const want = children.size > 0 || dirs.size > 0;
  if (want === signalsHooked) return;
  signalsHooked = want;
  for (const signal of SIGNALS) {
    try {
      if (want) addSignal(signal);
      else removeSignal(signal);
    } catch {
      // Not every platform has every signal (SIGHUP on Windows).
    }
  }
}

const handlers: Partial<Record<Signal, () => void>> = {};

function addSignal(signal: Signal): void {
  const handler = handlers[signal] ??= () => {
    cleanupSync();
    process.exit(128 + SIGNAL_NUMBERS[signal]);
  };
  if ("Deno" in globalThis) Deno.addSignalListener(signal, handler);
  else process.on(signal, handler);
}

function removeSignal(signal: Signal): void {
  const handler = handlers[signal];
  if (handler === undefined) return;
  if ("Deno" in globalThis) Deno.removeSignalListener(signal, handler);
  else process.off(signal, handler);
}

/** Kills every registered child and removes every registered folder, synchronously. */
export function cleanupSync(): void {
  for (const child of children) {
    try {
      if (child.pid !== undefined) process.kill(child.pid, "SIGKILL");
    } catch {
      // Already gone.
    }
  }
  children.clear();
  for (const dir of [...dirs, ...quietDirs]) {
    try {
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // A SIGKILLed JVM may still be closing files; the next sweep removes the rest.
    }
  }
  dirs.clear();
  quietDirs.clear();
}

/**
 * Removes what an earlier harness run left behind when it was killed before
 * it could clean up: folders whose owner process is gone, and the Java
 * servers still running from them (checked against /proc so an unrelated
 * process that reused the pid is never touched).
 */
export function sweepStale(): void {
  let entries: string[];
  try {
    entries = readdirSync(tmpdir()).filter((name) => name.startsWith(TEMP_PREFIX));
  } catch {
    return;
  }
  for (const name of entries) {
    const dir = join(tmpdir(), name);
    const owner = readPid(join(dir, OWNER_FILE));
    if (owner === undefined || alive(owner)) continue;
    try {
      for (const member of readdirSync(dir)) {
        const pid = readPid(join(dir, member, PID_FILE));
        if (pid !== undefined && alive(pid) && commandLine(pid).includes(dir)) {
          process.kill(pid, "SIGKILL");
        }
      }
      rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
    } catch {
      // Someone else's folder, or a race with another sweep: leave it.
    }
  }
}

function readPid(path: string): number | undefined {
  try {
    const pid = Number(readFileSync(path, "utf8").trim());
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as { code?: string }).code === "EPERM";
  }
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " ");
  } catch {
    return "";
  }
}
