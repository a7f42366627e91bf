/**
 * Golden vectors: records serialized by ZooKeeper's own Java classes. For
 * every line, encoding `fields` must give exactly `hex`, and decoding `hex`
 * must give back `fields` with no byte left over.
 *
 * The file is `$JUTE_VECTORS`, by default `../shared/jute-vectors/zookeeper-3.8.0.jsonl`
 * next to the repository. `tests/fixtures/jute-extra.jsonl` is checked too: the
 * read-only byte of the handshake, the 3.9 zxid of watch events, multiRead
 * and check results, and strings and nulls of every kind. It was made with
 * the 3.8.0 jars the way Java writes these on the wire: the read-only byte
 * with `BinaryOutputArchive.writeBool` after the record (as `ClientCnxnSocket`
 * and the server do), the zxid with `writeLong` after `WatcherEvent` (the
 * field 3.9 appends), a create2 op as `MultiOperationRecord` writes one.
 */

import { defaultVectorsFile, EXTRA_VECTORS_FILE } from "./fixtures/vectors.ts";
import assert from "node:assert/strict";
import { JuteReader, JuteWriter, recordCodecs } from "../lib/jute/mod.ts";
import { fromHex, toHex } from "./bytes.ts";

/**
 * The wire type of each field, from `zookeeper.jute`, independent of the codec:
 * it turns a line's JSON into the values the codec must produce.
 */
type FieldType = "int" | "long" | "bool" | "buffer" | "string" | "strings" | string;
type Schema = Record<string, FieldType>;

const path = { path: "string" };
const pathWatch = { path: "string", watch: "bool" };
const stat = { stat: "Stat" };
const token = { token: "buffer" };
const statFields: Schema = {
  czxid: "long",
  mzxid: "long",
  ctime: "long",
  mtime: "long",
  version: "int",
  cversion: "int",
  aversion: "int",
  ephemeralOwner: "long",
  dataLength: "int",
  numChildren: "int",
  pzxid: "long",
};
const watches = {
  relativeZxid: "long",
  dataWatches: "strings",
  existWatches: "strings",
  childWatches: "strings",
};

const SCHEMAS: Record<string, Schema> = {
  Id: { scheme: "string", id: "string" },
  ACL: { perms: "int", id: "Id" },
  Stat: statFields,
  StatPersisted: Object.fromEntries(
    Object.entries(statFields).filter(([k]) => k !== "dataLength" && k !== "numChildren"),
  ),
  ClientInfo: { authScheme: "string", user: "string" },
  ConnectRequest: {
    protocolVersion: "int",
    lastZxidSeen: "long",
    timeOut: "int",
    sessionId: "long",
    passwd: "buffer",
    readOnly: "bool",
  },
  ConnectResponse: {
    protocolVersion: "int",
    timeOut: "int",
    sessionId: "long",
    passwd: "buffer",
    readOnly: "bool",
  },
  RequestHeader: { xid: "int", type: "int" },
  ReplyHeader: { xid: "int", zxid: "long", err: "int" },
  AuthPacket: { type: "int", scheme: "string", auth: "buffer" },
  WatcherEvent: { type: "int", state: "int", path: "string", zxid: "long" },
  ErrorResponse: { err: "int" },
  MultiHeader: { type: "int", done: "bool", err: "int" },
  CreateRequest: { path: "string", data: "buffer", acl: "ACL[]", flags: "int" },
  CreateTTLRequest: { path: "string", data: "buffer", acl: "ACL[]", flags: "int", ttl: "long" },
  CreateResponse: path,
  Create2Response: { ...path, ...stat },
  DeleteRequest: { path: "string", version: "int" },
  ExistsRequest: pathWatch,
  ExistsResponse: stat,
  GetDataRequest: pathWatch,
  GetDataResponse: { data: "buffer", ...stat },
  SetDataRequest: { path: "string", data: "buffer", version: "int" },
  SetDataResponse: stat,
  GetACLRequest: path,
  GetACLResponse: { acl: "ACL[]", ...stat },
  SetACLRequest: { path: "string", acl: "ACL[]", version: "int" },
  SetACLResponse: stat,
  GetChildrenRequest: pathWatch,
  GetChildrenResponse: { children: "strings" },
  GetChildren2Request: pathWatch,
  GetChildren2Response: { children: "strings", ...stat },
  SyncRequest: path,
  SyncResponse: path,
  CheckVersionRequest: { path: "string", version: "int" },
  SetWatches: watches,
  SetWatches2: {
    ...watches,
    persistentWatches: "strings",
    persistentRecursiveWatches: "strings",
  },
  AddWatchRequest: { path: "string", mode: "int" },
  RemoveWatchesRequest: { path: "string", type: "int" },
  CheckWatchesRequest: { path: "string", type: "int" },
  ReconfigRequest: {
    joiningServers: "string",
    leavingServers: "string",
    newMembers: "string",
    curConfigId: "long",
  },
  GetEphemeralsRequest: { prefixPath: "string" },
  GetEphemeralsResponse: { ephemerals: "strings" },
  GetAllChildrenNumberRequest: path,
  GetAllChildrenNumberResponse: { totalNumber: "int" },
  WhoAmIResponse: { clientInfo: "ClientInfo[]" },
  GetSASLRequest: token,
  SetSASLRequest: token,
  SetSASLResponse: token,
};

/** The body of each multi response result type, in wire order. */
const RESULT_SCHEMAS: Record<number, Schema> = {
  1: path,
  15: { ...path, ...stat },
  2: {},
  13: {},
  5: stat,
  4: { data: "buffer", ...stat },
  8: { children: "strings" },
  [-1]: { err: "int" },
};

/** Converts one JSON field value to the codec's type. */
function convert(type: FieldType, json: unknown, where: string): unknown {
  if (json === null) {
    assert.ok(type !== "int" && type !== "long" && type !== "bool", `${where}: null ${type}`);
    return null;
  }
  switch (type) {
    case "int":
      assert.ok(Number.isInteger(json), `${where}: int expected`);
      return json;
    case "bool":
      assert.equal(typeof json, "boolean", `${where}: boolean expected`);
      return json;
    case "long":
      assert.match(json as string, /^-?\d+$/, `${where}: long as a decimal string expected`);
      return BigInt(json as string);
    case "buffer":
      return fromHex((json as { hex: string }).hex);
    case "string":
      assert.equal(typeof json, "string", `${where}: string expected`);
      return json;
    case "strings":
      assert.ok(Array.isArray(json), `${where}: array expected`);
      return json.map((s, i) => convert("string", s, `${where}[${i}]`));
  }
  if (type.endsWith("[]")) {
    assert.ok(Array.isArray(json), `${where}: array expected`);
    return json.map((item, i) => convertRecord(type.slice(0, -2), item, `${where}[${i}]`));
  }
  return convertRecord(type, json, where);
}

/** Converts a record's JSON fields; every field must be known, in wire order. */
function convertRecord(record: string, json: unknown, where: string): Record<string, unknown> {
  const schema = SCHEMAS[record];
  assert.ok(schema, `${where}: unknown record ${record}`);
  return convertFields(schema, json as Record<string, unknown>, `${where} (${record})`);
}

function convertFields(
  schema: Schema,
  json: Record<string, unknown>,
  where: string,
): Record<string, unknown> {
  const names = Object.keys(json);
  const order = Object.keys(schema).filter((name) => name in json);
  assert.deepEqual(names, order, `${where}: fields ${names} are not ${Object.keys(schema)}`);
  const out: Record<string, unknown> = {};
  for (const name of names) out[name] = convert(schema[name], json[name], `${where}.${name}`);
  return out;
}

interface Line {
  record: string;
  hex: string;
  fields?: Record<string, unknown>;
  ops?: { type: number; record: string; fields: Record<string, unknown> }[];
  results?: { type: number; [field: string]: unknown }[];
}

/** The value the codec must encode to, and decode from, a line's hex. */
function expectedValue(line: Line, where: string): unknown {
  if (line.record === "MultiRequest") {
    assert.ok(Array.isArray(line.ops), `${where}: MultiRequest without ops`);
    return line.ops.map((op, i) => ({
      type: op.type,
      request: convertRecord(op.record, op.fields, `${where} op ${i}`),
    }));
  }
  if (line.record === "MultiResponse") {
    assert.ok(Array.isArray(line.results), `${where}: MultiResponse without results`);
    return line.results.map((result, i) => {
      const schema = RESULT_SCHEMAS[result.type];
      assert.ok(schema, `${where}: unknown multi result type ${result.type}`);
      const { type, ...rest } = result;
      return { type, ...convertFields(schema, rest, `${where} result ${i}`) };
    });
  }
  assert.ok(line.fields, `${where}: no fields`);
  return convertRecord(line.record, line.fields, where);
}

/** Checks every line of a vector file; returns how many it checked. */
async function checkVectorFile(file: string | URL): Promise<number> {
  const text = await Deno.readTextFile(file);
  let checked = 0;
  const lines = text.split("\n");
  for (let n = 0; n < lines.length; n++) {
    if (lines[n].trim() === "") continue;
    const where = `${file}:${n + 1}`;
    const line = JSON.parse(lines[n]) as Line;
    const codec = recordCodecs.get(line.record);
    assert.ok(codec, `${where}: the codec does not know record ${line.record}`);
    const value = expectedValue(line, where);

    const w = new JuteWriter(16);
    codec.write(w, value);
    assert.equal(toHex(w.bytes()), line.hex, `${where}: encoding ${line.record}`);

    const r = new JuteReader(fromHex(line.hex));
    const decoded = codec.read(r);
    r.expectEnd();
    assert.deepStrictEqual(decoded, value, `${where}: decoding ${line.record}`);
    checked++;
  }
  return checked;
}

Deno.test("every golden vector encodes to its hex and decodes back to its fields", async () => {
  const file = defaultVectorsFile();
  const checked = await checkVectorFile(file);
  assert.ok(checked > 0, `${file} holds no vectors`);
  console.log(`checked ${checked} jute vectors from ${file}`);
});

Deno.test("the extra vectors (read-only byte, 3.9 zxid, multiRead, CESU-8) pass too", async () => {
  const file = EXTRA_VECTORS_FILE;
  const checked = await checkVectorFile(file);
  assert.ok(checked > 0, `${file} holds no vectors`);
  console.log(`checked ${checked} jute vectors from ${file}`);
});

Deno.test("a vector naming a record the codec does not know fails the check", async () => {
  const file = await Deno.makeTempFile({ suffix: ".jsonl" });
  try {
    await Deno.writeTextFile(file, JSON.stringify({ record: "NoSuchRecord", fields: {}, hex: "" }));
    await assert.rejects(checkVectorFile(file), /does not know record NoSuchRecord/);
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("a vector whose hex disagrees with its fields fails the check", async () => {
  const file = await Deno.makeTempFile({ suffix: ".jsonl" });
  try {
    const line = { record: "ErrorResponse", fields: { err: -101 }, hex: "ffffff9a" };
    await Deno.writeTextFile(file, JSON.stringify(line));
    await assert.rejects(checkVectorFile(file), /encoding ErrorResponse/);
  } finally {
    await Deno.remove(file);
  }
});
