/**
 * The nemesis: injects faults into the ensemble and between clients and
 * members while the workloads run, one or several at a time, and records
 * each fault's window for the report.
 *
 * Faults: kill a member and restart it, pause one (SIGSTOP) and resume it,
 * stall the proxy between a worker and its member (a partition), stall all
 * of a worker's proxies (the worker isolated), cut a worker's connection and
 * refuse new ones for a while, and expire a worker's session for real.
 * Member faults target the leader, a random member or the member a worker is
 * connected to, and never take down more members than the quorum can lose.
 *
 * @module
 */

import type { FaultProxy, ZooKeeperCluster, ZooKeeperMember } from "../lib/testing/mod.ts";
import { now } from "./records.ts";
import { pause } from "./workloads.ts";

/** The kinds of fault. */
export type FaultKind = "kill" | "pause" | "partition" | "isolate" | "cut" | "expire";

/** Every kind, in the order the report lists them. */
export const FAULT_KINDS: readonly FaultKind[] = [
  "kill",
  "pause",
  "partition",
  "isolate",
  "cut",
  "expire",
];

/** One fault injected. */
export interface FaultRecord {
  kind: FaultKind;
  /** What it hit, for people: "member 2 (leader)", "worker 1 <-> member 3". */
  target: string;
  /** Member index hit (member faults and partitions), if any. */
  member: number | null;
  /** Worker hit (client faults), if any. */
  worker: number | null;
  start: number;
  /** When it was healed (start for instantaneous faults); null if never healed. */
  end: number | null;
  /** Why it could not be injected, if it could not. */
  error?: string;
}

/** What the nemesis drives. */
export interface NemesisTargets {
  cluster: ZooKeeperCluster;
  /** proxies[worker][member]. */
  proxies: FaultProxy[][];
  /** The member index a worker is connected to now, if known. */
  memberOf(worker: number): number | undefined;
  /** Asks a worker to expire its own session through `address`. */
  expire(worker: number, address: string): void;
}

/** Options of {@linkcode runNemesis}. */
export interface NemesisOptions {
  random: () => number;
  /** Stops injecting; active faults are healed at once. */
  signal: AbortSignal;
  /** The kinds to use (default all). */
  kinds?: readonly FaultKind[];
  /** At most this many faults at once (default 2). */
  maxConcurrent?: number;
  /** Fault durations, ms (default 1000..5000). */
  minDurationMs?: number;
  maxDurationMs?: number;
  /** Gap between injections, ms (default 1000..3000). */
  minGapMs?: number;
  maxGapMs?: number;
  /** Called for each fault as it starts and as it ends. */
  onFault?: (fault: FaultRecord) => void;
}

interface ActiveFault {
  record: FaultRecord;
  done: Promise<void>;
}

/**
 * Injects faults until `signal` aborts, then heals what is active and
 * resolves with every fault injected.
 */
export async function runNemesis(
  targets: NemesisTargets,
  options: NemesisOptions,
): Promise<FaultRecord[]> {
  const { random, signal } = options;
  const kinds = options.kinds ?? FAULT_KINDS;
  const maxConcurrent = options.maxConcurrent ?? 2;
  const between = (lo: number, hi: number) => lo + random() * (hi - lo);
  const members = targets.cluster.members;
  const maxMembersDown = Math.floor((members.length - 1) / 2);
  const down = new Set<number>();
  const busyWorkers = new Set<number>();
  const faults: FaultRecord[] = [];
  const active = new Set<ActiveFault>();
  const workers = targets.proxies.length;

  const pickMember = async (): Promise<{ index: number; why: string } | undefined> => {
    const candidates = members.map((_, i) => i).filter((i) => !down.has(i));
    if (candidates.length === 0) return undefined;
    const dice = random();
    if (dice < 0.4) {
      const leader = await targets.cluster.leader().catch(() => undefined);
      if (leader !== undefined && !down.has(leader.index)) {
        return { index: leader.index, why: "leader" };
      }
    } else if (dice < 0.7) {
      const worker = Math.floor(random() * workers);
      const index = targets.memberOf(worker);
      if (index !== undefined && !down.has(index)) {
        return { index, why: `worker ${worker}'s member` };
      }
    }
    return { index: candidates[Math.floor(random() * candidates.length)], why: "random" };
  };

  const inject = async (kind: FaultKind): Promise<ActiveFault | undefined> => {
    const duration = between(options.minDurationMs ?? 1000, options.maxDurationMs ?? 5000);
    const record: FaultRecord = {
      kind,
      target: "",
      member: null,
      worker: null,
      start: now(),
      end: null,
    };
    let heal: () => Promise<void> | void;
    if (kind === "kill" || kind === "pause") {
      if (down.size >= maxMembersDown) return undefined;
      const picked = await pickMember();
      if (picked === undefined) return undefined;
      const member: ZooKeeperMember = members[picked.index];
      down.add(picked.index);
      record.member = picked.index;
      record.target = `member ${member.id} (${picked.why})`;
      record.start = now();
      if (kind === "kill") {
        await member.kill();
        heal = async () => {
          await member.start({ timeout: 120_000 });
        };
      } else {
        member.pause();
        heal = () => member.resume();
      }
      heal = ((inner) => async () => {
        try {
          await inner();
        } finally {
          down.delete(picked.index);
        }
      })(heal);
    } else {
      const free = Array.from({ length: workers }, (_, i) => i).filter((w) => !busyWorkers.has(w));
      if (free.length === 0) return undefined;
      const worker = free[Math.floor(random() * free.length)];
      const proxies = targets.proxies[worker];
      record.worker = worker;
      if (kind === "expire") {
        const live = members.filter((m) => m.running && !m.paused);
        if (live.length === 0) return undefined;
        const through = live[Math.floor(random() * live.length)];
        record.target = `worker ${worker}'s session (through member ${through.id})`;
        record.start = record.end = now();
        targets.expire(worker, through.address);
        faults.push(record);
        options.onFault?.(record);
        return undefined;
      }
      busyWorkers.add(worker);
      if (kind === "isolate") {
        record.target = `worker ${worker} from every member`;
        for (const proxy of proxies) proxy.stall();
        heal = () => {
          for (const proxy of proxies) proxy.pass();
        };
      } else {
        const index = targets.memberOf(worker) ??
          Math.floor(random() * proxies.length);
        const proxy = proxies[index];
        record.member = index;
        record.target = `worker ${worker} <-> member ${members[index].id}`;
        if (kind === "partition") {
          proxy.stall();
          heal = () => proxy.pass();
        } else {
          proxy.refuse();
          await proxy.cut();
          heal = () => proxy.accept();
        }
      }
      heal = ((inner) => async () => {
        try {
          await inner();
        } finally {
          busyWorkers.delete(worker);
        }
      })(heal);
    }
    faults.push(record);
    options.onFault?.(record);
    const done = (async () => {
      await pause(duration, signal);
      try {
        await heal();
      } catch (error) {
        record.error = `healing failed: ${error}`;
      }
      record.end = now();
      options.onFault?.(record);
    })();
    return { record, done };
  };

  while (!signal.aborted) {
    await pause(between(options.minGapMs ?? 1000, options.maxGapMs ?? 3000), signal);
    if (signal.aborted || active.size >= maxConcurrent) continue;
    const kind = kinds[Math.floor(random() * kinds.length)];
    try {
      const fault = await inject(kind);
      if (fault !== undefined) {
        active.add(fault);
        fault.done.finally(() => active.delete(fault));
      }
    } catch (error) {
      faults.push({
        kind,
        target: "(not injected)",
        member: null,
        worker: null,
        start: now(),
        end: now(),
        error: String(error),
      });
    }
  }
  await Promise.all([...active].map((fault) => fault.done));
  return faults;
}
