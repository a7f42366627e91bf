/**
 * The codec bench's cases on our side, shared by `codec_bench.ts`
 * (`deno bench`) and `codec_bench_run.ts` (Deno and Bun): the work a client
 * does per request and per reply. Ours encodes into the reused writer that
 * the session flushes once per tick, and decodes with a cursor over the
 * received frame. node-zookeeper-client's side is `codec_nzc.mjs`, plain
 * JavaScript so that Node runs it too.
 *
 * @module
 */

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

/** The bench's groups, in the order they are printed; each is one case per codec. */
export const CODEC_GROUPS = [
  "encode CreateRequest",
  "encode multi of 10 ops",
  "decode GetDataResponse (1 KiB)",
  "decode GetChildrenResponse (100 children)",
  "decode Stat",
] as const;

/** One of {@linkcode CODEC_GROUPS}. */
export type CodecGroup = typeof CODEC_GROUPS[number];

/** One case's body, per group. */
export type CodecCases = Record<CodecGroup, () => void>;

/** The replies the decoding cases read, as the server sends them (without the frame's length). */
export interface CodecFixtures {
  /** A GetDataResponse with 1 KiB of data. */
  getData: Uint8Array;
  /** A GetChildrenResponse with 100 children named like lock contenders. */
  children: Uint8Array;
  /** A Stat. */
  stat: Uint8Array;
}

const OPEN_ACL_UNSAFE: ACL[] = [{ perms: 31, id: { scheme: "world", id: "anyone" } }];
const data32 = new Uint8Array(32).map((_, i) => i);
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

/** Encodes the bench's replies with our writer. */
export function codecFixtures(): CodecFixtures {
  return {
    getData: encoded((w) =>
      writeGetDataResponse(w, { data: new Uint8Array(1024).map((_, i) => i * 7), stat })
    ),
    children: encoded((w) =>
      writeGetChildrenResponse(w, {
        children: Array.from({ length: 100 }, (_, i) => `lock-${String(i).padStart(10, "0")}`),
      })
    ),
    stat: encoded((w) => writeStat(w, stat)),
  };
}

/** The multi of 10 ops: creates, setDatas, deletes and checks in turn. */
function multiOps(): MultiOp[] {
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

/** Our side of every group, over `fixtures`. */
export function ourCodecCases(fixtures: CodecFixtures): CodecCases {
  const writer = new JuteWriter();
  const multi = multiOps();
  return {
    "encode CreateRequest": () => {
      writer.reset();
      const frame = writer.beginFrame();
      writeRequestHeader(writer, { xid: 1, type: OpCode.create });
      writeCreateRequest(writer, {
        path: createPath,
        data: data32,
        acl: OPEN_ACL_UNSAFE,
        flags: 3,
      });
      writer.endFrame(frame);
      writer.bytes();
    },
    "encode multi of 10 ops": () => {
      writer.reset();
      const frame = writer.beginFrame();
      writeRequestHeader(writer, { xid: 2, type: OpCode.multi });
      writeMultiRequest(writer, multi);
      writer.endFrame(frame);
      writer.bytes();
    },
    "decode GetDataResponse (1 KiB)": () => {
      readGetDataResponse(new JuteReader(fixtures.getData));
    },
    "decode GetChildrenResponse (100 children)": () => {
      readGetChildrenResponse(new JuteReader(fixtures.children));
    },
    "decode Stat": () => {
      readStat(new JuteReader(fixtures.stat));
    },
  };
}
