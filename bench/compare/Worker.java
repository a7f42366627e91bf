// One bench worker for the ZooKeeper Java client (Debian's jars), run by bench/compare.ts
// as `java -cp <jars> Worker.java <hosts> <workload> <path> <ops>`; prints one JSON line
// (see worker_zk.ts). Pipelined: async getData with 1,000 in flight. CPU from /proc/self/stat
// (the whole JVM: its JIT and GC threads are part of what a Java client costs).
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.zookeeper.ZooKeeper;

public class Worker {
  static long[] cpuTicks() throws Exception {
    String stat = Files.readString(Path.of("/proc/self/stat"));
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
    return new long[] {Long.parseLong(f[11]), Long.parseLong(f[12])};
  }

  static void pipelined(ZooKeeper zk, String path, int count) throws Exception {
    Semaphore window = new Semaphore(1000);
    CountDownLatch done = new CountDownLatch(count);
    AtomicInteger failures = new AtomicInteger();
    for (int i = 0; i < count; i++) {
      window.acquire();
      zk.getData(path, false, (rc, p, ctx, data, stat) -> {
        if (rc != 0) failures.incrementAndGet();
        window.release();
        done.countDown();
      }, null);
    }
    done.await();
    if (failures.get() > 0) throw new IllegalStateException(failures.get() + " gets failed");
  }

  static void sequential(ZooKeeper zk, String path, int count) throws Exception {
    for (int i = 0; i < count; i++) zk.getData(path, false, null);
  }

  public static void main(String[] args) throws Exception {
    String hosts = args[0], workload = args[1], path = args[2];
    int ops = Integer.parseInt(args[3]);
    CountDownLatch connected = new CountDownLatch(1);
    ZooKeeper zk = new ZooKeeper(hosts, 30000, event -> {
      if (event.getState() == org.apache.zookeeper.Watcher.Event.KeeperState.SyncConnected) {
        connected.countDown();
      }
    });
    connected.await();
    boolean pipe = workload.equals("pipelined");
    int warm = Math.max(1000, ops / 5);
    if (pipe) pipelined(zk, path, warm); else sequential(zk, path, warm);
    System.out.println("begin"); // the runner samples the server's CPU here and at "end"
    System.out.flush();
    long[] before = cpuTicks();
    long started = System.nanoTime();
    if (pipe) pipelined(zk, path, ops); else sequential(zk, path, ops);
    double wallMs = (System.nanoTime() - started) / 1e6;
    long[] after = cpuTicks();
    System.out.println("end");
    System.out.flush();
    zk.close();
    double tickUs = 1e6 / 100; // USER_HZ
    System.out.printf("{\"ops\":%d,\"wallMs\":%.3f,\"userUs\":%.0f,\"sysUs\":%.0f}%n", ops, wallMs,
        (after[0] - before[0]) * tickUs, (after[1] - before[1]) * tickUs);
    System.exit(0);
  }
}
