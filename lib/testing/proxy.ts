/**
 * A TCP proxy for fault tests: put it between a client and a server, then
 * stall, cut, refuse or slow down the traffic. This is how tests make
 * partitions and hung servers without root.
 *
 * @module
 */

import { connect as netConnect, createServer, type Server, type Socket } from "node:net";
import { parseAddress } from "./util.ts";

/** Options of {@linkcode FaultProxy.start}. */
export interface FaultProxyOptions {
  /** Port to listen on (default 0: the OS picks one). */
  port?: number;
  /** Delay added to every chunk in both directions, in ms (default 0). */
  latency?: number;
}

/** What the proxy currently does with traffic. */
export type FaultProxyMode = "pass" | "stall";

/** One direction of one proxied connection: chunks queued until due and not stalled. */
class Pipe {
  #queue: { data: Uint8Array; due: number }[] = [];
  #ended = false;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(readonly to: Socket, readonly proxy: FaultProxy) {}

  push(data: Uint8Array): void {
    this.#queue.push({ data, due: Date.now() + this.proxy.latencyMs });
    this.pump();
  }

  /** The source half-closed: pass the FIN on once everything before it is delivered. */
  end(): void {
    this.#ended = true;
    this.pump();
  }

  pump(): void {
    if (this.proxy.mode === "stall" || this.#timer !== undefined || this.to.destroyed) return;
    const now = Date.now();
    while (this.#queue.length > 0 && this.#queue[0].due <= now) {
      this.to.write(this.#queue.shift()!.data);
    }
    if (this.#queue.length > 0) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        this.pump();
      }, this.#queue[0].due - now);
    } else if (this.#ended) {
      this.to.end();
    }
  }

  dispose(): void {
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#queue = [];
  }
}

interface Connection {
  client: Socket;
  upstream: Socket;
  pipes: Pipe[];
  closed: Promise<void>;
}

/**
 * A TCP proxy in front of a server, with faults on demand. In `pass` mode it
 * forwards bytes both ways (after `latency` ms); `stall()` holds every byte
 * (and half-close) in both directions while keeping the sockets open, and
 * `pass()` releases them in order; `cut()` closes every open connection;
 * `refuse()` closes new connections as soon as they are accepted.
 *
 * @example A hung server
 * ```ts
 * import { FaultProxy, ZooKeeperCluster } from "@zk/client/testing";
 * await using cluster = await ZooKeeperCluster.start();
 * const member = cluster.members[0];
 * await using proxy = await FaultProxy.start({ host: member.host, port: member.clientPort });
 * // connect a client to proxy.address, then:
 * proxy.stall(); // the client's pings go unanswered: it will suspend, the session expire
 * proxy.pass();
 * ```
 */
export class FaultProxy implements AsyncDisposable {
  /** The host the proxy listens on (127.0.0.1). */
  readonly host: string = "127.0.0.1";
  /** The port the proxy listens on. */
  readonly port: number;
  /** The server behind the proxy. */
  readonly target: { host: string; port: number };

  #server: Server;
  #connections = new Set<Connection>();
  #mode: FaultProxyMode = "pass";
  #refusing = false;
  #latency: number;
  #closing: Promise<void> | undefined;
  #accepted = 0;

  private constructor(server: Server, target: { host: string; port: number }, latency: number) {
    this.#server = server;
    this.target = target;
    this.#latency = latency;
    this.port = (server.address() as { port: number }).port;
    server.on("connection", (client) => this.#accept(client));
  }

  /**
   * Listens on 127.0.0.1 and forwards to `target` (`"host:port"` or `{host, port}`).
   *
   * @example
   * ```ts
   * const proxy = await FaultProxy.start("127.0.0.1:2181");
   * const hosts = proxy.address; // give this to the client
   * ```
   */
  static async start(
    target: string | { host: string; port: number },
    options: FaultProxyOptions = {},
  ): Promise<FaultProxy> {
    // Before listening: a bad target must not leave a server behind.
    const { host, port } = parseAddress(target);
    // Half-open sockets let a FIN travel through the pipes like data, so a
    // stall holds a server's close too.
    const server = createServer({ allowHalfOpen: true });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen({ host: "127.0.0.1", port: options.port ?? 0 }, () => {
        server.off("error", reject);
        resolve();
      });
    });
    return new FaultProxy(server, { host, port }, options.latency ?? 0);
  }

  /** `host:port` of the proxy, for a client's connection string. */
  get address(): string {
    return `${this.host}:${this.port}`;
  }

  /** `"pass"` or `"stall"`. */
  get mode(): FaultProxyMode {
    return this.#mode;
  }

  /** The delay added to each chunk, in ms. */
  get latencyMs(): number {
    return this.#latency;
  }

  /** How many proxied connections are open now. */
  get connections(): number {
    return this.#connections.size;
  }

  /** How many connections the proxy has accepted so far (refused ones included). */
  get accepted(): number {
    return this.#accepted;
  }

  #accept(client: Socket): void {
    this.#accepted++;
    if (this.#refusing || this.#closing) {
      client.on("error", () => {});
      client.destroy();
      return;
    }
    client.setNoDelay(true);
    const upstream = netConnect({
      host: this.target.host,
      port: this.target.port,
      allowHalfOpen: true,
    });
    upstream.setNoDelay(true);
    const toUpstream = new Pipe(upstream, this);
    const toClient = new Pipe(client, this);
    const closed = Promise.all([
      new Promise<void>((resolve) => client.once("close", () => resolve())),
      new Promise<void>((resolve) => upstream.once("close", () => resolve())),
    ]).then(() => {});
    const connection: Connection = { client, upstream, pipes: [toUpstream, toClient], closed };
    this.#connections.add(connection);
    closed.then(() => this.#connections.delete(connection));
    client.on("error", () => {});
    upstream.on("error", () => {});
    // A side that closes after a clean FIN lets its pipe finish delivering to
    // the other side; one that closes abruptly (reset, error, refused) takes
    // the other side down at once.
    const link = (from: Socket, out: Pipe, into: Pipe, other: Socket) => {
      let ended = false;
      from.on("data", (chunk: Uint8Array) => out.push(chunk));
      from.on("end", () => {
        ended = true;
        out.end();
      });
      from.on("close", () => {
        into.dispose();
        if (!ended) {
          out.dispose();
          other.destroy();
        }
      });
    };
    link(client, toUpstream, toClient, upstream);
    link(upstream, toClient, toUpstream, client);
  }

  /** Forwards traffic again, releasing everything held by a stall in order. */
  pass(): void {
    this.#mode = "pass";
    for (const connection of this.#connections) {
      for (const pipe of connection.pipes) pipe.pump();
    }
  }

  /**
   * Stops forwarding in both directions; sockets stay open and bytes are
   * held until {@linkcode FaultProxy.pass}. New connections are accepted and
   * stalled too.
   */
  stall(): void {
    this.#mode = "stall";
  }

  /** Closes every open connection (both sides), like a crashed router. Resolves once they are closed. */
  async cut(): Promise<void> {
    const connections = [...this.#connections];
    for (const { client, upstream, pipes } of connections) {
      for (const pipe of pipes) pipe.dispose();
      client.destroy();
      upstream.destroy();
    }
    await Promise.all(connections.map((c) => c.closed));
  }

  /** Closes new connections as soon as they are accepted (open ones are untouched). */
  refuse(): void {
    this.#refusing = true;
  }

  /** Undoes {@linkcode FaultProxy.refuse}. */
  accept(): void {
    this.#refusing = false;
  }

  /** Delays every chunk from now on by `ms` in each direction (0 for none). */
  latency(ms: number): void {
    if (!(ms >= 0)) throw new RangeError(`latency must be >= 0, got ${ms}`);
    this.#latency = ms;
  }

  /** Stops listening and closes every connection. Idempotent. */
  close(): Promise<void> {
    return this.#closing ??= (async () => {
      const listening = new Promise<void>((resolve) => this.#server.close(() => resolve()));
      await this.cut();
      await listening;
    })();
  }

  /** Same as {@linkcode FaultProxy.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
