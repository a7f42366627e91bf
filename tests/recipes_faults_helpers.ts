/**
 * Fault arrangements for the recipe tests: the exact moments at which a
 * recipe's promise used to break.
 */
import { State, type ZooKeeperClient } from "../mod.ts";
import { type FaultProxy, RawSession, type ZooKeeperMember } from "../lib/testing/mod.ts";
import { cutOff, nextState } from "./helpers.ts";

/**
 * `zk` (talking to `member` through `proxy`) declares LOST on its own clock
 * while the server still holds its old session, then gets a new one.
 *
 * The cut-off client cannot ping; a raw connection takes its session over
 * with the id and password and keeps pinging, so the server keeps the old
 * session (and its ephemerals) for as long as the test wants, like a server
 * restarted after an outage longer than the session or a partition that
 * heals late. Resolves with that raw session once `zk` is CONNECTED with a
 * new one: closing it is the old session's expiry.
 */
export async function lostWhileServerHoldsSession(
  zk: ZooKeeperClient,
  proxy: FaultProxy,
  member: ZooKeeperMember,
): Promise<RawSession> {
  const oldSession = zk.sessionId;
  const password = zk.sessionPassword;
  const timeout = zk.negotiatedTimeout;
  const lost = nextState(zk, (s) => s === State.LOST, timeout * 5);
  await cutOff(zk, proxy);
  const holder = await RawSession.connect(member.address, {
    sessionId: oldSession,
    sessionPassword: password,
    sessionTimeout: timeout,
  });
  try {
    await lost;
    const connected = nextState(zk, (s) => s === State.CONNECTED, timeout * 5);
    proxy.accept();
    await connected;
    if (zk.sessionId === oldSession) throw new Error("the client kept its old session");
  } catch (error) {
    await holder.close();
    throw error;
  }
  return holder;
}
