/**
 * Builds `zk` as a single binary with `bun build --compile` (Bun carries its
 * own runtime, so this works offline): `deno task build:zk [OUTFILE]`
 * (default `dist/zk`). Precompiled to bytecode, which cuts the
 * binary's start-up CPU time to about a third. Not minified: minifying renames
 * classes, and error lines name the error class (`NoNode: /a`).
 *
 * @module
 */

import process from "node:process";

const CLI = new URL("../cli/main.ts", import.meta.url).pathname;

/**
 * The `bun` arguments that build the CLI into `outfile`.
 *
 * @example
 * ```ts
 * import { bunBuildArgs } from "./build_cli.ts";
 * console.log(["bun", ...bunBuildArgs("dist/zk")].join(" "));
 * ```
 */
export function bunBuildArgs(outfile: string): string[] {
  return [
    "build",
    "--compile",
    "--bytecode",
    "--format",
    "esm",
    CLI,
    "--outfile",
    outfile,
  ];
}

/**
 * Builds the binary at `outfile`; rejects with bun's output when it fails.
 *
 * @example
 * ```ts
 * import { buildCli } from "./build_cli.ts";
 * await buildCli("/tmp/zk");
 * ```
 */
export async function buildCli(outfile: string): Promise<void> {
  const { success, stdout, stderr } = await new Deno.Command("bun", {
    args: bunBuildArgs(outfile),
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (!success) {
    const decoder = new TextDecoder();
    throw new Error(`bun build failed:\n${decoder.decode(stdout)}${decoder.decode(stderr)}`);
  }
}

if (import.meta.main) {
  const outfile = Deno.args[0] ?? new URL("../dist/zk", import.meta.url).pathname;
  try {
    await buildCli(outfile);
    console.log(`built ${outfile}`);
  } catch (error) {
    console.error((error as Error).message);
    process.exit(1);
  }
}
