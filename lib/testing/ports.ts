/**
 * Port checks for the harness: is a port free, and which free ports can a
 * cluster use.
 *
 * @module
 */

import { createServer, type Server } from "node:net";

/** A port the harness wanted was taken by another process. */
export class PortInUseError extends Error {
  /** The port that is taken. */
  readonly port: number;

  /** Makes the error; `what` says what the port was for. */
  constructor(port: number, what: string, options?: ErrorOptions) {
    super(
      `port ${port} (${what}) is already in use on 127.0.0.1. Another ZooKeeper or test run ` +
        "may hold it: stop it, set ZOOKEEPER_PORT_OFFSET, or pass portOffset or freePorts: true",
      options,
    );
    this.name = "PortInUseError";
    this.port = port;
  }
}

function listen(port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen({ host: "127.0.0.1", port, exclusive: true }, () => {
      server.off("error", reject);
      resolve(server);
    });
  });
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}

/** Throws {@linkcode PortInUseError} for the first port in `ports` that is taken. */
export async function assertPortsFree(ports: { port: number; what: string }[]): Promise<void> {
  for (const { port, what } of ports) {
    let server: Server;
    try {
      server = await listen(port);
    } catch (error) {
      if ((error as { code?: string }).code === "EADDRINUSE") {
        throw new PortInUseError(port, what, { cause: error });
      }
      throw error;
    }
    await close(server);
  }
}

/**
 * `count` distinct ports that were free a moment ago (the kernel picks them).
 * All are held open until every one is chosen, so none repeats.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    for (let i = 0; i < count; i++) servers.push(await listen(0));
    return servers.map((server) => (server.address() as { port: number }).port);
  } finally {
    await Promise.all(servers.map(close));
  }
}
