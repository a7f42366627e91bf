import java.nio.ByteBuffer;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.locks.InterProcessMutex;
import org.apache.curator.framework.recipes.locks.InterProcessReadWriteLock;
import org.apache.curator.framework.recipes.locks.InterProcessSemaphoreV2;
import org.apache.curator.framework.recipes.locks.Lease;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.zookeeper.CreateMode;
import org.apache.zookeeper.KeeperException;

/**
 * Curator 5.4's locks, driven by the @zk/client interop tests. Prints one JSON
 * record a line on stdout.
 *
 *   mutex HOSTS PATH HOLDS GUARD        HOLDS times: InterProcessMutex on PATH, then inside it
 *                                       the guard protocol below
 *   semaphore HOSTS PATH MAX HOLDS DIR  HOLDS times: one InterProcessSemaphoreV2 lease, then an
 *                                       ephemeral-sequential marker under DIR, and report how
 *                                       many markers DIR has
 *   rwwrite HOSTS PATH HOLDS GUARD      HOLDS times: the write side of InterProcessReadWriteLock
 *   rwread HOSTS PATH HOLDS GUARD       HOLDS times: the read side, checking that no writer is
 *                                       inside GUARD while it reads
 *
 * Guard protocol (what a holder does, on both sides): create GUARD/inside
 * (ephemeral; NodeExists means another holder is inside: an overlap), read
 * the 8-byte counter GUARD, write it back plus one (unconditionally, so an
 * overlap loses an update), delete GUARD/inside.
 */
public class CuratorLocks {
  static void emit(String json) {
    synchronized (System.out) {
      System.out.println(json);
      System.out.flush();
    }
  }

  /** The counter value the last guarded() read. */
  static long seen;

  static boolean guarded(CuratorFramework client, String guard) throws Exception {
    // Curator retries a create whose reply was lost, and then meets its own
    // node: the token tells that apart from another holder's.
    byte[] token = java.util.UUID.randomUUID().toString().getBytes(java.nio.charset.StandardCharsets.UTF_8);
    boolean overlap = false;
    try {
      client.create().withMode(CreateMode.EPHEMERAL).forPath(guard + "/inside", token);
    } catch (KeeperException.NodeExistsException e) {
      try {
        overlap = !java.util.Arrays.equals(client.getData().forPath(guard + "/inside"), token);
      } catch (KeeperException.NoNodeException gone) {
        overlap = true;
      }
    }
    byte[] data = client.getData().forPath(guard);
    long n = data.length == 8 ? ByteBuffer.wrap(data).getLong() : 0;
    seen = n;
    Thread.sleep(2);
    client.setData().forPath(guard, ByteBuffer.allocate(8).putLong(n + 1).array());
    if (!overlap) {
      try {
        client.delete().forPath(guard + "/inside");
      } catch (KeeperException.NoNodeException retriedAfterSuccess) {
        // A retried delete whose first try had worked.
      }
    }
    return overlap;
  }

  public static void main(String[] args) throws Exception {
    String mode = args[0];
    try (CuratorFramework client = CuratorFrameworkFactory.builder()
        .connectString(args[1])
        .sessionTimeoutMs(6000)
        .connectionTimeoutMs(5000)
        .retryPolicy(new ExponentialBackoffRetry(50, 10))
        .build()) {
      client.start();
      if (!client.blockUntilConnected(30, TimeUnit.SECONDS)) throw new IllegalStateException("no connection");
      emit("{\"event\":\"ready\"}");
      switch (mode) {
        case "mutex": {
          InterProcessMutex mutex = new InterProcessMutex(client, args[2]);
          int holds = Integer.parseInt(args[3]);
          for (int i = 0; i < holds; i++) {
            mutex.acquire();
            boolean overlap;
            try {
              overlap = guarded(client, args[4]);
            } finally {
              mutex.release();
            }
            emit("{\"event\":\"hold\",\"overlap\":" + overlap + ",\"n\":" + seen + "}");
          }
          break;
        }
        case "rwwrite": {
          InterProcessReadWriteLock rw = new InterProcessReadWriteLock(client, args[2]);
          int holds = Integer.parseInt(args[3]);
          for (int i = 0; i < holds; i++) {
            rw.writeLock().acquire();
            boolean overlap;
            try {
              overlap = guarded(client, args[4]);
            } finally {
              rw.writeLock().release();
            }
            emit("{\"event\":\"hold\",\"overlap\":" + overlap + ",\"n\":" + seen + "}");
          }
          break;
        }
        case "rwread": {
          InterProcessReadWriteLock rw = new InterProcessReadWriteLock(client, args[2]);
          int holds = Integer.parseInt(args[3]);
          for (int i = 0; i < holds; i++) {
            rw.readLock().acquire();
            boolean writerInside;
            try {
              writerInside = client.checkExists().forPath(args[4] + "/inside") != null;
              Thread.sleep(5);
              writerInside |= client.checkExists().forPath(args[4] + "/inside") != null;
            } finally {
              rw.readLock().release();
            }
            emit("{\"event\":\"read\",\"writerInside\":" + writerInside + "}");
          }
          break;
        }
        case "semaphore": {
          InterProcessSemaphoreV2 semaphore =
              new InterProcessSemaphoreV2(client, args[2], Integer.parseInt(args[3]));
          int holds = Integer.parseInt(args[4]);
          String dir = args[5];
          for (int i = 0; i < holds; i++) {
            Lease lease = semaphore.acquire();
            int inside;
            try {
              String marker = client.create().withMode(CreateMode.EPHEMERAL_SEQUENTIAL).forPath(dir + "/m-");
              Thread.sleep(30);
              inside = client.getChildren().forPath(dir).size();
              client.delete().forPath(marker);
            } finally {
              semaphore.returnLease(lease);
            }
            emit("{\"event\":\"lease\",\"inside\":" + inside + "}");
          }
          break;
        }
        default:
          throw new IllegalArgumentException("unknown mode " + mode);
      }
      emit("{\"event\":\"done\"}");
    }
  }
}
