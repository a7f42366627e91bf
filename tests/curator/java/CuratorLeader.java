import java.nio.charset.StandardCharsets;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.leader.LeaderLatch;
import org.apache.curator.framework.recipes.leader.LeaderSelector;
import org.apache.curator.framework.recipes.leader.LeaderSelectorListenerAdapter;
import org.apache.curator.framework.recipes.leader.Participant;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;

/**
 * Curator 5.4's elections, driven by the @zk/client interop tests. Prints one
 * JSON record a line on stdout, and leads until it is killed. It says
 * {"event":"ready"} once its node is queued.
 *
 *   latch HOSTS PATH ID MARKERS      a LeaderLatch with id ID
 *   selector HOSTS PATH ID MARKERS   a LeaderSelector with id ID whose leader function runs
 *                                    until the process dies
 *
 * On becoming leader it creates MARKERS/leader (ephemeral, holding ID): a
 * NodeExists means another leader is in office ("double":true), and prints
 * the participants Curator sees.
 */
public class CuratorLeader {
  static void emit(String json) {
    synchronized (System.out) {
      System.out.println(json);
      System.out.flush();
    }
  }

  static String quote(String s) {
    return "\"" + s.replace("\\", "\\\\").replace("\"", "\\\"") + "\"";
  }

  static void lead(CuratorFramework client, String id, String markers, Iterable<Participant> participants)
      throws Exception {
    boolean twice = false;
    try {
      client.create().withMode(CreateMode.EPHEMERAL)
          .forPath(markers + "/leader", id.getBytes(StandardCharsets.UTF_8));
    } catch (KeeperException.NodeExistsException e) {
      twice = true;
    }
    StringBuilder ids = new StringBuilder("[");
    for (Participant p : participants) {
      if (ids.length() > 1) ids.append(',');
      ids.append("{\"id\":").append(quote(p.getId())).append(",\"isLeader\":").append(p.isLeader()).append('}');
    }
    ids.append(']');
    emit("{\"event\":\"leader\",\"id\":" + quote(id) + ",\"double\":" + twice + ",\"participants\":" + ids + "}");
  }

  /** Waits until a participant with `id` is queued (the recipes create their nodes in the background). */
  interface ParticipantSource {
    Iterable<Participant> get() throws Exception;
  }

  static void awaitQueued(ParticipantSource participants, String id) throws Exception {
    while (true) {
      for (Participant p : participants.get()) {
        if (p.getId().equals(id)) return;
      }
      Thread.sleep(20);
    }
  }

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    String path = args[2];
    String id = args[3];
    String markers = args[4];
    CuratorFramework client = CuratorFrameworkFactory.builder()
        .connectString(args[1])
        .sessionTimeoutMs(4000)
        .connectionTimeoutMs(4000)
        .retryPolicy(new ExponentialBackoffRetry(50, 10))
        .build();
    client.start();
    if (!client.blockUntilConnected(30, TimeUnit.SECONDS)) throw new IllegalStateException("no connection");
    switch (mode) {
      case "latch": {
        LeaderLatch latch = new LeaderLatch(client, path, id);
        latch.start();
        awaitQueued(latch::getParticipants, id);
        emit("{\"event\":\"ready\"}");
        latch.await();
        lead(client, id, markers, latch.getParticipants());
        break;
      }
      case "selector": {
        LeaderSelector[] holder = new LeaderSelector[1];
        LeaderSelector selector = new LeaderSelector(client, path, new LeaderSelectorListenerAdapter() {
          @Override
          public void takeLeadership(CuratorFramework c) throws Exception {
            lead(c, id, markers, holder[0].getParticipants());
            new CountDownLatch(1).await(); // until killed or interrupted
          }
        });
        holder[0] = selector;
        selector.setId(id);
        selector.start();
        awaitQueued(selector::getParticipants, id);
        emit("{\"event\":\"ready\"}");
        break;
      }
      default:
        throw new IllegalArgumentException("unknown mode " + mode);
    }
    new CountDownLatch(1).await(); // lead (or wait) until killed
  }
}
