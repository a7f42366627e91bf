/**
 * The jute codec against node-zookeeper-client's (the baseline of each
 * group), on the work a client does per request and per reply. Run with
 * `deno task bench`; `deno bench` prints how many times faster each case is.
 *
 * Both sides do what their client does: node-zookeeper-client builds record
 * objects and serializes them into a new Buffer with its length prefix
 * (`jute.Request#toBuffer`), and deserializes replies from a Buffer; ours
 * encodes into the reused writer that the session flushes once per tick,
 * and decodes with a cursor over the received frame.
 */

import { Buffer } from "node:buffer";
// node-zookeeper-client ships no types; its jute module is plain CommonJS.
import nzkJute from "npm:node-zookeeper-client@1.1.3/lib/jute/index.js";
import NzkACL from "npm:node-zookeeper-client@1.1.3/lib/ACL.js";
import {
  type ACL,
  JuteReader,
  JuteWriter,
  type MultiOp,
  OpCode,
  readGetChildrenResponse,
  readGetDataResponse,
  readStat,
  type StatRecord,
  writeCreateRequest,
  writeGetChildrenResponse,
  writeGetDataResponse,
  writeMultiRequest,
  writeRequestHeader,
  writeStat,
} from "../lib/jute/mod.ts";

// deno-lint-ignore no-explicit-any
const jute = nzkJute as any;
// deno-lint-ignore no-explicit-any
const OPEN_ACL_UNSAFE_NZK = (NzkACL as any).OPEN_ACL_UNSAFE as { toRecord(): unknown }[];
const OPEN_ACL_UNSAFE: ACL[] = [{ perms: 31, id: { scheme: "world", id: "anyone" } }];

const data32 = new Uint8Array(32).map((_, i) => i);
const data32Buffer = Buffer.from(data32);
const createPath = "/app/services/web/instances/node-";

const stat: StatRecord = {
  czxid: 0x1000000a5n,
  mzxid: 0x1000000f3n,
  ctime: 1_717_171_717_171n,
  mtime: 1_717_171_799_999n,
  version: 12,
  cversion: 3,
  aversion: 0,
  ephemeralOwner: 0x100000abcd0002n,
  dataLength: 1024,
  numChildren: 100,
  pzxid: 0x1000000f4n,
};

function encoded(write: (w: JuteWriter) => void): Uint8Array {
  const w = new JuteWriter();
  write(w);
  return w.take();
}

const writer = new JuteWriter();

// --- encode a CreateRequest (with its header and frame) ---

Deno.bench({
  name: "node-zookeeper-client",
  group: "encode CreateRequest",
  baseline: true,
  fn() {
    const header = new jute.protocol.RequestHeader();
    header.xid = 1;
    header.type = jute.OP_CODES.CREATE;
    const payload = new jute.protocol.CreateRequest();
    payload.path = createPath;
    payload.data = data32Buffer;
    payload.acl = OPEN_ACL_UNSAFE_NZK.map((acl) => acl.toRecord());
    payload.flags = 3;
    new jute.Request(header, payload).toBuffer();
  },
});

Deno.bench({
  name: "@zk/client/jute",
  group: "encode CreateRequest",
  fn() {
    writer.reset();
    const frame = writer.beginFrame();
    writeRequestHeader(writer, { xid: 1, type: OpCode.create });
    writeCreateRequest(writer, { path: createPath, data: data32, acl: OPEN_ACL_UNSAFE, flags: 3 });
    writer.endFrame(frame);
    writer.bytes();
  },
});

// --- encode a multi of 10 ops ---

function nzkOps(): unknown[] {
  const ops = [];
  for (let i = 0; i < 10; i++) {
    const path = `/app/queue/item-${i}`;
    switch (i % 4) {
      case 0:
        ops.push({
          type: jute.OP_CODES.CREATE,
          path,
          data: data32Buffer,
          acls: OPEN_ACL_UNSAFE_NZK,
          mode: 0,
        });
        break;
      case 1:
        ops.push({ type: jute.OP_CODES.SET_DATA, path, data: data32Buffer, version: i });
        break;
      case 2:
        ops.push({ type: jute.OP_CODES.DELETE, path, version: -1 });
        break;
      default:
        ops.push({ type: jute.OP_CODES.CHECK, path, version: i });
    }
  }
  return ops;
}

function ourOps(): MultiOp[] {
  const ops: MultiOp[] = [];
  for (let i = 0; i < 10; i++) {
    const path = `/app/queue/item-${i}`;
    switch (i % 4) {
      case 0:
        ops.push({
          type: OpCode.create,
          request: { path, data: data32, acl: OPEN_ACL_UNSAFE, flags: 0 },
        });
        break;
      case 1:
        ops.push({ type: OpCode.setData, request: { path, data: data32, version: i } });
        break;
      case 2:
        ops.push({ type: OpCode.delete, request: { path, version: -1 } });
        break;
      default:
        ops.push({ type: OpCode.check, request: { path, version: i } });
    }
  }
  return ops;
}

const multiNzk = nzkOps();
const multiOurs = ourOps();

Deno.bench({
  name: "node-zookeeper-client",
  group: "encode multi of 10 ops",
  baseline: true,
  fn() {
    const header = new jute.protocol.RequestHeader();
    header.xid = 2;
    header.type = jute.OP_CODES.MULTI;
    new jute.Request(header, new jute.TransactionRequest(multiNzk)).toBuffer();
  },
});

Deno.bench({
  name: "@zk/client/jute",
  group: "encode multi of 10 ops",
  fn() {
    writer.reset();
    const frame = writer.beginFrame();
    writeRequestHeader(writer, { xid: 2, type: OpCode.multi });
    writeMultiRequest(writer, multiOurs);
    writer.endFrame(frame);
    writer.bytes();
  },
});

// --- decode a GetDataResponse with 1 KiB of data ---

const getData = encoded((w) =>
  writeGetDataResponse(w, { data: new Uint8Array(1024).map((_, i) => i * 7), stat })
);
const getDataBuffer = Buffer.from(getData);

Deno.bench({
  name: "node-zookeeper-client",
  group: "decode GetDataResponse (1 KiB)",
  baseline: true,
  fn() {
    new jute.protocol.GetDataResponse().deserialize(getDataBuffer, 0);
  },
});

Deno.bench({
  name: "@zk/client/jute",
  group: "decode GetDataResponse (1 KiB)",
  fn() {
    readGetDataResponse(new JuteReader(getData));
  },
});

// --- decode a GetChildrenResponse with 100 children ---

const children = encoded((w) =>
  writeGetChildrenResponse(w, {
    children: Array.from({ length: 100 }, (_, i) => `lock-${String(i).padStart(10, "0")}`),
  })
);
const childrenBuffer = Buffer.from(children);
// node-zookeeper-client only declares GetChildren2Response (its client always
// asks for the stat); its generic Record class decodes GetChildrenResponse
// from the jute spec, as its generated classes do.
const NzkRecord = Object.getPrototypeOf(jute.protocol.GetChildren2Response.prototype).constructor;
const nzkGetChildrenResponseSpec = [{ name: "children", type: "vector<ustring>" }];

Deno.bench({
  name: "node-zookeeper-client",
  group: "decode GetChildrenResponse (100 children)",
  baseline: true,
  fn() {
    new NzkRecord(nzkGetChildrenResponseSpec).deserialize(childrenBuffer, 0);
  },
});

Deno.bench({
  name: "@zk/client/jute",
  group: "decode GetChildrenResponse (100 children)",
  fn() {
    readGetChildrenResponse(new JuteReader(children));
  },
});

// --- decode a Stat ---

const statBytes = encoded((w) => writeStat(w, stat));
const statBuffer = Buffer.from(statBytes);

Deno.bench({
  name: "node-zookeeper-client",
  group: "decode Stat",
  baseline: true,
  fn() {
    new jute.data.Stat().deserialize(statBuffer, 0);
  },
});

Deno.bench({
  name: "@zk/client/jute",
  group: "decode Stat",
  fn() {
    readStat(new JuteReader(statBytes));
  },
});
