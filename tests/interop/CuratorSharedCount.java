// Curator's side of the counter check in tests/recipes_counter_faults_test.ts:
//
//   java -cp <curator, zookeeper and their jars> CuratorSharedCount.java <hosts> <path>
//
// Starts Curator 5's SharedCount on <path> (seed 0: used only if the node is
// missing) and prints {"event":"count","value":N}, or {"event":"error",...}
// and exits 1 when Curator cannot read the node.
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.shared.SharedCount;
import org.apache.curator.retry.RetryOneTime;

public class CuratorSharedCount {
  public static void main(String[] args) throws Exception {
    try (CuratorFramework client =
        CuratorFrameworkFactory.newClient(args[0], 10_000, 10_000, new RetryOneTime(100))) {
      client.start();
      client.blockUntilConnected();
      try (SharedCount count = new SharedCount(client, args[1], 0)) {
        count.start();
        System.out.println("{\"event\":\"count\",\"value\":" + count.getCount() + "}");
      } catch (Exception e) {
        String text = String.valueOf(e).replace("\\", "\\\\").replace("\"", "\\\"");
        System.out.println("{\"event\":\"error\",\"error\":\"" + text + "\"}");
        System.exit(1);
      }
    }
  }
}
