/**
 * `deno task chaos check FILE`: checks a JSON Lines register history on its
 * own. Exit 0 when it is linearizable, 1 when it is not (printing the
 * smallest anomaly found per key), 2 for a file that cannot be read or
 * parsed, 3 when the search ran out of time.
 *
 * @module
 */

import { HistoryError, parseHistory } from "./history.ts";
import { checkOperations, formatAnomaly } from "./linearizability.ts";

/** Exit codes of the check command. */
export const CheckExit = { VALID: 0, INVALID: 1, BAD_INPUT: 2, UNKNOWN: 3 } as const;

/** Runs the check command on `path`; prints to stdout/stderr and returns the exit code. */
export async function runCheckCommand(args: readonly string[]): Promise<number> {
  const timeoutArg = args.indexOf("--timeout");
  const files = args.filter((a, i) =>
    !a.startsWith("--") && (timeoutArg === -1 || i !== timeoutArg + 1)
  );
  if (files.length !== 1) {
    console.error("usage: deno task chaos check FILE [--timeout SECONDS]");
    return CheckExit.BAD_INPUT;
  }
  const timeoutMs = timeoutArg === -1 ? undefined : Number(args[timeoutArg + 1]) * 1000;
  if (timeoutMs !== undefined && !(timeoutMs > 0)) {
    console.error(`--timeout needs a positive number of seconds, got ${args[timeoutArg + 1]}`);
    return CheckExit.BAD_INPUT;
  }
  let text: string;
  try {
    text = await Deno.readTextFile(files[0]);
  } catch (e) {
    console.error(`cannot read ${files[0]}: ${(e as Error).message}`);
    return CheckExit.BAD_INPUT;
  }
  let operations;
  try {
    operations = parseHistory(text);
  } catch (e) {
    if (!(e instanceof HistoryError)) throw e;
    console.error(`${files[0]}: ${e.message}`);
    return CheckExit.BAD_INPUT;
  }
  const result = checkOperations(operations, { timeoutMs });
  const summary = `${result.operations} operations over ${result.keys.length} key(s), checked in ${
    result.elapsedMs.toFixed(0)
  } ms`;
  if (result.valid === true) {
    console.log(`linearizable: ${summary}`);
    return CheckExit.VALID;
  }
  if (result.valid === "unknown") {
    const keys = result.keys.filter((k) => k.valid === "unknown").map((k) => k.key);
    console.log(`unknown: the search ran out of time on key(s) ${keys.join(", ")}; ${summary}`);
    return CheckExit.UNKNOWN;
  }
  console.log(`NOT linearizable: ${result.anomalies.length} key(s) with an anomaly; ${summary}`);
  for (const anomaly of result.anomalies) console.log(formatAnomaly(anomaly));
  return CheckExit.INVALID;
}
