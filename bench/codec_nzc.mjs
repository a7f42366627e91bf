// node-zookeeper-client's side of the codec bench (the baseline of each
// group of `codec_cases.ts`), and the timing loop of `codec_bench_run.ts`.
// Plain JavaScript so that Node runs it as nzc's users do: run as a script
// (`node bench/codec_nzc.mjs`), it reads the fixtures as JSON hex on stdin,
// loads nzc from `$NZC_DIR` and prints its timings as one JSON line.
//
// nzc does what its client does: it builds record objects and serializes them
// into a new Buffer with the length prefix (`jute.Request#toBuffer`), and
// deserializes replies from a Buffer.
import { Buffer } from "node:buffer";
import { createRequire } from "node:module";
import process from "node:process";
import { pathToFileURL } from "node:url";

/**
 * nzc's jute module and its ACL class, from node_modules in `dir` (npm's
 * install, the same copy for every runtime).
 */
export function loadNzc(dir) {
  const require = createRequire(dir.endsWith("/") ? dir : `${dir}/`);
  return {
    jute: require("node-zookeeper-client/lib/jute/index.js"),
    ACL: require("node-zookeeper-client/lib/ACL.js"),
  };
}

/** nzc's side of every group, over the same fixtures (Uint8Arrays) as ours. */
export function nzcCodecCases({ jute, ACL }, fixtures) {
  const openAclUnsafe = ACL.OPEN_ACL_UNSAFE;
  const data32 = Buffer.from(new Uint8Array(32).map((_, i) => i));
  const createPath = "/app/services/web/instances/node-";
  const ops = [];
  for (let i = 0; i < 10; i++) {
    const path = `/app/queue/item-${i}`;
    switch (i % 4) {
      case 0:
        ops.push({ type: jute.OP_CODES.CREATE, path, data: data32, acls: openAclUnsafe, mode: 0 });
        break;
      case 1:
        ops.push({ type: jute.OP_CODES.SET_DATA, path, data: data32, version: i });
        break;
      case 2:
        ops.push({ type: jute.OP_CODES.DELETE, path, version: -1 });
        break;
      default:
        ops.push({ type: jute.OP_CODES.CHECK, path, version: i });
    }
  }
  const getData = Buffer.from(fixtures.getData);
  const children = Buffer.from(fixtures.children);
  const stat = Buffer.from(fixtures.stat);
  // nzc only declares GetChildren2Response (its client always asks for the
  // stat); its generic Record class decodes GetChildrenResponse from the jute
  // spec, as its generated classes do.
  const Record = Object.getPrototypeOf(jute.protocol.GetChildren2Response.prototype).constructor;
  const childrenSpec = [{ name: "children", type: "vector<ustring>" }];
  return {
    "encode CreateRequest": () => {
      const header = new jute.protocol.RequestHeader();
      header.xid = 1;
      header.type = jute.OP_CODES.CREATE;
      const payload = new jute.protocol.CreateRequest();
      payload.path = createPath;
      payload.data = data32;
      payload.acl = openAclUnsafe.map((acl) => acl.toRecord());
      payload.flags = 3;
      new jute.Request(header, payload).toBuffer();
    },
    "encode multi of 10 ops": () => {
      const header = new jute.protocol.RequestHeader();
      header.xid = 2;
      header.type = jute.OP_CODES.MULTI;
      new jute.Request(header, new jute.TransactionRequest(ops)).toBuffer();
    },
    "decode GetDataResponse (1 KiB)": () => {
      new jute.protocol.GetDataResponse().deserialize(getData, 0);
    },
    "decode GetChildrenResponse (100 children)": () => {
      new Record(childrenSpec).deserialize(children, 0);
    },
    "decode Stat": () => {
      new jute.data.Stat().deserialize(stat, 0);
    },
  };
}

/**
 * Times each case of `cases` (name → function), in ns per call: a warm-up,
 * then `rounds` rounds that run every case in turn for about `batchMs` each,
 * so that a slow spell of a shared machine hits all cases alike. Each batch is
 * timed by the clock and by the process's CPU time (user + system, its GC
 * threads included), which does not count the time spent waiting for a core.
 * Returns each case's median and fastest batch by both.
 */
export function timeCases(cases, { rounds = 25, batchMs = 20, warmupMs = 300 } = {}) {
  const names = Object.keys(cases);
  const perBatch = {};
  for (const name of names) {
    const fn = cases[name];
    // Warm up, and size the batch: about batchMs of calls.
    let calls = 0;
    const started = performance.now();
    while (performance.now() - started < warmupMs / names.length) {
      for (let i = 0; i < 100; i++) fn();
      calls += 100;
    }
    const nsPerCall = ((performance.now() - started) * 1e6) / calls;
    perBatch[name] = Math.max(10, Math.round((batchMs * 1e6) / nsPerCall));
  }
  const wall = Object.fromEntries(names.map((name) => [name, []]));
  const cpu = Object.fromEntries(names.map((name) => [name, []]));
  for (let round = 0; round < rounds; round++) {
    for (const name of names) {
      const fn = cases[name];
      const n = perBatch[name];
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      for (let i = 0; i < n; i++) fn();
      const t1 = performance.now();
      const used = process.cpuUsage(cpu0);
      wall[name].push(((t1 - t0) * 1e6) / n);
      cpu[name].push(((used.user + used.system) * 1e3) / n);
    }
  }
  const sorted = (values) => values.sort((a, b) => a - b);
  const out = {};
  for (const name of names) {
    const [w, c] = [sorted(wall[name]), sorted(cpu[name])];
    out[name] = {
      medianNs: w[w.length >> 1],
      minNs: w[0],
      cpuMedianNs: c[c.length >> 1],
      cpuMinNs: c[0],
    };
  }
  return out;
}

function fromHex(hex) {
  return Uint8Array.from(hex.match(/../g) ?? [], (pair) => parseInt(pair, 16));
}

async function main() {
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  const input = JSON.parse(Buffer.concat(chunks).toString("utf8"));
  const fixtures = Object.fromEntries(
    Object.entries(input.fixtures).map(([name, hex]) => [name, fromHex(hex)]),
  );
  const cases = nzcCodecCases(loadNzc(process.env.NZC_DIR), fixtures);
  const times = timeCases(cases, input.options);
  process.stdout.write(JSON.stringify({ nzc: times }) + "\n");
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  await main();
}
