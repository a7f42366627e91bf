/**
 * A chaos worker: one client process that runs every workload at once and
 * writes what happened to stdout as JSON Lines (see `records.ts`). The
 * runner starts several with `deno run`, sends commands on stdin (`expire`,
 * `stop`) and reads the records.
 *
 * ```sh
 * deno run -A chaos/worker.ts '{"worker":0,"hosts":"127.0.0.1:2181","root":"/chaos","keys":5,"seed":1,"treeCache":true}'
 * ```
 *
 * @module
 */

import { connect } from "../mod.ts";
import { expireSession } from "../lib/testing/expire.ts";
import { now, type WorkerCommand, type WorkerRecord } from "./records.ts";
import {
  counterLoop,
  lockLoop,
  pause,
  queueConsumerLoop,
  queueProducerLoop,
  registerKeys,
  registerLoop,
  startTreeCache,
  trackSessions,
  treeWriterLoop,
  type WorkloadContext,
} from "./workloads.ts";
import { seededRandom } from "./random.ts";

/** How a worker is configured (one JSON argument). */
export interface WorkerConfig {
  worker: number;
  /** Connection string (the worker's proxies, or the user's ensemble). */
  hosts: string;
  /** The run's root znode (created by the runner). */
  root: string;
  /** Number of register keys. */
  keys: number;
  seed: number;
  /** Run the TreeCache (one worker does). */
  treeCache: boolean;
  /** Session timeout asked for, ms. */
  sessionTimeout: number;
  /** Register loops in this worker. */
  registerThreads: number;
  /** Whether this worker takes from the queue (every worker puts). */
  queueConsumer: boolean;
}

const encoder = new TextEncoder();

async function main(config: WorkerConfig): Promise<void> {
  const out = Deno.stdout;
  const emit = (record: WorkerRecord) => {
    out.writeSync(encoder.encode(JSON.stringify(record) + "\n"));
  };
  const log = (message: string) => emit({ t: "log", worker: config.worker, message, time: now() });
  const random = seededRandom(config.seed * 7919 + config.worker);
  const stopping = new AbortController();
  const zk = await connect(config.hosts, {
    sessionTimeout: config.sessionTimeout,
    logger: {
      warn: (...args: unknown[]) => log(`warn: ${args.map(String).join(" ")}`),
      error: (...args: unknown[]) => log(`error: ${args.map(String).join(" ")}`),
    },
  });
  let processes = 0;
  const ctx: WorkloadContext = {
    zk,
    worker: config.worker,
    root: config.root,
    stopping: stopping.signal,
    random,
    emit,
    nextProcess: () => config.worker * 100_000 + processes++,
  };
  const sessions = trackSessions(ctx);
  const tree = config.treeCache ? await startTreeCache(ctx) : undefined;
  const keys = registerKeys(config.keys);
  const loops = [
    ...Array.from({ length: config.registerThreads }, () => registerLoop(ctx, keys)),
    lockLoop(ctx),
    queueProducerLoop(ctx),
    ...(config.queueConsumer ? [queueConsumerLoop(ctx)] : []),
    counterLoop(ctx),
    treeWriterLoop(ctx),
  ].map((loop) => loop.catch((error) => log(`a workload loop died: ${error?.stack ?? error}`)));

  const expirations: Promise<void>[] = [];
  const commands = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
  let buffered = "";
  for await (const chunk of commands) {
    buffered += chunk;
    let newline;
    while ((newline = buffered.indexOf("\n")) >= 0) {
      const command = JSON.parse(buffered.slice(0, newline)) as WorkerCommand;
      buffered = buffered.slice(newline + 1);
      if (command.cmd === "expire") {
        expirations.push(
          expireSession(zk, { address: command.address, timeout: 30_000 })
            .then(() => log(`session expired on request`))
            .catch((error) => log(`could not expire the session: ${error}`)),
        );
      } else if (command.cmd === "stop") {
        stopping.abort();
      }
    }
    if (stopping.signal.aborted) break;
  }
  stopping.abort();
  await Promise.all(loops);
  await Promise.all(expirations);
  // The runner healed every fault before "stop": wait to be connected so the
  // end checks read the real tree and the session states are final.
  const connectedBy = now() + 30_000;
  while (zk.state !== "CONNECTED" && now() < connectedBy) await pause(100);
  await tree?.finish();
  sessions.stop();
  await zk.close();
  emit({ t: "done", worker: config.worker, time: now() });
}

if (import.meta.main) {
  await main(JSON.parse(Deno.args[0]) as WorkerConfig);
}
