// curator-x-discovery 5.4 on the Java side of the mixed discovery tests.
// Prints JSON lines.
//
// java DiscoveryTool.java <connect> register <basePath> <name> <id> <port> <ctlPath>
//   registers a DYNAMIC instance (Map payload, a uriSpec), reports its session
//   and state changes, and obeys the ctl node's data: "unregister", "exit".
// java DiscoveryTool.java <connect> watch <basePath> <name>
//   runs a ServiceCache and prints what it and queryForInstances see after
//   every change.
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.*;
import java.util.concurrent.TimeUnit;
import org.apache.curator.framework.CuratorFramework;
import org.apache.curator.framework.CuratorFrameworkFactory;
import org.apache.curator.framework.state.ConnectionState;
import org.apache.curator.retry.ExponentialBackoffRetry;
import org.apache.curator.x.discovery.*;
import org.apache.curator.x.discovery.details.ServiceCacheListener;

public class DiscoveryTool {
  static final ObjectMapper JSON = new ObjectMapper();

  static synchronized void print(Map<String, Object> record) throws Exception {
    System.out.println(JSON.writeValueAsString(record));
    System.out.flush();
  }

  static Map<String, Object> record(Object... keyValues) {
    Map<String, Object> map = new LinkedHashMap<>();
    for (int i = 0; i < keyValues.length; i += 2) map.put((String) keyValues[i], keyValues[i + 1]);
    return map;
  }

  static List<Map<String, Object>> describe(Collection<ServiceInstance<Map>> instances) {
    List<Map<String, Object>> out = new ArrayList<>();
    for (ServiceInstance<Map> i : instances) {
      out.add(record("id", i.getId(), "name", i.getName(), "address", i.getAddress(), "port", i.getPort(),
          "payload", i.getPayload(), "serviceType", i.getServiceType().name(),
          "uri", i.getUriSpec() == null ? null : i.buildUriSpec()));
    }
    out.sort(Comparator.comparing(m -> (String) m.get("id")));
    return out;
  }

  public static void main(String[] args) throws Exception {
    String connect = args[0], mode = args[1], basePath = args[2], name = args[3];
    try (CuratorFramework client = CuratorFrameworkFactory.newClient(
        connect, 10_000, 15_000, new ExponentialBackoffRetry(50, 20, 1_000))) {
      client.getConnectionStateListenable().addListener((c, state) -> {
        try {
          print(record("event", "state", "state", state.name()));
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      });
      client.start();
      if (!client.blockUntilConnected(30, TimeUnit.SECONDS)) throw new IllegalStateException("no connection");
      if (mode.equals("register")) register(client, basePath, name, args[4], Integer.parseInt(args[5]), args[6]);
      else if (mode.equals("watch")) watch(client, basePath, name);
      else throw new IllegalArgumentException("unknown mode " + mode);
    }
  }

  static void register(CuratorFramework client, String basePath, String name, String id, int port, String ctl)
      throws Exception {
    Map<String, Object> payload = new LinkedHashMap<>();
    payload.put("zone", "java-zone");
    payload.put("weight", 3);
    ServiceInstance<Map> me = ServiceInstance.<Map>builder().name(name).id(id).address("10.9.8.7").port(port)
        .payload(payload).uriSpec(new UriSpec("{scheme}://{address}:{port}/v1")).build();
    try (ServiceDiscovery<Map> discovery = ServiceDiscoveryBuilder.builder(Map.class).client(client)
        .basePath(basePath).build()) {
      discovery.start();
      discovery.registerService(me);
      var zk = client.getZookeeperClient().getZooKeeper();
      print(record("event", "registered", "session", Long.toHexString(zk.getSessionId()),
          "password", HexFormat.of().formatHex(zk.getSessionPasswd())));
      while (true) {
        byte[] data = client.checkExists().forPath(ctl) == null ? null : client.getData().forPath(ctl);
        String command = data == null ? "" : new String(data, "UTF-8");
        if (command.equals("unregister")) {
          discovery.unregisterService(me);
          client.delete().forPath(ctl);
          print(record("event", "unregistered"));
        } else if (command.equals("exit")) {
          client.delete().forPath(ctl);
          break;
        }
        Thread.sleep(20);
      }
    }
    print(record("event", "closed"));
  }

  static void watch(CuratorFramework client, String basePath, String name) throws Exception {
    try (ServiceDiscovery<Map> discovery = ServiceDiscoveryBuilder.builder(Map.class).client(client)
        .basePath(basePath).build()) {
      discovery.start();
      ServiceCache<Map> cache = discovery.serviceCacheBuilder().name(name).build();
      Runnable report = () -> {
        try {
          print(record("event", "instances", "cache", describe(cache.getInstances()),
              "query", describe(discovery.queryForInstances(name))));
        } catch (Exception e) {
          throw new RuntimeException(e);
        }
      };
      cache.addListener(new ServiceCacheListener() {
        public void cacheChanged() {
          report.run();
        }

        public void stateChanged(CuratorFramework c, ConnectionState s) {}
      });
      cache.start();
      report.run();
      Thread.sleep(Long.MAX_VALUE);
    }
  }
}
