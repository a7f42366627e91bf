/**
 * The checkers of the chaos suite's workloads other than registers: each
 * takes what the workers recorded (and what the runner read at the end) and
 * lists the anomalies, one line of explanation each.
 *
 * Times from different processes are compared with a margin (`slackMs`)
 * that only ever excuses: an overlap or a late node shorter than it is not
 * reported.
 *
 * @module
 */

import { type IntegrityReport, mayHaveLostData } from "../lib/testing/server_integrity.ts";
import type {
  CounterRecord,
  EphemeralRecord,
  LockRecord,
  QueueRecord,
  StateRecord,
  TreeEventRecord,
  TreeFinalRecord,
  TreeWriteRecord,
} from "./records.ts";

/** An anomaly one checker found. */
export interface WorkloadAnomaly {
  /** One line for the summary. */
  summary: string;
  /** When it happened (for the timeline), ms. */
  time: number;
  /** The records involved. */
  evidence: unknown[];
}

/** A checker's verdict. */
export interface WorkloadVerdict {
  checker: string;
  anomalies: WorkloadAnomaly[];
  /** Figures for the summary table. */
  stats: Record<string, number>;
  /** Findings that are not the client's anomalies but explain some (the server checker's). */
  notes?: string[];
}

/** Default margin for comparing times of different processes, ms. */
export const DEFAULT_SLACK_MS = 5;

/**
 * Lock: two holds whose ownership signals had not aborted must not overlap.
 * A hold counts from `acquire()` resolving until `release()` starts or its
 * signal aborts, whichever comes first.
 */
export function checkLock(
  holds: readonly LockRecord[],
  slackMs = DEFAULT_SLACK_MS,
): WorkloadVerdict {
  const intervals = holds.map((hold) => ({
    hold,
    start: hold.acquired,
    end: hold.lostAt === null ? hold.released : Math.min(hold.released, hold.lostAt),
  })).sort((a, b) => a.start - b.start);
  const anomalies: WorkloadAnomaly[] = [];
  let latest: (typeof intervals)[number] | undefined;
  for (const interval of intervals) {
    const overlap = latest === undefined ? 0 : Math.min(interval.end, latest.end) - interval.start;
    if (latest !== undefined && overlap > slackMs) {
      anomalies.push({
        summary: `process ${interval.hold.process} held the lock from ${
          iso(interval.start)
        } while process ${latest.hold.process} still held it (until ${iso(latest.end)}, ${
          overlap.toFixed(1)
        } ms of overlap)`,
        time: interval.start,
        evidence: [latest.hold, interval.hold],
      });
    }
    if (latest === undefined || interval.end > latest.end) latest = interval;
  }
  return {
    checker: "lock",
    anomalies,
    stats: {
      holds: holds.length,
      "holds lost": holds.filter((h) => h.lostAt !== null).length,
    },
  };
}

/**
 * Queue: every acknowledged put is taken exactly once or still queued at the
 * end; an item taken twice, or one nobody put, is an anomaly. Puts that
 * failed indeterminately may show up once or never, and acknowledged items
 * that vanished are excused only up to the number of takes whose outcome is
 * unknown (such a take may have removed an item without returning it).
 */
export function checkQueue(
  records: readonly QueueRecord[],
  remaining: readonly string[],
): WorkloadVerdict {
  const anomalies: WorkloadAnomaly[] = [];
  const put = new Map<string, QueueRecord>();
  for (const r of records) if (r.f === "put") put.set(r.item!, r);
  const taken = new Map<string, QueueRecord[]>();
  for (const r of records) {
    if (r.f !== "take" || r.outcome !== "ok" || r.item === null) continue;
    taken.set(r.item, [...(taken.get(r.item) ?? []), r]);
  }
  const left = new Map<string, number>();
  for (const item of remaining) left.set(item, (left.get(item) ?? 0) + 1);
  for (const [item, takes] of taken) {
    const copies = takes.length + (left.get(item) ?? 0);
    if (copies > 1) {
      anomalies.push({
        summary: `item ${item} was delivered ${copies} times (${takes.length} takes${
          left.has(item) ? ", and still queued at the end" : ""
        })`,
        time: takes[takes.length - 1].time,
        evidence: [put.get(item), ...takes],
      });
    }
  }
  for (const [item, r] of [...taken].map(([i, t]) => [i, t[0]] as const)) {
    if (!put.has(item)) {
      anomalies.push({
        summary: `item ${item} was taken but never put`,
        time: r.time,
        evidence: [r],
      });
    }
  }
  for (const [item, count] of left) {
    if (!put.has(item)) {
      anomalies.push({
        summary: `item ${item} is queued at the end but was never put`,
        time: 0,
        evidence: [{ item, count }],
      });
    }
  }
  const lost = [...put.values()].filter((r) =>
    r.outcome === "ok" && !taken.has(r.item!) && !left.has(r.item!)
  );
  const uncertainTakes = records.filter((r) => r.f === "take" && r.outcome === "info").length;
  if (lost.length > uncertainTakes) {
    anomalies.push({
      summary: `${lost.length} acknowledged items were never delivered nor left in the queue, ` +
        `but only ${uncertainTakes} takes failed indeterminately (first: ${lost[0].item})`,
      time: lost[0].time,
      evidence: lost.slice(0, 20),
    });
  }
  return {
    checker: "queue",
    anomalies,
    stats: {
      "puts ok": records.filter((r) => r.f === "put" && r.outcome === "ok").length,
      "puts info": records.filter((r) => r.f === "put" && r.outcome === "info").length,
      "takes ok": [...taken.values()].reduce((n, t) => n + t.length, 0),
      "takes info": uncertainTakes,
      "left at end": remaining.length,
      "lost (excused)": lost.length,
    },
  };
}

/**
 * Counter: the final value is the sum of the acknowledged adds plus some
 * subset of the indeterminate ones.
 */
export function checkCounter(records: readonly CounterRecord[], final: number): WorkloadVerdict {
  const ok = records.filter((r) => r.outcome === "ok");
  const info = records.filter((r) => r.outcome !== "ok");
  const base = ok.reduce((n, r) => n + r.delta, 0);
  const extra = final - base;
  // Subset sum over the indeterminate deltas (small positive ints).
  let reachable = new Set<number>([0]);
  for (const r of info) {
    const next = new Set(reachable);
    for (const s of reachable) if (s + r.delta <= extra) next.add(s + r.delta);
    reachable = next;
  }
  const anomalies: WorkloadAnomaly[] = [];
  if (!reachable.has(extra)) {
    const most = info.reduce((n, r) => n + r.delta, 0);
    anomalies.push({
      summary: `the counter ended at ${final}, but the acknowledged adds sum to ${base} and ` +
        `the indeterminate ones (${info.length}, at most ${most}) cannot make up ${extra}`,
      time: records.length > 0 ? records[records.length - 1].time : 0,
      evidence: [{ final, base, extra, indeterminate: info.map((r) => r.delta) }],
    });
  }
  return {
    checker: "counter",
    anomalies,
    stats: { "adds ok": ok.length, "adds info": info.length, final, "acked sum": base },
  };
}

/** One read of the ephemeral nodes by the runner's observer. */
export interface EphemeralObservation {
  start: number;
  end: number;
  names: string[];
}

/**
 * Ephemeral and session: a worker's node `w<worker>-<session>` must be seen
 * while its session is alive (from its acknowledged creation until the owner
 * closed the client, for a session that was never lost), must be gone within
 * `lostGraceMs` of its owner reporting the session LOST (else a zombie), and
 * no node is left after every client closed.
 *
 * The grace is not zero because ZooKeeper itself answers "session expired"
 * to a reconnecting client while the close (which deletes the ephemerals) is
 * still being committed, and a client that declares LOST on its own clock
 * (suspended longer than the session timeout) can be ahead of the server,
 * whose timers restart after a leader election. Both lags are counted in the
 * stats; a node outliving LOST by more than a session timeout is an anomaly.
 */
export function checkEphemerals(
  states: readonly StateRecord[],
  created: readonly EphemeralRecord[],
  observations: readonly EphemeralObservation[],
  leftAtEnd: readonly string[],
  lostGraceMs: number,
  slackMs = 100,
): WorkloadVerdict {
  const anomalies: WorkloadAnomaly[] = [];
  const lostAt = new Map<string, number>();
  const closingAt = new Map<number, number>();
  for (const s of states) {
    const key = `w${s.worker}-${s.session}`;
    if (s.state === "LOST" && !lostAt.has(key)) lostAt.set(key, s.time);
    if (s.state === "CLOSING") closingAt.set(s.worker, s.time);
  }
  const createdAt = new Map(created.map((c) => [c.name, c]));
  const zombies = new Set<string>();
  const late = new Map<string, number>();
  const vanished = new Set<string>();
  for (const observation of observations) {
    const seen = new Set(observation.names);
    for (const name of seen) {
      const lost = lostAt.get(name);
      if (lost === undefined || observation.start <= lost + slackMs) continue;
      const lag = observation.start - lost;
      if (lag <= lostGraceMs) {
        late.set(name, Math.max(late.get(name) ?? 0, lag));
        continue;
      }
      if (!zombies.has(name)) {
        zombies.add(name);
        anomalies.push({
          summary: `ephemeral ${name} still existed at ${iso(observation.start)}, ${
            (observation.start - lost).toFixed(0)
          } ms after its owner reported the session LOST`,
          time: observation.start,
          evidence: [observation, { lost }],
        });
      }
    }
    for (const [name, record] of createdAt) {
      if (seen.has(name) || lostAt.has(name) || vanished.has(name)) continue;
      const closing = closingAt.get(record.worker) ?? Infinity;
      if (record.time < observation.start - slackMs && observation.end < closing - slackMs) {
        vanished.add(name);
        anomalies.push({
          summary: `ephemeral ${name} was missing at ${
            iso(observation.start)
          } although its session was never lost`,
          time: observation.start,
          evidence: [observation, record],
        });
      }
    }
  }
  for (const name of leftAtEnd) {
    anomalies.push({
      summary: `ephemeral ${name} outlived its client's close`,
      time: 0,
      evidence: [name],
    });
  }
  return {
    checker: "ephemeral",
    anomalies,
    stats: {
      sessions: createdAt.size,
      "sessions lost": lostAt.size,
      "seen after LOST within grace": late.size,
      "max lag after LOST (ms)": Math.round(Math.max(0, ...late.values())),
      observations: observations.length,
    },
  };
}

/**
 * TreeCache: after the run the cache equals a fresh read of the tree, and
 * every node event it emitted matches a real change: its data was written to
 * that path (acknowledged or indeterminate), a removal follows a delete of
 * the path, and a path's modification zxids only grow.
 */
export function checkTreeCache(
  root: string,
  writes: readonly TreeWriteRecord[],
  events: readonly TreeEventRecord[],
  finals: readonly TreeFinalRecord[],
): WorkloadVerdict {
  const anomalies: WorkloadAnomaly[] = [];
  const written = new Map<string, Set<string>>();
  const deleted = new Set<string>();
  for (const w of writes) {
    if (w.outcome === "fail") continue;
    if (w.f === "delete") deleted.add(w.path);
    else {
      let set = written.get(w.path);
      if (set === undefined) written.set(w.path, set = new Set());
      set.add(w.data!);
    }
  }
  const lastZxid = new Map<string, bigint>();
  let nodeEvents = 0;
  for (const e of events) {
    if (e.type === "NODE_ADDED" || e.type === "NODE_UPDATED") {
      nodeEvents++;
      if (e.path !== root && !written.get(e.path)?.has(e.data ?? "")) {
        anomalies.push({
          summary: `${e.type} ${e.path} with data ${
            JSON.stringify(e.data)
          } that no write put there`,
          time: e.time,
          evidence: [e],
        });
      }
      if (e.mzxid !== null) {
        const zxid = BigInt(e.mzxid);
        const previous = lastZxid.get(e.path);
        if (previous !== undefined && zxid < previous) {
          anomalies.push({
            summary: `${e.type} ${e.path} went back in time: mzxid ${zxid} after ${previous}`,
            time: e.time,
            evidence: [e],
          });
        }
        lastZxid.set(e.path, zxid);
      }
    } else if (e.type === "NODE_REMOVED") {
      nodeEvents++;
      if (e.path !== root && !deleted.has(e.path) && !isUnderDeleted(e.path, deleted)) {
        anomalies.push({
          summary: `NODE_REMOVED ${e.path} although nothing deleted it`,
          time: e.time,
          evidence: [e],
        });
      }
    }
  }
  for (const final of finals) {
    if (!final.equal) {
      anomalies.push({
        summary: `after the run the cache differs from the tree at ${final.differences.length} ` +
          `path(s): ${
            final.differences.slice(0, 3).map((d) =>
              `${d.path} cached ${JSON.stringify(d.cached)} vs ${JSON.stringify(d.fresh)}`
            ).join("; ")
          }`,
        time: final.time,
        evidence: [final],
      });
    }
  }
  if (finals.length === 0) {
    anomalies.push({
      summary: "the TreeCache worker never reported its final comparison",
      time: 0,
      evidence: [],
    });
  }
  return {
    checker: "tree-cache",
    anomalies,
    stats: {
      writes: writes.length,
      "writes ok": writes.filter((w) => w.outcome === "ok").length,
      "node events": nodeEvents,
    },
  };
}

function isUnderDeleted(path: string, deleted: Set<string>): boolean {
  for (const d of deleted) if (path.startsWith(d + "/")) return true;
  return false;
}

/** What one member's log said about its data (ZooKeeper's own checks), read at the end of a run. */
export interface MemberIntegrity {
  /** The member's position in the ensemble, 0-based. */
  member: number;
  /** Its ZooKeeper id (`myid`). */
  id: number;
  /** The problems its log reports. */
  reports: IntegrityReport[];
}

/** When the first member reported losing committed transactions, if one did. */
export function serverLossTime(
  members: readonly MemberIntegrity[] | undefined,
): number | undefined {
  const times = (members ?? []).filter((m) => mayHaveLostData(m.reports)).flatMap((m) =>
    m.reports.filter((r) => r.problem !== "log-writer-died").map((r) => r.first)
  ).filter((t) => Number.isFinite(t));
  return times.length > 0 ? Math.min(...times) : undefined;
}

/**
 * Server: what ZooKeeper's own checks said in each member's log. ZooKeeper
 * 3.8 (and 3.9 before 3.9.3) can lose committed transactions on a follower
 * frozen while it logs and later restarted (ZOOKEEPER-4409, ZOOKEEPER-4712);
 * that member then serves a tree without them, and once it leads, deleted
 * nodes are back (a queue entry is taken twice). No client can prevent it,
 * so these are notes, not anomalies: they mark the other checkers'
 * anomalies from that time on as possibly the server's.
 */
export function checkServer(members: readonly MemberIntegrity[] | undefined): WorkloadVerdict {
  const notes: string[] = [];
  for (const m of members ?? []) {
    if (m.reports.length === 0) continue;
    const what = m.reports.map((r) => `${r.problem} x${r.count} from ${iso(r.first)}`).join(", ");
    notes.push(
      mayHaveLostData(m.reports)
        ? `member ${m.id} lost committed transactions (its log: ${what}): ZooKeeper's own ` +
          `bug (ZOOKEEPER-4409/4712, fixed in 3.9.3), not the client's`
        : `member ${m.id}'s log writer died (its log: ${what}); no loss was reported`,
    );
  }
  const reported = (problem: IntegrityReport["problem"]) =>
    (members ?? []).filter((m) => m.reports.some((r) => r.problem === problem)).length;
  return {
    checker: "server (zookeeper logs)",
    anomalies: [],
    notes,
    stats: {
      "members checked": members?.length ?? 0,
      "log writers died": reported("log-writer-died"),
      "members that lost data": (members ?? []).filter((m) => mayHaveLostData(m.reports)).length,
    },
  };
}

/** Whether something at `time` came at or after a member's reported loss (`since`). */
export function afterServerLoss(time: number | undefined, since: number | undefined): boolean {
  return since !== undefined && time !== undefined && time >= since;
}

/**
 * Marks the anomalies at or after `since` (when a member lost committed
 * transactions) as possibly the server's, in their summary line.
 */
export function attributeToServer(
  verdicts: readonly WorkloadVerdict[],
  since: number | undefined,
): WorkloadVerdict[] {
  if (since === undefined) return [...verdicts];
  return verdicts.map((v) => ({
    ...v,
    anomalies: v.anomalies.map((a) =>
      afterServerLoss(a.time, since)
        ? {
          ...a,
          summary: `${a.summary} [after a member lost committed transactions at ${
            iso(since)
          }: possibly ZooKeeper's, see the server notes]`,
        }
        : a
    ),
  }));
}

/** An ISO time with ms, for messages. */
export function iso(time: number): string {
  return Number.isFinite(time) ? new Date(time).toISOString() : String(time);
}
