/**
 * expireSession expires sessions on the server for real: the session's
 * ephemeral nodes disappear and its owner is told LOST.
 */
import assert from "node:assert/strict";
import { connect } from "../mod.ts";
import { SessionExpiredError } from "../lib/errors.ts";
import {
  clusterFixture,
  type ExpirableClient,
  expireSession,
  RawSession,
} from "../lib/testing/mod.ts";

const fixture = clusterFixture({ freePorts: true, size: 3 });

/**
 * A raw session standing in for a client: when its connection drops it
 * tries to resume the session once, like a client would, and reports LOST
 * if the server says the session expired.
 */
class StandIn implements ExpirableClient {
  listeners = new Set<(state: string) => void>();
  resumed: RawSession | undefined;
  settled: Promise<void>;
  constructor(readonly session: RawSession) {
    this.settled = session.closed.then(() => this.#resume());
  }
  get sessionId() {
    return this.session.sessionId;
  }
  get sessionPassword() {
    return this.session.sessionPassword;
  }
  get connectedAddress() {
    return this.session.address;
  }
  addListener(listener: (state: string) => void) {
    this.listeners.add(listener);
  }
  removeListener(listener: (state: string) => void) {
    this.listeners.delete(listener);
  }
  async #resume() {
    this.#emit("SUSPENDED");
    try {
      this.resumed = await RawSession.connect(this.session.address, {
        sessionId: this.sessionId,
        sessionPassword: this.sessionPassword,
      });
      this.#emit("CONNECTED");
    } catch (error) {
      if (!(error instanceof SessionExpiredError)) throw error;
      this.#emit("LOST");
    }
  }
  #emit(state: string) {
    for (const listener of this.listeners) listener(state);
  }
}

Deno.test("expireSession closes the session on the server: its ephemerals go and its owner sees LOST", async () => {
  const cluster = await fixture.cluster();
  const [first, second] = cluster.members;
  const owner = new StandIn(await RawSession.connect(first.address, { sessionTimeout: 20_000 }));
  try {
    await owner.session.create("/expire-me", "x", { ephemeral: true });
    const leader = (await cluster.leader())!;
    const hex = `0x${owner.sessionId.toString(16)}`;
    // `dump` on the leader lists the sessions that own ephemerals.
    assert.match(await leader.fourLetterWord("dump"), new RegExp(`${hex}:\\s+/expire-me`));
    const states: string[] = [];
    owner.addListener((state) => states.push(state));
    // Through another member than the owner's: sessions are ensemble-wide.
    await expireSession(owner, { address: second.address, timeout: 10_000 });
    assert.deepEqual(states, ["SUSPENDED", "LOST"]);
    await using observer = await RawSession.connect(first.address);
    assert.equal(await observer.exists("/expire-me"), false);
    assert.doesNotMatch(await leader.fourLetterWord("dump"), new RegExp(hex));
  } finally {
    await owner.settled;
    await owner.resumed?.close();
    await owner.session.disconnect();
  }
});

Deno.test("expireSession finds a member through the cluster option", async () => {
  const cluster = await fixture.cluster();
  const owner = new StandIn(await RawSession.connect(cluster.members[2].address));
  try {
    await owner.session.create("/expire-me-too", "x", { ephemeral: true });
    await expireSession(owner, { cluster });
    await using observer = await RawSession.connect(cluster.members[1].address);
    assert.equal(await observer.exists("/expire-me-too"), false);
  } finally {
    await owner.settled;
    await owner.session.disconnect();
  }
});

Deno.test("a real client loses its session to expireSession and opens a new one", async () => {
  const cluster = await fixture.cluster();
  await using zk = await connect(cluster.connectionString(), { sessionTimeout: 10_000 });
  await zk.create("/client-ephemeral", "x", { ephemeral: true });
  const before = zk.sessionId;
  await expireSession(zk, { cluster });
  await zk.retry(() => zk.exists("/"));
  assert.notEqual(zk.sessionId, before);
  assert.equal(await zk.exists("/client-ephemeral"), null);
});
