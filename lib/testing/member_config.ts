/**
 * The files and arguments of one cluster member, as plain builders: the
 * `zoo.cfg` settings, the server line of each member, the JAAS file for
 * SASL, the logging configuration, and the JVM's command line. The cluster
 * writes what they return; nothing here touches the disk.
 *
 * @module
 */

import { ConfigurationError } from "../errors.ts";
import { makeDigestCredential } from "../acl.ts";

/** Where members listen (the harness never leaves the loopback). */
export const HOST = "127.0.0.1";
/** The server's main class, for an ensemble and a standalone server alike. */
export const MAIN_CLASS = "org.apache.zookeeper.server.quorum.QuorumPeerMain";
/** Lean JVMs: tests start many and none needs much. */
export const JVM_FLAGS: readonly string[] = [
  "-Xmx256m",
  "-XX:+UseSerialGC",
  "-XX:TieredStopAtLevel=1",
  "-Xshare:auto",
  "-XX:-UsePerfData",
  "-Djava.awt.headless=true",
  "-Dfile.encoding=UTF-8",
];

/** One member's identity and ports. */
export interface MemberPorts {
  /** `myid`, from 1. */
  id: number;
  /** Position in the cluster, from 0. */
  index: number;
  /** A voting member or an observer. */
  role: "participant" | "observer";
  /** The plain client port. */
  clientPort: number;
  /** The port followers use to reach the leader. */
  quorumPort: number;
  /** The leader election port. */
  electionPort: number;
  /** The TLS client port, when the cluster has TLS. */
  securePort: number | undefined;
}

/** `zoo.cfg` values. */
export type Settings = Record<string, string | number | boolean>;

/** The keystores of a TLS cluster, as `zoo.cfg` needs them. */
export interface ServerKeystores {
  /** PKCS#12 keystore with the server's key and certificate. */
  keyStore: string;
  /** PKCS#12 truststore with the CA. */
  trustStore: string;
  /** Password of both stores. */
  password: string;
}

/** What {@linkcode zooCfg} needs to know about the cluster. */
export interface ZooCfgInput {
  /** The member. */
  member: MemberPorts;
  /** Its data folder. */
  dataDir: string;
  /** ZooKeeper's tick, ms. */
  tickTime: number;
  /** An ensemble (or a reconfigurable single member) rather than a standalone server. */
  quorum: boolean;
  /** Every member's server line. */
  serverLines: readonly string[];
  /** With reconfig: the dynamic configuration file the server lines go to. */
  dynamicConfigFile?: string;
  /** Local sessions and their upgrade (what read-only servers need). */
  localSessions: boolean;
  /** TLS keystores and the client-certificate policy. */
  tls?: ServerKeystores & { clientAuth: "need" | "want" | "none" };
  /** SASL: enabled, and whether it is required. */
  sasl?: { required: boolean };
  /** Extra settings, applied last. */
  properties?: Settings;
}

/** A member's line in the server list (`server.N=host:quorum:election:role[;client]`). */
export function serverLine(member: MemberPorts, reconfig: boolean): string {
  return `server.${member.id}=${HOST}:${member.quorumPort}:${member.electionPort}:${member.role}` +
    (reconfig ? `;${HOST}:${member.clientPort}` : "");
}

/** The lines of a member's `zoo.cfg`. */
export function zooCfg(input: ZooCfgInput): string[] {
  const { member, tickTime, quorum, tls, sasl } = input;
  const reconfig = input.dynamicConfigFile !== undefined;
  const cfg: Settings = {
    tickTime,
    initLimit: 10,
    syncLimit: 10,
    dataDir: input.dataDir,
    minSessionTimeout: 2 * tickTime,
    maxSessionTimeout: Math.max(60_000, 20 * tickTime),
    maxClientCnxns: 0,
    "admin.enableServer": false,
    "4lw.commands.whitelist": "*",
    localSessionsEnabled: input.localSessions,
    localSessionsUpgradingEnabled: input.localSessions,
    // Test data need not survive a power cut; fsync would dominate latency.
    forceSync: "no",
    preAllocSize: 1024,
  };
  if (!reconfig) {
    cfg.clientPort = member.clientPort;
    cfg.clientPortAddress = HOST;
  }
  if (quorum) {
    cfg.standaloneEnabled = false;
    cfg.reconfigEnabled = reconfig;
    if (member.role === "observer") cfg.peerType = "observer";
    if (reconfig) cfg.dynamicConfigFile = input.dynamicConfigFile!;
  }
  if (tls) {
    cfg.secureClientPort = member.securePort!;
    cfg.secureClientPortAddress = HOST;
    cfg.serverCnxnFactory = "org.apache.zookeeper.server.NettyServerCnxnFactory";
    cfg["ssl.keyStore.location"] = tls.keyStore;
    cfg["ssl.keyStore.password"] = tls.password;
    cfg["ssl.keyStore.type"] = "PKCS12";
    cfg["ssl.trustStore.location"] = tls.trustStore;
    cfg["ssl.trustStore.password"] = tls.password;
    cfg["ssl.trustStore.type"] = "PKCS12";
    cfg["ssl.clientAuth"] = tls.clientAuth;
  }
  if (sasl) {
    cfg["authProvider.1"] = "org.apache.zookeeper.server.auth.SASLAuthenticationProvider";
    if (sasl.required) {
      cfg["enforce.auth.enabled"] = true;
      cfg["enforce.auth.schemes"] = "sasl";
      cfg.sessionRequireClientSASLAuth = true;
    }
  }
  Object.assign(cfg, input.properties);
  const lines = Object.entries(cfg).map(([key, value]) => `${key}=${value}`);
  if (quorum && !reconfig) lines.push(...input.serverLines);
  return lines;
}

/** The JAAS file that gives the server its SASL DIGEST-MD5 users. */
export function jaasConfig(users: Readonly<Record<string, string>>): string {
  const entries = Object.entries(users).map(([user, password]) =>
    `  user_${user}=${JSON.stringify(password)}`
  );
  return `Server {\n  org.apache.zookeeper.server.auth.DigestLoginModule required\n${
    entries.join("\n")
  };\n};\n`;
}

/** log4j (ZooKeeper before 3.8) and logback (3.8+) settings that log to `logFile`. */
export function loggingFiles(logFile: string): { log4j: string; logback: string } {
  const pattern = "%d{ISO8601} - %-5p [%t:%C{1}@%L] - %m%n";
  return {
    log4j: [
      "log4j.rootLogger=INFO, FILE",
      "log4j.appender.FILE=org.apache.log4j.FileAppender",
      `log4j.appender.FILE.File=${logFile}`,
      "log4j.appender.FILE.layout=org.apache.log4j.PatternLayout",
      `log4j.appender.FILE.layout.ConversionPattern=${pattern}`,
    ].join("\n") + "\n",
    logback:
      `<configuration>\n  <appender name="FILE" class="ch.qos.logback.core.FileAppender">\n` +
      `    <file>${xml(logFile)}</file>\n` +
      `    <encoder><pattern>${pattern}</pattern></encoder>\n` +
      `  </appender>\n  <root level="INFO"><appender-ref ref="FILE"/></root>\n` +
      `</configuration>\n`,
  };
}

/** What {@linkcode jvmArgs} needs. */
export interface JvmInput {
  /** The member's folder (logs go there). */
  memberDir: string;
  /** The log4j and logback files of {@linkcode loggingFiles}. */
  log4jFile: string;
  /** The logback file. */
  logbackFile: string;
  /** The JAAS file, for SASL. */
  jaasFile?: string;
  /** `user:password` of a super user. */
  superDigest?: string;
  /** Let a member without quorum serve reads. */
  readOnly?: boolean;
  /** TTL and container nodes. */
  extendedTypes?: boolean;
  /** More `-D` properties. */
  systemProperties?: Readonly<Record<string, string | number | boolean>>;
  /** More JVM options. */
  jvmOptions?: readonly string[];
  /** The server's class path. */
  classpath: string;
  /** Its `zoo.cfg`. */
  cfgFile: string;
}

/** The JVM's command line for one member (without the `java` executable). */
export function jvmArgs(input: JvmInput): string[] {
  const props: Settings = {
    "zookeeper.log.dir": input.memberDir,
    "zookeeper.log.file": "zookeeper.log",
    "log4j.configuration": `file:${input.log4jFile}`,
    "logback.configurationFile": input.logbackFile,
    "zookeeper.admin.enableServer": false,
    "zookeeper.jmx.log4j.disable": true,
  };
  if (input.jaasFile) props["java.security.auth.login.config"] = input.jaasFile;
  if (input.superDigest) {
    props["zookeeper.DigestAuthenticationProvider.superDigest"] = digest(input.superDigest);
  }
  if (input.readOnly) props["readonlymode.enabled"] = true;
  if (input.extendedTypes) props["zookeeper.extendedTypesEnabled"] = true;
  Object.assign(props, input.systemProperties);
  return [
    ...JVM_FLAGS,
    ...Object.entries(props).map(([key, value]) => `-D${key}=${value}`),
    ...(input.jvmOptions ?? []),
    "-cp",
    input.classpath,
    MAIN_CLASS,
    input.cfgFile,
  ];
}

/**
 * ZooKeeper's digest form of `"user:password"`: `user:base64(sha1(user:password))`,
 * what `superDigest` and digest ACLs hold.
 *
 * @example
 * ```ts
 * import { digest } from "@zk/client/testing";
 * digest("super:secret"); // "super:..."
 * ```
 */
export function digest(userAndPassword: string): string {
  const colon = userAndPassword.indexOf(":");
  if (colon < 0) throw new ConfigurationError(`expected "user:password", got ${userAndPassword}`);
  return makeDigestCredential(
    userAndPassword.slice(0, colon),
    userAndPassword.slice(colon + 1),
  );
}

function xml(text: string): string {
  return text.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
}
