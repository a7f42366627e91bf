// Curator 5.4's SharedCount and DistributedAtomicLong, for the mixed counter
// tests: counts N times on a path, starting when the "go" node exists, and
// prints JSON lines ({"event":"ready"}, {"event":"done",...}).
//
// java CountTool.java <connect> shared-count|atomic-long <path> <n> <goPath>
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.atomic.AtomicValue;
import org.apache.curator.framework.recipes.atomic.DistributedAtomicLong;
import org.apache.curator.framework.recipes.shared.SharedCount;
import org.apache.curator.framework.recipes.shared.VersionedValue;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.retry.RetryNTimes;

public class CountTool {
  public static void main(String[] args) throws Exception {
    String connect = args[0], mode = args[1], path = args[2], goPath = args[4];
    int n = Integer.parseInt(args[3]);
    try (CuratorFramework client = CuratorFrameworkFactory.newClient(
        connect, 20_000, 15_000, new ExponentialBackoffRetry(50, 20, 1_000))) {
      client.start();
      if (!client.blockUntilConnected(30, TimeUnit.SECONDS)) throw new IllegalStateException("no connection");
      long tries = 0;
      if (mode.equals("shared-count")) {
        try (SharedCount count = new SharedCount(client, path, 0)) {
          count.start();
          ready(client, goPath);
          for (int i = 0; i < n; i++) {
            while (true) {
              tries++;
              VersionedValue<Integer> seen = count.getVersionedValue();
              if (count.trySetCount(seen, seen.getValue() + 1)) break;
            }
          }
          System.out.println("{\"event\":\"done\",\"tries\":" + tries + ",\"count\":" + count.getCount() + "}");
        }
      } else if (mode.equals("atomic-long")) {
        DistributedAtomicLong along = new DistributedAtomicLong(client, path, new RetryNTimes(0, 0));
        ready(client, goPath);
        for (int i = 0; i < n; i++) {
          while (true) {
            tries++;
            AtomicValue<Long> result = along.increment();
            if (result.succeeded()) break;
          }
        }
        System.out.println("{\"event\":\"done\",\"tries\":" + tries + ",\"value\":" + along.get().postValue() + "}");
      } else {
        throw new IllegalArgumentException("unknown mode " + mode);
      }
    }
  }

  /** Says it is ready, then waits until the test creates the go node, so both sides start together. */
  static void ready(CuratorFramework client, String goPath) throws Exception {
    System.out.println("{\"event\":\"ready\"}");
    System.out.flush();
    while (client.checkExists().forPath(goPath) == null) Thread.sleep(5);
  }
}
