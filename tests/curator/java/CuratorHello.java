import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.retry.RetryOneTime;

/** Prints Curator's version-bearing class and, given a connection string, the root's children. */
public class CuratorHello {
  public static void main(String[] args) throws Exception {
    System.out.println(org.apache.curator.framework.recipes.locks.InterProcessMutex.class.getName());
    if (args.length > 0) {
      try (var client = CuratorFrameworkFactory.newClient(args[0], new RetryOneTime(100))) {
        client.start();
        client.blockUntilConnected();
        System.out.println(client.getChildren().forPath("/"));
      }
    }
  }
}
