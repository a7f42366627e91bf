/**
 * Real ZooKeeper servers for tests: a standalone server or an ensemble (with
 * observers), each member a Java child process in its own temp folder, with
 * TLS, SASL, super-user, read-only, TTL and reconfig options, and members
 * that can be stopped, killed, paused and restarted.
 *
 * @module
 */

import { type ChildProcess, spawn } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import process from "node:process";
import { ConfigurationError } from "../errors.ts";
import { makeTempDir, PID_FILE, removeDir, sweepStale, trackChild } from "./cleanup.ts";
import { findZooKeeper, type ZooKeeperInstallation } from "./find.ts";
import {
  fourLetterWord,
  type FourLetterWordOptions,
  parseMode,
  type ServerMode,
} from "./four_letter_word.ts";
import { assertPortsFree, freePorts } from "./ports.ts";
import {
  HOST,
  jaasConfig,
  jvmArgs,
  loggingFiles,
  type MemberPorts,
  serverLine,
  zooCfg,
} from "./member_config.ts";
import { makeTlsMaterial, type ServerTlsFiles, type TlsMaterial } from "./tls.ts";
import { sleep } from "../abort.ts";
import { deadline, env, tail } from "./util.ts";

/** TLS settings of a cluster; see {@linkcode ZooKeeperClusterOptions.tls}. */
export interface ClusterTlsOptions {
  /**
   * Whether the secure port asks clients for a certificate: `"need"` refuses
   * clients without one signed by the CA, `"want"` checks one if offered,
   * `"none"` never asks. Default `"none"`.
   */
  clientAuth?: "need" | "want" | "none";
  /**
   * The DNS names and IPs in the server certificate (default
   * `["localhost", "127.0.0.1"]`). Give a name that is not the server's to
   * test that clients verify host names.
   */
  hostnames?: string[];
}

/** SASL DIGEST-MD5 settings; see {@linkcode ZooKeeperClusterOptions.sasl}. */
export interface ClusterSaslOptions {
  /** User names and their passwords, written to the server's JAAS file. */
  users: Record<string, string>;
  /**
   * Refuse every request from a session that has not authenticated with SASL
   * (`enforce.auth.enabled`, answered with `SESSION_CLOSED_REQUIRE_SASL_AUTH`).
   * Default false.
   */
  required?: boolean;
}

/** Options of {@linkcode ZooKeeperCluster.start}. */
export interface ZooKeeperClusterOptions {
  /** Voting members: 1 runs a standalone server (default 1). */
  size?: number;
  /** Observers, added after the voting members (default 0). */
  observers?: number;
  /**
   * Base port: member i (0-based) listens for clients on `portOffset + 10 * i`,
   * for the quorum on +1, for elections on +2 and for TLS clients on +3.
   * Default `ZOOKEEPER_PORT_OFFSET`, else 20000.
   */
  portOffset?: number;
  /** Let the OS pick free ports instead of using `portOffset` (default false). */
  freePorts?: boolean;
  /**
   * ZooKeeper's tick in ms (default 200). Sessions may time out between
   * 2 ticks and 60 s; followers drop a silent leader after 10 ticks.
   */
  tickTime?: number;
  /** Open a TLS client port on each member (Netty), with fresh certificates. */
  tls?: boolean | ClusterTlsOptions;
  /** Accept SASL DIGEST-MD5 logins for these users. */
  sasl?: ClusterSaslOptions;
  /** A `"user:password"` that becomes ZooKeeper's super user (digest scheme). */
  superDigest?: string;
  /**
   * Let a member that lost its quorum serve reads (`readonlymode.enabled`).
   * This also turns on local sessions (`localSessionsEnabled`, upgraded to
   * global ones on their first ephemeral), as kazoo's harness does: a
   * read-only server only admits new sessions as local ones.
   */
  readOnly?: boolean;
  /** Enable TTL nodes (`zookeeper.extendedTypesEnabled`). Containers always work. */
  extendedTypes?: boolean;
  /**
   * Enable dynamic reconfiguration (`reconfigEnabled`, a dynamic config file,
   * never standalone mode). `reconfig` needs a super user unless ACLs are off.
   */
  reconfig?: boolean;
  /** Extra `zoo.cfg` lines. */
  properties?: Record<string, string | number | boolean>;
  /** Extra Java system properties (`-Dkey=value`). */
  systemProperties?: Record<string, string | number | boolean>;
  /** Extra JVM options, after the harness's own. */
  jvmOptions?: string[];
  /** Where ZooKeeper and Java are (default {@linkcode findZooKeeper}). */
  installation?: ZooKeeperInstallation;
  /** Milliseconds to wait for the cluster to serve (default 60000). */
  startTimeout?: number;
  /** Aborts the start; everything started so far is stopped. */
  signal?: AbortSignal;
}

/** Options of {@linkcode ZooKeeperMember.start} and {@linkcode ZooKeeperMember.restart}. */
export interface MemberStartOptions {
  /**
   * Wait until the member serves requests (`srvr` reports a mode). Default
   * true; pass false when its quorum is down, to wait only for its port.
   */
  waitUntilServing?: boolean;
  /** Milliseconds to wait (default 60000). */
  timeout?: number;
  /** Aborts the wait (the process keeps running). */
  signal?: AbortSignal;
}

/** Options of {@linkcode ZooKeeperCluster.connectionString}. */
export interface ConnectionStringOptions {
  /** Use the members' TLS ports. */
  tls?: boolean;
  /** Append this chroot path. */
  chroot?: string;
  /** Only these members (default all, observers included). */
  members?: readonly ZooKeeperMember[];
}

/** Options of waits on a cluster. */
export interface WaitOptions {
  /** Aborts the wait. */
  signal?: AbortSignal;
  /** Milliseconds to wait (default 60000). */
  timeout?: number;
}

/** Runs java with stdout and stderr appended to a file, keeping java's pid. */
const LAUNCHER = 'out="$1"; shift; exec "$@" >>"$out" 2>&1';

interface MemberSetup extends MemberPorts {
  dir: string;
  java: string;
  args: string[];
}

/**
 * One ZooKeeper server of a {@linkcode ZooKeeperCluster}: a Java process
 * with its own folder, ports and log.
 *
 * @example
 * ```ts
 * import { ZooKeeperCluster } from "@zk/client/testing";
 * await using cluster = await ZooKeeperCluster.start({ size: 3 });
 * const leader = await cluster.leader();
 * await leader!.kill();
 * await cluster.waitUntilServing();
 * await leader!.start();
 * ```
 */
export class ZooKeeperMember {
  /** ZooKeeper's server id (`myid`), 1-based. */
  readonly id: number;
  /** Position in {@linkcode ZooKeeperCluster.members}, 0-based. */
  readonly index: number;
  /** Voting member or observer. */
  readonly role: "participant" | "observer";
  /** Always 127.0.0.1: members listen on loopback only. */
  readonly host: string = HOST;
  /** The plain client port. */
  readonly clientPort: number;
  /** The port followers use to talk to the leader. */
  readonly quorumPort: number;
  /** The leader-election port. */
  readonly electionPort: number;
  /** The TLS client port, when the cluster has TLS. */
  readonly securePort?: number;
  /** The member's folder: config, data, logs. */
  readonly dir: string;

  #java: string;
  #args: string[];
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();
  #exitCode: number | string | null = null;
  #paused = false;

  /** Made by {@linkcode ZooKeeperCluster.start}; not meant to be called directly. */
  constructor(setup: MemberSetup) {
    this.id = setup.id;
    this.index = setup.index;
    this.role = setup.role;
    this.clientPort = setup.clientPort;
    this.quorumPort = setup.quorumPort;
    this.electionPort = setup.electionPort;
    if (setup.securePort !== undefined) this.securePort = setup.securePort;
    this.dir = setup.dir;
    this.#java = setup.java;
    this.#args = setup.args;
  }

  /** `host:clientPort`. */
  get address(): string {
    return `${this.host}:${this.clientPort}`;
  }

  /** `host:securePort`, when the cluster has TLS. */
  get secureAddress(): string | undefined {
    return this.securePort === undefined ? undefined : `${this.host}:${this.securePort}`;
  }

  /** Whether the process is alive (also when paused). */
  get running(): boolean {
    return this.#child !== undefined;
  }

  /** Whether the process is stopped with SIGSTOP. */
  get paused(): boolean {
    return this.#paused;
  }

  /** The Java process id while running. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /**
   * Starts the process (resumes it if paused) and waits until it serves, or
   * only until its client port answers `ruok` with `{waitUntilServing: false}`.
   *
   * @throws when the process exits while starting; the message quotes its log.
   */
  async start(options: MemberStartOptions = {}): Promise<void> {
    if (this.#child === undefined) this.#spawn();
    else if (this.#paused) this.resume();
    const waitServing = options.waitUntilServing ?? true;
    const limit = deadline(
      options.timeout ?? 60_000,
      `starting ZooKeeper member ${this.id}`,
      options.signal,
    );
    try {
      for (;;) {
        if (this.#child === undefined) {
          throw new Error(
            `ZooKeeper member ${this.id} exited (${this.#exitCode}) while starting; its log:\n` +
              tail(await this.logs()),
          );
        }
        const ready = waitServing
          ? (await this.mode({ signal: limit.signal })) !== null
          : await this.#ruok(limit.signal);
        if (ready) return;
        await sleep(50, limit.signal);
      }
    } catch (error) {
      const timedOut = limit.signal.aborted && !options.signal?.aborted;
      if (timedOut && error === limit.signal.reason && this.#child !== undefined) {
        throw new Error(
          `ZooKeeper member ${this.id} did not ${
            waitServing ? "serve" : "open its port"
          } in time; its log:\n${tail(await this.logs())}`,
          { cause: error },
        );
      }
      throw error;
    } finally {
      limit.clear();
    }
  }

  async #ruok(signal: AbortSignal): Promise<boolean> {
    try {
      return (await this.fourLetterWord("ruok", { timeout: 1000, signal })) === "imok";
    } catch {
      return false;
    }
  }

  #spawn(): void {
    const child = spawn("/bin/sh", [
      "-c",
      LAUNCHER,
      "zk-member",
      join(this.dir, "out.log"),
      this.#java,
      ...this.#args,
    ], { stdio: "ignore", cwd: this.dir });
    this.#child = child;
    this.#paused = false;
    this.#exitCode = null;
    this.#exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        this.#exitCode = code ?? signal;
        if (this.#child === child) {
          this.#child = undefined;
          this.#paused = false;
        }
        resolve();
      });
    });
    child.on("error", () => {});
    trackChild(child);
    // A forgotten cluster must not keep the runtime alive; the exit hook kills it.
    child.unref();
    if (child.pid !== undefined) writeFileSync(join(this.dir, PID_FILE), String(child.pid));
  }

  async #signalAndWait(signal: "SIGTERM" | "SIGKILL", graceMs: number): Promise<void> {
    const child = this.#child;
    if (child === undefined) return;
    child.ref();
    try {
      if (this.#paused && signal !== "SIGKILL") sendSignal(child, "SIGCONT");
      sendSignal(child, signal);
      const timer = new Promise<"timeout">((resolve) => {
        const id = setTimeout(() => resolve("timeout"), graceMs);
        this.#exited.then(() => clearTimeout(id));
      });
      if ((await Promise.race([this.#exited, timer])) === "timeout") {
        sendSignal(child, "SIGKILL");
        await this.#exited;
      }
    } finally {
      child.unref();
    }
  }

  /** Stops the process with SIGTERM (SIGKILL after 10 s) and waits for it to exit. */
  stop(): Promise<void> {
    return this.#signalAndWait("SIGTERM", 10_000);
  }

  /** Kills the process with SIGKILL and waits for it to exit: a crash. */
  kill(): Promise<void> {
    return this.#signalAndWait("SIGKILL", 10_000);
  }

  /**
   * Freezes the process with SIGSTOP: its sockets stay open but nothing
   * answers, like a long GC pause or a hung machine.
   */
  pause(): void {
    if (this.#child === undefined) throw new Error(`ZooKeeper member ${this.id} is not running`);
    sendSignal(this.#child, "SIGSTOP");
    this.#paused = true;
  }

  /** Thaws a paused process with SIGCONT. */
  resume(): void {
    if (this.#child === undefined) throw new Error(`ZooKeeper member ${this.id} is not running`);
    sendSignal(this.#child, "SIGCONT");
    this.#paused = false;
  }

  /** {@linkcode ZooKeeperMember.stop}, then {@linkcode ZooKeeperMember.start}; the data is kept. */
  async restart(options: MemberStartOptions = {}): Promise<void> {
    await this.stop();
    await this.start(options);
  }

  /** The server's log, followed by anything the JVM printed. */
  async logs(): Promise<string> {
    const read = (name: string) => readFile(join(this.dir, name), "utf8").catch(() => "");
    const [log, out] = await Promise.all([read("zookeeper.log"), read("out.log")]);
    return log + (out ? `\n--- stdout/stderr ---\n${out}` : "");
  }

  /**
   * Sends a four-letter word to the plain client port.
   *
   * @example
   * ```ts
   * import type { ZooKeeperCluster } from "@zk/client/testing";
   * declare const cluster: ZooKeeperCluster;
   * console.log(await cluster.members[0].fourLetterWord("srvr"));
   * ```
   */
  fourLetterWord(word: string, options: FourLetterWordOptions = {}): Promise<string> {
    return fourLetterWord(this.host, this.clientPort, word, options);
  }

  /**
   * The member's role from `srvr`, or `null` when it does not serve (not
   * running, paused, or without a quorum).
   */
  async mode(options: FourLetterWordOptions = {}): Promise<ServerMode | null> {
    if (this.#child === undefined || this.#paused) return null;
    try {
      return parseMode(await this.fourLetterWord("srvr", { timeout: 2000, ...options }));
    } catch {
      return null;
    }
  }
}

/**
 * Signals a child by pid: Deno's `ChildProcess.kill` ignores every call after
 * the first one that succeeded, so SIGSTOP would make SIGCONT a no-op.
 */
function sendSignal(child: ChildProcess, signal: NodeJS.Signals): void {
  if (child.pid === undefined) return;
  try {
    process.kill(child.pid, signal);
  } catch (error) {
    if ((error as { code?: string }).code !== "ESRCH") throw error;
  }
}

/** The TLS material of a cluster, as PEM text (see {@linkcode ZooKeeperCluster.tls}). */
export type ClusterTls = TlsMaterial;

const tlsCache = new Map<string, Promise<ServerTlsFiles>>();
let tlsDir: string | undefined;
/** Never reused: a failed entry leaves the cache, but its folder (and half-made stores) stays. */
let tlsFolders = 0;

/** Certificates are made once per process and host name list: keytool is slow. */
function tlsFiles(java: string, hostnames: string[]): Promise<ServerTlsFiles> {
  const key = hostnames.join(",");
  let files = tlsCache.get(key);
  if (files === undefined) {
    tlsDir ??= makeTempDir({ cache: true });
    files = makeTlsMaterial(java, join(tlsDir, `tls-${tlsFolders++}`), hostnames);
    files.catch(() => tlsCache.delete(key));
    tlsCache.set(key, files);
  }
  return files;
}

/**
 * Four ports per member (client, quorum, election, TLS): free ones from the
 * OS with `freePorts`, else from `portOffset` (member i at offset + 10·i),
 * checked to be free so a clash is a clear error, not a hung start.
 */
async function allocatePorts(
  options: ZooKeeperClusterOptions,
  total: number,
  quorum: boolean,
  tls: boolean,
): Promise<number[]> {
  if (options.freePorts) return await freePorts(total * 4);
  const offset = options.portOffset ?? defaultPortOffset();
  if (offset + 10 * (total - 1) + 3 > 65535) {
    throw new ConfigurationError(`portOffset ${offset} leaves no room for ${total} members`);
  }
  const ports: number[] = [];
  const wanted: { port: number; what: string }[] = [];
  for (let i = 0; i < total; i++) {
    const base = offset + 10 * i;
    ports.push(base, base + 1, base + 2, base + 3);
    wanted.push({ port: base, what: `member ${i + 1} client port` });
    if (quorum) {
      wanted.push({ port: base + 1, what: `member ${i + 1} quorum port` });
      wanted.push({ port: base + 2, what: `member ${i + 1} election port` });
    }
    if (tls) wanted.push({ port: base + 3, what: `member ${i + 1} TLS port` });
  }
  await assertPortsFree(wanted);
  return ports;
}

function defaultPortOffset(): number {
  const text = env("ZOOKEEPER_PORT_OFFSET");
  if (text === undefined) return 20000;
  const offset = Number(text);
  if (!Number.isInteger(offset) || offset < 1 || offset > 65000) {
    throw new ConfigurationError(`ZOOKEEPER_PORT_OFFSET=${text} is not a port number`);
  }
  return offset;
}

/**
 * A ZooKeeper cluster of real servers: one standalone server, or an ensemble
 * with optional observers. Everything it starts is stopped and its folder
 * removed by {@linkcode ZooKeeperCluster.stop}, and also when the process
 * exits or is interrupted.
 *
 * @example Standalone
 * ```ts
 * import { ZooKeeperCluster } from "@zk/client/testing";
 * await using cluster = await ZooKeeperCluster.start();
 * console.log(cluster.connectionString()); // "127.0.0.1:20000"
 * ```
 *
 * @example Ensemble with TLS, faults on one member
 * ```ts
 * import { ZooKeeperCluster } from "@zk/client/testing";
 * await using cluster = await ZooKeeperCluster.start({ size: 3, tls: true, freePorts: true });
 * const hosts = cluster.connectionString({ tls: true, chroot: "/app" });
 * cluster.members[1].pause();
 * // ... the client should carry on with the other two ...
 * cluster.members[1].resume();
 * ```
 */
export class ZooKeeperCluster implements AsyncDisposable {
  /** The members: voting members first, then observers. */
  readonly members: readonly ZooKeeperMember[];
  /** The cluster's temp folder (one sub-folder per member). */
  readonly dir: string;
  /** Whether the members run as a quorum (ensemble, observers or reconfig) rather than standalone. */
  readonly quorum: boolean;
  /** Certificates and keys for clients, when started with `tls`. */
  readonly tls?: ClusterTls;

  #stopping: Promise<void> | undefined;

  private constructor(
    dir: string,
    members: ZooKeeperMember[],
    quorum: boolean,
    tls: ClusterTls | undefined,
  ) {
    this.dir = dir;
    this.members = members;
    this.quorum = quorum;
    if (tls !== undefined) this.tls = tls;
  }

  /**
   * Writes the configuration, starts every member and waits until the
   * cluster serves (every member reports a mode, and an ensemble has a
   * leader).
   *
   * @throws {PortInUseError} when a port it needs is taken.
   * @throws {ConfigurationError} when ZooKeeper or Java is missing, or an option is invalid.
   */
  static async start(options: ZooKeeperClusterOptions = {}): Promise<ZooKeeperCluster> {
    const size = options.size ?? 1;
    const observers = options.observers ?? 0;
    if (!Number.isInteger(size) || size < 1) {
      throw new ConfigurationError(`size must be a positive integer, got ${size}`);
    }
    if (!Number.isInteger(observers) || observers < 0) {
      throw new ConfigurationError(`observers must be a non-negative integer, got ${observers}`);
    }
    const installation = options.installation ?? findZooKeeper();
    const total = size + observers;
    const quorum = size > 1 || observers > 0 || options.reconfig === true;
    const tickTime = options.tickTime ?? 200;
    const tlsOptions = options.tls === true ? {} : options.tls || undefined;

    // Orphans of a killed earlier run may hold the very ports checked below.
    sweepStale();
    const ports = await allocatePorts(options, total, quorum, tlsOptions !== undefined);

    const dir = makeTempDir();
    const members: ZooKeeperMember[] = [];
    let cluster: ZooKeeperCluster | undefined;
    try {
      const tls = tlsOptions
        ? await tlsFiles(installation.java, tlsOptions.hostnames ?? ["localhost", "127.0.0.1"])
        : undefined;
      let jaasFile: string | undefined;
      if (options.sasl) {
        jaasFile = join(dir, "jaas.conf");
        writeFileSync(jaasFile, jaasConfig(options.sasl.users));
      }
      const setups: MemberPorts[] = Array.from({ length: total }, (_, i) => ({
        id: i + 1,
        index: i,
        role: i < size ? "participant" as const : "observer" as const,
        clientPort: ports[4 * i],
        quorumPort: ports[4 * i + 1],
        electionPort: ports[4 * i + 2],
        securePort: tls ? ports[4 * i + 3] : undefined,
      }));
      const serverLines = setups.map((m) => serverLine(m, options.reconfig === true));
      for (const setup of setups) {
        const memberDir = join(dir, `member-${setup.id}`);
        const dataDir = join(memberDir, "data");
        mkdirSync(dataDir, { recursive: true });
        writeFileSync(join(dataDir, "myid"), `${setup.id}\n`);
        let dynamicConfigFile: string | undefined;
        if (quorum && options.reconfig) {
          dynamicConfigFile = join(memberDir, "zoo.cfg.dynamic");
          writeFileSync(dynamicConfigFile, serverLines.join("\n") + "\n");
        }
        const cfgFile = join(memberDir, "zoo.cfg");
        const cfg = zooCfg({
          member: setup,
          dataDir,
          tickTime,
          quorum,
          serverLines,
          dynamicConfigFile,
          localSessions: options.readOnly === true,
          tls: tls && { ...tls, clientAuth: tlsOptions?.clientAuth ?? "none" },
          sasl: options.sasl && { required: options.sasl.required === true },
          properties: options.properties,
        });
        writeFileSync(cfgFile, cfg.join("\n") + "\n");
        const logging = loggingFiles(join(memberDir, "zookeeper.log"));
        const log4jFile = join(memberDir, "log4j.properties");
        const logbackFile = join(memberDir, "logback.xml");
        writeFileSync(log4jFile, logging.log4j);
        writeFileSync(logbackFile, logging.logback);
        const args = jvmArgs({
          memberDir,
          log4jFile,
          logbackFile,
          jaasFile,
          superDigest: options.superDigest,
          readOnly: options.readOnly,
          extendedTypes: options.extendedTypes,
          systemProperties: options.systemProperties,
          jvmOptions: options.jvmOptions,
          classpath: installation.classpath,
          cfgFile,
        });
        members.push(
          new ZooKeeperMember({ ...setup, dir: memberDir, java: installation.java, args }),
        );
      }

      const publicTls: ClusterTls | undefined = tls && {
        caCert: tls.caCert,
        clientCert: tls.clientCert,
        clientKey: tls.clientKey,
        untrustedCaCert: tls.untrustedCaCert,
        untrustedClientCert: tls.untrustedClientCert,
        untrustedClientKey: tls.untrustedClientKey,
        hostnames: tls.hostnames,
      };
      cluster = new ZooKeeperCluster(dir, members, quorum, publicTls);
      const timeout = options.startTimeout ?? 60_000;
      await Promise.all(
        members.map((m) => m.start({ waitUntilServing: false, timeout, signal: options.signal })),
      );
      await cluster.waitUntilServing({ timeout, signal: options.signal });
      return cluster;
    } catch (error) {
      if (cluster) await cluster.stop();
      else {
        await Promise.all(members.map((m) => m.kill()));
        removeDir(dir);
      }
      throw error;
    }
  }

  /**
   * The connection string for clients: `host:port,...` of every member (or
   * of `members`), their TLS ports with `tls`, then `chroot`.
   *
   * @example
   * ```ts
   * import type { ZooKeeperCluster } from "@zk/client/testing";
   * declare const cluster: ZooKeeperCluster;
   * cluster.connectionString({ chroot: "/test-1" }); // "127.0.0.1:20000,127.0.0.1:20010,.../test-1"
   * ```
   */
  connectionString(options: ConnectionStringOptions = {}): string {
    const members = options.members ?? this.members;
    const hosts = members.map((m) => {
      if (!options.tls) return m.address;
      if (m.secureAddress === undefined) {
        throw new ConfigurationError("this cluster was started without tls");
      }
      return m.secureAddress;
    });
    return hosts.join(",") + (options.chroot ?? "");
  }

  /**
   * The member that leads (or the standalone server), if any serves right
   * now. A leader thawed after a pause may claim to lead for a moment next to
   * the new one: call {@linkcode ZooKeeperCluster.waitUntilServing} first.
   */
  async leader(): Promise<ZooKeeperMember | undefined> {
    const live = this.members.filter((m) => m.running && !m.paused);
    const modes = await Promise.all(live.map((m) => m.mode()));
    const index = modes.findIndex((mode) => mode === "leader" || mode === "standalone");
    return index < 0 ? undefined : live[index];
  }

  /**
   * Waits until every running, unpaused member serves requests and exactly
   * one of them leads (or is the standalone server). Stopped and paused
   * members are skipped.
   */
  async waitUntilServing(options: WaitOptions = {}): Promise<void> {
    const timeout = options.timeout ?? 60_000;
    const limit = deadline(timeout, "waiting for the ZooKeeper cluster to serve", options.signal);
    try {
      for (;;) {
        const live = this.members.filter((m) => m.running && !m.paused);
        if (live.length === 0) throw new Error("no ZooKeeper member is running");
        // The caller's signal, not the deadline's: a probe cut short by the
        // deadline would report a serving member as "not serving".
        const modes = await Promise.all(live.map((m) => m.mode({ signal: options.signal })));
        // Exactly one leader: a leader thawed after a pause still says "leader"
        // until it notices its followers left (syncLimit), next to the new one.
        const leaders = modes.filter((mode) => mode === "leader" || mode === "standalone");
        if (modes.every((mode) => mode !== null) && leaders.length === 1) return;
        try {
          await sleep(100, limit.signal);
        } catch (error) {
          if (error !== limit.signal.reason || options.signal?.aborted) throw error;
          const states = live.map((m, i) => `member ${m.id}: ${modes[i] ?? "not serving"}`);
          const logs = await Promise.all(
            live.filter((_, i) => modes[i] === null).map(async (m) =>
              `--- member ${m.id} log ---\n${tail(await m.logs(), 15)}`
            ),
          );
          throw new Error(
            `ZooKeeper cluster did not serve within ${timeout} ms (${states.join(", ")})\n` +
              logs.join("\n"),
            { cause: error },
          );
        }
      }
    } finally {
      limit.clear();
    }
  }

  /**
   * Stops every member (SIGTERM, then waits) and removes the cluster's
   * folder. Idempotent.
   */
  stop(): Promise<void> {
    return this.#stopping ??= (async () => {
      await Promise.all(this.members.map((m) => m.stop()));
      removeDir(this.dir);
    })();
  }

  /** Same as {@linkcode ZooKeeperCluster.stop}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.stop();
  }
}
