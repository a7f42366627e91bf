/**
 * ZooKeeper's own reports that a member's data stopped matching the
 * ensemble's, read from its log, so that a test or the chaos suite can tell
 * a server that lost transactions from a client bug.
 *
 * ZooKeeper 3.8 (every 3.8.x) and 3.9 before 3.9.3 can lose committed
 * transactions on a follower whose link to the leader breaks while it is
 * logging, e.g. one thawed after a freeze (SIGSTOP, a long GC pause, a
 * stalled VM): its `SyncThread` dies on a `NullPointerException`
 * (ZOOKEEPER-4409) with transactions applied but not written, the partial
 * shutdown that follows leaves the old log stream behind (ZOOKEEPER-4712),
 * and the transaction log ends up out of order. The member serves the right
 * data until it restarts; then it skips the out-of-order entries and serves
 * a tree that lacks them: nodes deleted long ago come back, and when that
 * member leads, clients can delete them again (a queue entry is taken twice).
 * No client can see this; the server says so in its log, which is what this
 * module reads.
 *
 * @module
 */

/** What kind of trouble a member reported. */
export type IntegrityProblem =
  /** The thread that writes the transaction log died: what it had queued is never written. */
  | "log-writer-died"
  /** On startup, committed transactions were skipped as out of order: they are lost on this member. */
  | "log-replay-skipped"
  /** The member's tree digest does not match the leader's: its data differs. */
  | "digest-mismatch";

/** One kind of problem a member's log reports, with its first and last occurrence. */
export interface IntegrityReport {
  /** The kind of problem. */
  problem: IntegrityProblem;
  /** How many log lines report it. */
  count: number;
  /** When it was first reported (ms since the epoch, from the log's local time). */
  first: number;
  /** When it was last reported. */
  last: number;
  /** The first such line, as logged. */
  line: string;
}

const PATTERNS: readonly [IntegrityProblem, RegExp][] = [
  ["log-writer-died", /Severe unrecoverable error, from thread : SyncThread/],
  ["log-replay-skipped", /\(highestZxid\) > \d+\(next log\)/],
  ["digest-mismatch", /Digests are not matching|First digest mismatch on txn/],
];

const TIMESTAMP = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2}),(\d{3}) /;

/** The time at the start of a log line, in the local time zone the JVM logs in. */
function lineTime(line: string): number | undefined {
  const m = TIMESTAMP.exec(line);
  if (!m) return undefined;
  const [y, mo, d, h, mi, s, ms] = m.slice(1).map(Number);
  return new Date(y, mo - 1, d, h, mi, s, ms).getTime();
}

/**
 * The integrity problems a ZooKeeper server log reports, one entry per kind
 * (in the order of {@linkcode IntegrityProblem}); empty for a healthy member.
 *
 * @example
 * ```ts
 * import { scanServerLog, type ZooKeeperCluster } from "@zk/client/testing";
 * declare const cluster: ZooKeeperCluster;
 * for (const member of cluster.members) {
 *   for (const report of scanServerLog(await member.logs())) {
 *     console.log(`member ${member.id}: ${report.problem} x${report.count}`);
 *   }
 * }
 * ```
 */
export function scanServerLog(log: string): IntegrityReport[] {
  const found = new Map<IntegrityProblem, IntegrityReport>();
  for (const line of log.split("\n")) {
    for (const [problem, pattern] of PATTERNS) {
      if (!pattern.test(line)) continue;
      const time = lineTime(line) ?? NaN;
      const seen = found.get(problem);
      if (seen === undefined) {
        found.set(problem, { problem, count: 1, first: time, last: time, line: line.trim() });
      } else {
        seen.count++;
        if (!Number.isNaN(time)) seen.last = time;
      }
    }
  }
  return PATTERNS.map(([problem]) => found.get(problem)).filter((r) => r !== undefined);
}

/**
 * Whether `reports` mean the member may serve data that differs from the
 * ensemble's. A dead log writer alone does not: the member's memory is right
 * until it restarts and replays its damaged log.
 *
 * @example
 * ```ts
 * import { mayHaveLostData, scanServerLog, type ZooKeeperMember } from "@zk/client/testing";
 * declare const member: ZooKeeperMember;
 * if (mayHaveLostData(scanServerLog(await member.logs()))) {
 *   console.log(`member ${member.id} lost transactions: blame ZooKeeper, not the client`);
 * }
 * ```
 */
export function mayHaveLostData(reports: readonly IntegrityReport[]): boolean {
  return reports.some((r) => r.problem !== "log-writer-died");
}
