/**
 * Command-line parsing: flags declared per command (and globally), long
 * (`--depth 2`, `--depth=2`) and short (`-R`, `-v 3`, grouped `-es`), with
 * everything after `--` kept verbatim for the commands that run a program.
 *
 * @module
 */

import { UsageError } from "./errors.ts";

/** One flag a command (or the CLI as a whole) accepts. */
export interface FlagSpec {
  /** The long name, without dashes (`"depth"`). */
  readonly name: string;
  /** A one-letter alias (`"R"`). */
  readonly short?: string;
  /** What it takes: nothing, a string or a number. */
  readonly type: "boolean" | "string" | "number";
  /** May be given more than once (its values are collected in a list). */
  readonly multiple?: boolean;
  /** The value's name in help (`"MS"`). */
  readonly value?: string;
  /** One line for `--help`. */
  readonly description: string;
}

/** A flag's parsed value. */
export type FlagValue = boolean | string | number | string[];

/** What {@linkcode parseArgs} found. */
export interface ParsedArgs {
  /** Flags by long name. */
  readonly flags: Record<string, FlagValue | undefined>;
  /** The arguments that are not flags, in order. */
  readonly positionals: string[];
  /** The arguments after `--`, or `undefined` when there was no `--`. */
  readonly rest: string[] | undefined;
}

/** A negative number is an argument (`zk counter /c -5`), not a flag. */
const NUMBER = /^-\d/;

function setFlag(
  flags: Record<string, FlagValue | undefined>,
  spec: FlagSpec,
  raw: string | undefined,
  shown: string,
): void {
  let value: FlagValue = true;
  if (spec.type !== "boolean") {
    if (raw === undefined) {
      throw new UsageError(`${shown} needs a value (${spec.value ?? "VALUE"})`);
    }
    if (spec.type === "number") {
      const number = Number(raw);
      if (raw.trim() === "" || !Number.isFinite(number)) {
        throw new UsageError(`${shown} takes a number, not "${raw}"`);
      }
      value = number;
    } else {
      value = raw;
    }
  } else if (raw !== undefined) {
    throw new UsageError(`${shown} takes no value`);
  }
  if (spec.multiple) {
    const list = (flags[spec.name] as string[] | undefined) ?? [];
    list.push(String(value));
    flags[spec.name] = list;
  } else {
    flags[spec.name] = value;
  }
}

/**
 * Parses `args` against `specs`. Unknown flags, missing values and numbers
 * that are not numbers fail with a {@linkcode UsageError}.
 *
 * @example
 * ```ts
 * import { parseArgs } from "./args.ts";
 * const parsed = parseArgs(["-R", "/app"], [
 *   { name: "recursive", short: "R", type: "boolean", description: "recurse" },
 * ]);
 * parsed.flags.recursive; // true
 * parsed.positionals; // ["/app"]
 * ```
 */
export function parseArgs(
  args: readonly string[],
  specs: readonly FlagSpec[],
  options: { stopAtPositional?: boolean } = {},
): ParsedArgs {
  const byName = new Map(specs.map((s) => [s.name, s]));
  const byShort = new Map(specs.filter((s) => s.short).map((s) => [s.short as string, s]));
  const flags: Record<string, FlagValue | undefined> = {};
  const positionals: string[] = [];
  let rest: string[] | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    // Everything after the first positional is the command's to parse.
    if (options.stopAtPositional && positionals.length > 0) {
      positionals.push(arg);
      continue;
    }
    if (arg === "--") {
      rest = args.slice(i + 1);
      break;
    }
    if (arg.startsWith("--")) {
      const eq = arg.indexOf("=");
      const name = arg.slice(2, eq < 0 ? undefined : eq);
      const spec = byName.get(name);
      if (!spec) throw new UsageError(`unknown option --${name}`);
      let raw = eq < 0 ? undefined : arg.slice(eq + 1);
      if (raw === undefined && spec.type !== "boolean") raw = args[++i];
      setFlag(flags, spec, raw, `--${name}`);
    } else if (arg.length > 1 && arg.startsWith("-") && !NUMBER.test(arg)) {
      const letters = arg.slice(1);
      for (let j = 0; j < letters.length; j++) {
        const spec = byShort.get(letters[j]);
        if (!spec) throw new UsageError(`unknown option -${letters[j]}`);
        if (spec.type === "boolean") {
          setFlag(flags, spec, undefined, `-${letters[j]}`);
          continue;
        }
        // `-v3` or `-v 3`: a value-taking letter ends the group.
        const attached = letters.slice(j + 1);
        setFlag(flags, spec, attached !== "" ? attached : args[++i], `-${letters[j]}`);
        break;
      }
    } else {
      positionals.push(arg);
    }
  }
  return { flags, positionals, rest };
}
