/**
 * FaultProxy at the TCP level (against a local echo server) and against a
 * real server: a stall keeps the socket open but starves the session until
 * the server expires it.
 */
import assert from "node:assert/strict";
import { connect, createServer, type Server, type Socket } from "node:net";
import { FaultProxy, RawSession, ZooKeeperCluster } from "../lib/testing/mod.ts";
import { sleep } from "../lib/abort.ts";
import { eventually } from "./testing_helpers.ts";

/** An echo server that also counts the connections it saw closed. */
async function echoServer(): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on("data", (chunk) => socket.write(chunk));
    socket.on("error", () => {});
    socket.on("close", () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}

/** A client socket that collects what it receives. */
class Client {
  socket: Socket;
  received = "";
  ended = false;
  closed: Promise<void>;
  constructor(port: number) {
    this.socket = connect({ host: "127.0.0.1", port });
    this.socket.on("data", (chunk) => this.received += chunk.toString());
    this.socket.on("error", () => {});
    this.socket.on("end", () => this.ended = true);
    this.closed = new Promise((resolve) => this.socket.on("close", () => resolve()));
  }
  connected(): Promise<void> {
    return new Promise((resolve) => {
      if (!this.socket.connecting) resolve();
      else this.socket.once("connect", () => resolve());
    });
  }
  async close() {
    this.socket.destroy();
    await this.closed;
  }
}

Deno.test("the proxy passes bytes both ways", async () => {
  const echo = await echoServer();
  await using proxy = await FaultProxy.start({ host: "127.0.0.1", port: echo.port });
  const client = new Client(proxy.port);
  try {
    await client.connected();
    client.socket.write("hello");
    await eventually(() => client.received === "hello", "the echo");
    assert.equal(proxy.connections, 1);
    assert.equal(proxy.address, `127.0.0.1:${proxy.port}`);
  } finally {
    await client.close();
    await echo.close();
  }
});

Deno.test("a stall holds bytes in both directions on open sockets, and pass releases them in order", async () => {
  const echo = await echoServer();
  await using proxy = await FaultProxy.start(`127.0.0.1:${echo.port}`);
  const client = new Client(proxy.port);
  try {
    await client.connected();
    client.socket.write("a");
    await eventually(() => client.received === "a", "the first echo");
    proxy.stall();
    assert.equal(proxy.mode, "stall");
    client.socket.write("b");
    client.socket.write("c");
    await sleep(200);
    assert.equal(client.received, "a", "nothing gets through while stalled");
    assert.equal(client.socket.destroyed, false, "the socket stays open");
    proxy.pass();
    await eventually(() => client.received === "abc", "the held bytes");
  } finally {
    await client.close();
    await echo.close();
  }
});

Deno.test("cut closes every open connection; refuse closes new ones until accept", async () => {
  const echo = await echoServer();
  await using proxy = await FaultProxy.start({ host: "127.0.0.1", port: echo.port });
  const first = new Client(proxy.port);
  const second = new Client(proxy.port);
  await Promise.all([first.connected(), second.connected()]);
  await eventually(() => proxy.connections === 2, "two connections");
  await proxy.cut();
  await Promise.all([first.closed, second.closed]);
  assert.equal(proxy.connections, 0);

  proxy.refuse();
  const refused = new Client(proxy.port);
  await refused.closed;
  assert.equal(refused.received, "");

  proxy.accept();
  const welcome = new Client(proxy.port);
  try {
    await welcome.connected();
    welcome.socket.write("back");
    await eventually(() => welcome.received === "back", "the echo after accept");
  } finally {
    await welcome.close();
    await echo.close();
  }
});

Deno.test("latency delays every chunk in each direction", async () => {
  const echo = await echoServer();
  await using proxy = await FaultProxy.start({ host: "127.0.0.1", port: echo.port });
  proxy.latency(150);
  const client = new Client(proxy.port);
  try {
    await client.connected();
    const start = performance.now();
    client.socket.write("slow");
    await eventually(() => client.received === "slow", "the delayed echo");
    const elapsed = performance.now() - start;
    assert.ok(elapsed >= 290, `round trip took ${elapsed} ms, expected about 300`);
    proxy.latency(0);
    const again = performance.now();
    client.socket.write("fast");
    await eventually(() => client.received === "slowfast", "the prompt echo");
    assert.ok(performance.now() - again < 150);
  } finally {
    await client.close();
    await echo.close();
  }
});

Deno.test("a stalled proxy makes a connected session time out on the server", async () => {
  await using cluster = await ZooKeeperCluster.start({ freePorts: true });
  const [member] = cluster.members;
  await using proxy = await FaultProxy.start({ host: member.host, port: member.clientPort });
  const session = await RawSession.connect(proxy.address, { sessionTimeout: 1000 });
  try {
    await session.create("/stalled-owner", "x", { ephemeral: true });
    proxy.stall();
    await using observer = await RawSession.connect(member.address);
    await eventually(
      async () => !(await observer.exists("/stalled-owner")),
      "the stalled session's ephemeral to go",
      10_000,
    );
    assert.equal(session.connected, true, "the client side never saw the connection drop");
    proxy.pass();
    await session.closed; // the server closed the expired session's connection
  } finally {
    await session.disconnect();
  }
});
