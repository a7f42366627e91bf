// A Curator 5.4 observer for the PersistentNode and GroupMember tests.
// Prints JSON lines.
//
// java NodeTool.java <connect> watch <path>
//   a single-node CuratorCache on path: {"event":"node","type":...,"data":...,"owner":...,"version":...}
// java NodeTool.java <connect> group <membershipPath> <id> <payload>
//   a GroupMember; prints {"event":"members","members":{id: payload}} whenever the view changes
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.util.*;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.recipes.cache.ChildData;
import org.apache.curator.framework.recipes.cache.CuratorCache;
import org.apache.curator.framework.recipes.cache.CuratorCacheListener;
import org.apache.curator.framework.recipes.nodes.GroupMember;
import org.apache.curator.retry.ExponentialBackoffRetry;

public class NodeTool {
  static final ObjectMapper JSON = new ObjectMapper();

  static synchronized void print(Map<String, Object> record) throws Exception {
    System.out.println(JSON.writeValueAsString(record));
    System.out.flush();
  }

  static Map<String, Object> describe(String type, ChildData node) {
    Map<String, Object> out = new LinkedHashMap<>();
    out.put("event", "node");
    out.put("type", type);
    out.put("path", node.getPath());
    out.put("data", node.getData() == null ? null : new String(node.getData(), StandardCharsets.UTF_8));
    out.put("owner", Long.toHexString(node.getStat().getEphemeralOwner()));
    out.put("version", node.getStat().getVersion());
    return out;
  }

  public static void main(String[] args) throws Exception {
    String connect = args[0], mode = args[1], path = args[2];
    try (CuratorFramework client = CuratorFrameworkFactory.newClient(
        connect, 10_000, 15_000, new ExponentialBackoffRetry(50, 20, 1_000))) {
      client.start();
      if (!client.blockUntilConnected(30, TimeUnit.SECONDS)) throw new IllegalStateException("no connection");
      if (mode.equals("watch")) {
        try (CuratorCache cache = CuratorCache.build(client, path, CuratorCache.Options.SINGLE_NODE_CACHE)) {
          cache.listenable().addListener(new CuratorCacheListener() {
            public void event(Type type, ChildData oldData, ChildData data) {
              try {
                print(describe(type.name(), type == Type.NODE_DELETED ? oldData : data));
              } catch (Exception e) {
                throw new RuntimeException(e);
              }
            }

            public void initialized() {
              try {
                print(Map.of("event", "initialized"));
              } catch (Exception e) {
                throw new RuntimeException(e);
              }
            }
          });
          cache.start();
          Thread.sleep(Long.MAX_VALUE);
        }
      } else if (mode.equals("group")) {
        try (GroupMember member = new GroupMember(client, path, args[3], args[4].getBytes(StandardCharsets.UTF_8))) {
          member.start();
          Map<String, String> last = null;
          while (true) {
            Map<String, String> now = new TreeMap<>();
            member.getCurrentMembers().forEach((id, data) -> now.put(id, new String(data, StandardCharsets.UTF_8)));
            if (!now.equals(last)) {
              print(Map.of("event", "members", "members", now));
              last = now;
            }
            Thread.sleep(20);
          }
        }
      } else {
        throw new IllegalArgumentException("unknown mode " + mode);
      }
    }
  }
}
