/**
 * Every record of ZooKeeper's `zookeeper.jute` that a 3.5–3.9 client sends or
 * receives: an interface with jute's field names, a `writeX` and a `readX`
 * for each. Multi bodies are in `multi.ts`.
 *
 * Types follow jute: `int` is `number`, `long` is `bigint`, `buffer` is
 * `Uint8Array | null` (a null buffer is common: a node created without data).
 * A `ustring` or `vector` field is typed `string`/`T[]` where servers and
 * clients never send null, so that code using the records stays plain; the
 * codec still round-trips a null (length -1) exactly, so a field decoded from
 * a peer that does send one holds `null` at run time. `ReconfigRequest`'s
 * strings, which the client does send as null, are typed `string | null`.
 *
 * @example
 * ```ts
 * import { JuteReader, JuteWriter, readGetDataResponse, writeGetDataRequest } from "@zk/client/jute";
 * const w = new JuteWriter();
 * writeGetDataRequest(w, { path: "/app/config", watch: true });
 * declare const reply: Uint8Array;
 * const { data, stat } = readGetDataResponse(new JuteReader(reply));
 * ```
 *
 * @module
 */

import type { JuteReader } from "./reader.ts";
import type { JuteWriter } from "./writer.ts";

/** The fewest bytes an encoded {@linkcode ACL} takes: perms and two lengths. */
const ACL_MIN_SIZE = 12;
/** The fewest bytes an encoded {@linkcode ClientInfo} takes: two lengths. */
const CLIENT_INFO_MIN_SIZE = 8;

/** A `ustring` typed non-null (see the module doc): null on the wire stays null. */
function ustring(r: JuteReader): string {
  return r.string() as string;
}

/** A `vector<ustring>` typed non-null (see the module doc). */
function ustrings(r: JuteReader): string[] {
  return r.stringVector() as string[];
}

/** A `vector<ACL>` typed non-null (see the module doc). */
function acls(r: JuteReader): ACL[] {
  return r.vector(readACL, ACL_MIN_SIZE) as ACL[];
}

/**
 * An ACL identity: a scheme (`world`, `digest`, `ip`, `auth`, `sasl`, `x509`) and an id within it.
 */
export interface Id {
  /** The authentication scheme. */
  scheme: string;
  /** The identity within the scheme. */
  id: string;
}

/** Writes a {@linkcode Id}. */
export function writeId(w: JuteWriter, v: Id): void {
  w.string(v.scheme);
  w.string(v.id);
}

/** Reads a {@linkcode Id}. */
export function readId(r: JuteReader): Id {
  return {
    scheme: ustring(r),
    id: ustring(r),
  };
}

/**
 * One ACL entry: permission bits (`Perms`) granted to an {@linkcode Id}.
 */
export interface ACL {
  /** Bits of READ 1, WRITE 2, CREATE 4, DELETE 8, ADMIN 16. */
  perms: number;
  /** Who gets them. */
  id: Id;
}

/** Writes a {@linkcode ACL}. */
export function writeACL(w: JuteWriter, v: ACL): void {
  w.int(v.perms);
  writeId(w, v.id);
}

/** Reads a {@linkcode ACL}. */
export function readACL(r: JuteReader): ACL {
  return {
    perms: r.int(),
    id: readId(r),
  };
}

/**
 * A node's metadata as the server sends it. Every `long` is a `bigint`, times included (ms since the epoch).
 */
export interface StatRecord {
  /** The zxid of the change that created the node. */
  czxid: bigint;
  /** The zxid of the change that last modified the node's data. */
  mzxid: bigint;
  /** When the node was created (ms since the epoch). */
  ctime: bigint;
  /** When the node's data was last modified (ms since the epoch). */
  mtime: bigint;
  /** Number of changes to the data. */
  version: number;
  /** Number of changes to the children. */
  cversion: number;
  /** Number of changes to the ACL. */
  aversion: number;
  /** The owning session of an ephemeral node; 0 otherwise. */
  ephemeralOwner: bigint;
  /** Length of the data in bytes. */
  dataLength: number;
  /** Number of children. */
  numChildren: number;
  /** The zxid of the change that last modified the children. */
  pzxid: bigint;
}

/** Writes a {@linkcode StatRecord}. */
export function writeStat(w: JuteWriter, v: StatRecord): void {
  w.long(v.czxid);
  w.long(v.mzxid);
  w.long(v.ctime);
  w.long(v.mtime);
  w.int(v.version);
  w.int(v.cversion);
  w.int(v.aversion);
  w.long(v.ephemeralOwner);
  w.int(v.dataLength);
  w.int(v.numChildren);
  w.long(v.pzxid);
}

/** Reads a {@linkcode StatRecord}. */
export function readStat(r: JuteReader): StatRecord {
  return {
    czxid: r.long(),
    mzxid: r.long(),
    ctime: r.long(),
    mtime: r.long(),
    version: r.int(),
    cversion: r.int(),
    aversion: r.int(),
    ephemeralOwner: r.long(),
    dataLength: r.int(),
    numChildren: r.int(),
    pzxid: r.long(),
  };
}

/**
 * A node's metadata as the server stores it (snapshots and transaction logs): a {@linkcode StatRecord} without `dataLength` and `numChildren`.
 */
export interface StatPersisted {
  /** The zxid of the change that created the node. */
  czxid: bigint;
  /** The zxid of the change that last modified the node's data. */
  mzxid: bigint;
  /** When the node was created (ms since the epoch). */
  ctime: bigint;
  /** When the node's data was last modified (ms since the epoch). */
  mtime: bigint;
  /** Number of changes to the data. */
  version: number;
  /** Number of changes to the children. */
  cversion: number;
  /** Number of changes to the ACL. */
  aversion: number;
  /** The owning session of an ephemeral node; 0 otherwise. */
  ephemeralOwner: bigint;
  /** The zxid of the change that last modified the children. */
  pzxid: bigint;
}

/** Writes a {@linkcode StatPersisted}. */
export function writeStatPersisted(w: JuteWriter, v: StatPersisted): void {
  w.long(v.czxid);
  w.long(v.mzxid);
  w.long(v.ctime);
  w.long(v.mtime);
  w.int(v.version);
  w.int(v.cversion);
  w.int(v.aversion);
  w.long(v.ephemeralOwner);
  w.long(v.pzxid);
}

/** Reads a {@linkcode StatPersisted}. */
export function readStatPersisted(r: JuteReader): StatPersisted {
  return {
    czxid: r.long(),
    mzxid: r.long(),
    ctime: r.long(),
    mtime: r.long(),
    version: r.int(),
    cversion: r.int(),
    aversion: r.int(),
    ephemeralOwner: r.long(),
    pzxid: r.long(),
  };
}

/**
 * One authenticated identity of a session, in a {@linkcode WhoAmIResponse} (3.7+).
 */
export interface ClientInfo {
  /** The scheme it authenticated with. */
  authScheme: string;
  /** The identity within the scheme. */
  user: string;
}

/** Writes a {@linkcode ClientInfo}. */
export function writeClientInfo(w: JuteWriter, v: ClientInfo): void {
  w.string(v.authScheme);
  w.string(v.user);
}

/** Reads a {@linkcode ClientInfo}. */
export function readClientInfo(r: JuteReader): ClientInfo {
  return {
    authScheme: ustring(r),
    user: ustring(r),
  };
}

/**
 * The handshake a client sends first on every connection (no
 * {@linkcode RequestHeader}). `readOnly` is not part of the jute record: the
 * client appends it after the record (3.4+), and it is written only when set.
 */
export interface ConnectRequest {
  /** Always 0. */
  protocolVersion: number;
  /** The last zxid the client saw: a server behind it refuses the connection. */
  lastZxidSeen: bigint;
  /** The session timeout the client asks for, in ms. */
  timeOut: number;
  /** 0 for a new session, else the session to resume. */
  sessionId: bigint;
  /** The session's password (16 zero bytes for a new session). */
  passwd: Uint8Array | null;
  /** Whether the client accepts a read-only server; omitted from the wire when undefined. */
  readOnly?: boolean;
}

/** Writes a {@linkcode ConnectRequest}, and its `readOnly` byte when defined. */
export function writeConnectRequest(w: JuteWriter, v: ConnectRequest): void {
  w.int(v.protocolVersion);
  w.long(v.lastZxidSeen);
  w.int(v.timeOut);
  w.long(v.sessionId);
  w.buffer(v.passwd);
  if (v.readOnly !== undefined) w.bool(v.readOnly);
}

/** Reads a {@linkcode ConnectRequest}; `readOnly` is read only when a byte is left. */
export function readConnectRequest(r: JuteReader): ConnectRequest {
  const v: ConnectRequest = {
    protocolVersion: r.int(),
    lastZxidSeen: r.long(),
    timeOut: r.int(),
    sessionId: r.long(),
    passwd: r.buffer(),
  };
  if (r.remaining > 0) v.readOnly = r.bool();
  return v;
}

/**
 * The server's answer to a {@linkcode ConnectRequest} (no
 * {@linkcode ReplyHeader}). A `timeOut` of 0 or less means the session has
 * expired. `readOnly` follows the record when the server supports read-only
 * mode (3.4+); it is written only when set.
 */
export interface ConnectResponse {
  /** Always 0. */
  protocolVersion: number;
  /** The negotiated session timeout in ms; 0 or less if the session expired. */
  timeOut: number;
  /** The session id. */
  sessionId: bigint;
  /** The session password, for resuming the session. */
  passwd: Uint8Array | null;
  /** Whether the server is in read-only mode; absent when it did not say. */
  readOnly?: boolean;
}

/** Writes a {@linkcode ConnectResponse}, and its `readOnly` byte when defined. */
export function writeConnectResponse(w: JuteWriter, v: ConnectResponse): void {
  w.int(v.protocolVersion);
  w.int(v.timeOut);
  w.long(v.sessionId);
  w.buffer(v.passwd);
  if (v.readOnly !== undefined) w.bool(v.readOnly);
}

/** Reads a {@linkcode ConnectResponse}; `readOnly` is read only when a byte is left. */
export function readConnectResponse(r: JuteReader): ConnectResponse {
  const v: ConnectResponse = {
    protocolVersion: r.int(),
    timeOut: r.int(),
    sessionId: r.long(),
    passwd: r.buffer(),
  };
  if (r.remaining > 0) v.readOnly = r.bool();
  return v;
}

/**
 * The header of every request but the handshake: its xid and its {@linkcode OpCode}.
 */
export interface RequestHeader {
  /** The request's number, echoed in its reply; negative for the reserved {@linkcode Xid}s. */
  xid: number;
  /** The operation, an {@linkcode OpCode}. */
  type: number;
}

/** Writes a {@linkcode RequestHeader}. */
export function writeRequestHeader(w: JuteWriter, v: RequestHeader): void {
  w.int(v.xid);
  w.int(v.type);
}

/** Reads a {@linkcode RequestHeader}. */
export function readRequestHeader(r: JuteReader): RequestHeader {
  return {
    xid: r.int(),
    type: r.int(),
  };
}

/**
 * The header of every reply but the handshake's.
 */
export interface ReplyHeader {
  /** The xid of the request answered, or a reserved {@linkcode Xid}. */
  xid: number;
  /** The last zxid the server has applied. */
  zxid: bigint;
  /** 0, or an {@linkcode ErrorCode}; the body is absent when it is not 0. */
  err: number;
}

/** Writes a {@linkcode ReplyHeader}. */
export function writeReplyHeader(w: JuteWriter, v: ReplyHeader): void {
  w.int(v.xid);
  w.long(v.zxid);
  w.int(v.err);
}

/** Reads a {@linkcode ReplyHeader}. */
export function readReplyHeader(r: JuteReader): ReplyHeader {
  return {
    xid: r.int(),
    zxid: r.long(),
    err: r.int(),
  };
}

/**
 * Credentials added to the session (`addAuth`), sent with xid {@linkcode Xid.AUTH}.
 */
export interface AuthPacket {
  /** Always 0. */
  type: number;
  /** The auth scheme, e.g. `digest`. */
  scheme: string;
  /** The credential, e.g. `user:password` in UTF-8. */
  auth: Uint8Array | null;
}

/** Writes a {@linkcode AuthPacket}. */
export function writeAuthPacket(w: JuteWriter, v: AuthPacket): void {
  w.int(v.type);
  w.string(v.scheme);
  w.buffer(v.auth);
}

/** Reads a {@linkcode AuthPacket}. */
export function readAuthPacket(r: JuteReader): AuthPacket {
  return {
    type: r.int(),
    scheme: ustring(r),
    auth: r.buffer(),
  };
}

/**
 * A watch notification, pushed with xid {@linkcode Xid.NOTIFICATION}.
 * ZooKeeper 3.9 appends the zxid of the change that fired it; older servers
 * do not, and `zxid` is then absent.
 */
export interface WatcherEvent {
  /** An {@linkcode EventTypeCode}. */
  type: number;
  /** A {@linkcode KeeperStateCode}. */
  state: number;
  /** The node's path (with the chroot). */
  path: string;
  /** The zxid that fired the watch (3.9+); written only when defined. */
  zxid?: bigint;
}

/** Writes a {@linkcode WatcherEvent}, and its `zxid` when defined. */
export function writeWatcherEvent(w: JuteWriter, v: WatcherEvent): void {
  w.int(v.type);
  w.int(v.state);
  w.string(v.path);
  if (v.zxid !== undefined) w.long(v.zxid);
}

/** Reads a {@linkcode WatcherEvent}; `zxid` is read only when 8 bytes are left. */
export function readWatcherEvent(r: JuteReader): WatcherEvent {
  const v: WatcherEvent = { type: r.int(), state: r.int(), path: ustring(r) };
  if (r.remaining >= 8) v.zxid = r.long();
  return v;
}

/**
 * The body of a failed op in a multi response.
 */
export interface ErrorResponse {
  /** The op's {@linkcode ErrorCode}. */
  err: number;
}

/** Writes a {@linkcode ErrorResponse}. */
export function writeErrorResponse(w: JuteWriter, v: ErrorResponse): void {
  w.int(v.err);
}

/** Reads a {@linkcode ErrorResponse}. */
export function readErrorResponse(r: JuteReader): ErrorResponse {
  return {
    err: r.int(),
  };
}

/**
 * Precedes each op of a multi request and each result of a multi response; `done` marks the end.
 */
export interface MultiHeader {
  /** The op's {@linkcode OpCode}, or -1 for an error result and for the end marker. */
  type: number;
  /** True only on the end marker. */
  done: boolean;
  /** -1 in requests; the op's error code in responses (0 on success). */
  err: number;
}

/** Writes a {@linkcode MultiHeader}. */
export function writeMultiHeader(w: JuteWriter, v: MultiHeader): void {
  w.int(v.type);
  w.bool(v.done);
  w.int(v.err);
}

/** Reads a {@linkcode MultiHeader}. */
export function readMultiHeader(r: JuteReader): MultiHeader {
  return {
    type: r.int(),
    done: r.bool(),
    err: r.int(),
  };
}

/**
 * Creates a node (opcodes `create`, `create2`, `createContainer`).
 */
export interface CreateRequest {
  /** The node's path (with the chroot). */
  path: string;
  /** Its initial data. */
  data: Uint8Array | null;
  /** Its ACL. */
  acl: ACL[];
  /** A {@linkcode CreateFlags} mode. */
  flags: number;
}

/** Writes a {@linkcode CreateRequest}. */
export function writeCreateRequest(w: JuteWriter, v: CreateRequest): void {
  w.string(v.path);
  w.buffer(v.data);
  w.vector(v.acl, writeACL);
  w.int(v.flags);
}

/** Reads a {@linkcode CreateRequest}. */
export function readCreateRequest(r: JuteReader): CreateRequest {
  return {
    path: ustring(r),
    data: r.buffer(),
    acl: acls(r),
    flags: r.int(),
  };
}

/**
 * Creates a node that expires after `ttl` ms without changes or children (opcode `createTTL`, 3.5.3+).
 */
export interface CreateTTLRequest {
  /** The node's path (with the chroot). */
  path: string;
  /** Its initial data. */
  data: Uint8Array | null;
  /** Its ACL. */
  acl: ACL[];
  /** A TTL mode of {@linkcode CreateFlags}. */
  flags: number;
  /** Time to live in ms. */
  ttl: bigint;
}

/** Writes a {@linkcode CreateTTLRequest}. */
export function writeCreateTTLRequest(w: JuteWriter, v: CreateTTLRequest): void {
  w.string(v.path);
  w.buffer(v.data);
  w.vector(v.acl, writeACL);
  w.int(v.flags);
  w.long(v.ttl);
}

/** Reads a {@linkcode CreateTTLRequest}. */
export function readCreateTTLRequest(r: JuteReader): CreateTTLRequest {
  return {
    path: ustring(r),
    data: r.buffer(),
    acl: acls(r),
    flags: r.int(),
    ttl: r.long(),
  };
}

/**
 * The reply to `create`.
 */
export interface CreateResponse {
  /** The created path (sequence number included). */
  path: string;
}

/** Writes a {@linkcode CreateResponse}. */
export function writeCreateResponse(w: JuteWriter, v: CreateResponse): void {
  w.string(v.path);
}

/** Reads a {@linkcode CreateResponse}. */
export function readCreateResponse(r: JuteReader): CreateResponse {
  return {
    path: ustring(r),
  };
}

/**
 * The reply to `create2`, `createContainer` and `createTTL`.
 */
export interface Create2Response {
  /** The created path (sequence number included). */
  path: string;
  /** The new node's metadata. */
  stat: StatRecord;
}

/** Writes a {@linkcode Create2Response}. */
export function writeCreate2Response(w: JuteWriter, v: Create2Response): void {
  w.string(v.path);
  writeStat(w, v.stat);
}

/** Reads a {@linkcode Create2Response}. */
export function readCreate2Response(r: JuteReader): Create2Response {
  return {
    path: ustring(r),
    stat: readStat(r),
  };
}

/**
 * Deletes a node (opcodes `delete`, `deleteContainer`).
 */
export interface DeleteRequest {
  /** The node's path. */
  path: string;
  /** The expected data version, or -1 for any. */
  version: number;
}

/** Writes a {@linkcode DeleteRequest}. */
export function writeDeleteRequest(w: JuteWriter, v: DeleteRequest): void {
  w.string(v.path);
  w.int(v.version);
}

/** Reads a {@linkcode DeleteRequest}. */
export function readDeleteRequest(r: JuteReader): DeleteRequest {
  return {
    path: ustring(r),
    version: r.int(),
  };
}

/**
 * Checks whether a node exists (opcode `exists`).
 */
export interface ExistsRequest {
  /** The node's path. */
  path: string;
  /** Whether to leave a watch (data watch if it exists, else an exist watch). */
  watch: boolean;
}

/** Writes a {@linkcode ExistsRequest}. */
export function writeExistsRequest(w: JuteWriter, v: ExistsRequest): void {
  w.string(v.path);
  w.bool(v.watch);
}

/** Reads a {@linkcode ExistsRequest}. */
export function readExistsRequest(r: JuteReader): ExistsRequest {
  return {
    path: ustring(r),
    watch: r.bool(),
  };
}

/**
 * The reply to `exists` when the node exists.
 */
export interface ExistsResponse {
  /** The node's metadata. */
  stat: StatRecord;
}

/** Writes a {@linkcode ExistsResponse}. */
export function writeExistsResponse(w: JuteWriter, v: ExistsResponse): void {
  writeStat(w, v.stat);
}

/** Reads a {@linkcode ExistsResponse}. */
export function readExistsResponse(r: JuteReader): ExistsResponse {
  return {
    stat: readStat(r),
  };
}

/**
 * Reads a node's data (opcode `getData`).
 */
export interface GetDataRequest {
  /** The node's path. */
  path: string;
  /** Whether to leave a data watch. */
  watch: boolean;
}

/** Writes a {@linkcode GetDataRequest}. */
export function writeGetDataRequest(w: JuteWriter, v: GetDataRequest): void {
  w.string(v.path);
  w.bool(v.watch);
}

/** Reads a {@linkcode GetDataRequest}. */
export function readGetDataRequest(r: JuteReader): GetDataRequest {
  return {
    path: ustring(r),
    watch: r.bool(),
  };
}

/**
 * The reply to `getData`.
 */
export interface GetDataResponse {
  /** The node's data (null if it was created with null data). */
  data: Uint8Array | null;
  /** The node's metadata. */
  stat: StatRecord;
}

/** Writes a {@linkcode GetDataResponse}. */
export function writeGetDataResponse(w: JuteWriter, v: GetDataResponse): void {
  w.buffer(v.data);
  writeStat(w, v.stat);
}

/** Reads a {@linkcode GetDataResponse}. */
export function readGetDataResponse(r: JuteReader): GetDataResponse {
  return {
    data: r.buffer(),
    stat: readStat(r),
  };
}

/**
 * Replaces a node's data (opcode `setData`).
 */
export interface SetDataRequest {
  /** The node's path. */
  path: string;
  /** The new data. */
  data: Uint8Array | null;
  /** The expected data version, or -1 for any. */
  version: number;
}

/** Writes a {@linkcode SetDataRequest}. */
export function writeSetDataRequest(w: JuteWriter, v: SetDataRequest): void {
  w.string(v.path);
  w.buffer(v.data);
  w.int(v.version);
}

/** Reads a {@linkcode SetDataRequest}. */
export function readSetDataRequest(r: JuteReader): SetDataRequest {
  return {
    path: ustring(r),
    data: r.buffer(),
    version: r.int(),
  };
}

/**
 * The reply to `setData`.
 */
export interface SetDataResponse {
  /** The node's new metadata. */
  stat: StatRecord;
}

/** Writes a {@linkcode SetDataResponse}. */
export function writeSetDataResponse(w: JuteWriter, v: SetDataResponse): void {
  writeStat(w, v.stat);
}

/** Reads a {@linkcode SetDataResponse}. */
export function readSetDataResponse(r: JuteReader): SetDataResponse {
  return {
    stat: readStat(r),
  };
}

/**
 * Reads a node's ACL (opcode `getACL`).
 */
export interface GetACLRequest {
  /** The node's path. */
  path: string;
}

/** Writes a {@linkcode GetACLRequest}. */
export function writeGetACLRequest(w: JuteWriter, v: GetACLRequest): void {
  w.string(v.path);
}

/** Reads a {@linkcode GetACLRequest}. */
export function readGetACLRequest(r: JuteReader): GetACLRequest {
  return {
    path: ustring(r),
  };
}

/**
 * The reply to `getACL`.
 */
export interface GetACLResponse {
  /** The node's ACL. */
  acl: ACL[];
  /** The node's metadata. */
  stat: StatRecord;
}

/** Writes a {@linkcode GetACLResponse}. */
export function writeGetACLResponse(w: JuteWriter, v: GetACLResponse): void {
  w.vector(v.acl, writeACL);
  writeStat(w, v.stat);
}

/** Reads a {@linkcode GetACLResponse}. */
export function readGetACLResponse(r: JuteReader): GetACLResponse {
  return {
    acl: acls(r),
    stat: readStat(r),
  };
}

/**
 * Replaces a node's ACL (opcode `setACL`).
 */
export interface SetACLRequest {
  /** The node's path. */
  path: string;
  /** The new ACL. */
  acl: ACL[];
  /** The expected ACL version (`aversion`), or -1 for any. */
  version: number;
}

/** Writes a {@linkcode SetACLRequest}. */
export function writeSetACLRequest(w: JuteWriter, v: SetACLRequest): void {
  w.string(v.path);
  w.vector(v.acl, writeACL);
  w.int(v.version);
}

/** Reads a {@linkcode SetACLRequest}. */
export function readSetACLRequest(r: JuteReader): SetACLRequest {
  return {
    path: ustring(r),
    acl: acls(r),
    version: r.int(),
  };
}

/**
 * The reply to `setACL`.
 */
export interface SetACLResponse {
  /** The node's new metadata. */
  stat: StatRecord;
}

/** Writes a {@linkcode SetACLResponse}. */
export function writeSetACLResponse(w: JuteWriter, v: SetACLResponse): void {
  writeStat(w, v.stat);
}

/** Reads a {@linkcode SetACLResponse}. */
export function readSetACLResponse(r: JuteReader): SetACLResponse {
  return {
    stat: readStat(r),
  };
}

/**
 * Lists a node's children (opcode `getChildren`).
 */
export interface GetChildrenRequest {
  /** The node's path. */
  path: string;
  /** Whether to leave a child watch. */
  watch: boolean;
}

/** Writes a {@linkcode GetChildrenRequest}. */
export function writeGetChildrenRequest(w: JuteWriter, v: GetChildrenRequest): void {
  w.string(v.path);
  w.bool(v.watch);
}

/** Reads a {@linkcode GetChildrenRequest}. */
export function readGetChildrenRequest(r: JuteReader): GetChildrenRequest {
  return {
    path: ustring(r),
    watch: r.bool(),
  };
}

/**
 * The reply to `getChildren`.
 */
export interface GetChildrenResponse {
  /** The children's names (not paths). */
  children: string[];
}

/** Writes a {@linkcode GetChildrenResponse}. */
export function writeGetChildrenResponse(w: JuteWriter, v: GetChildrenResponse): void {
  w.stringVector(v.children);
}

/** Reads a {@linkcode GetChildrenResponse}. */
export function readGetChildrenResponse(r: JuteReader): GetChildrenResponse {
  return {
    children: ustrings(r),
  };
}

/**
 * Lists a node's children with its metadata (opcode `getChildren2`).
 */
export interface GetChildren2Request {
  /** The node's path. */
  path: string;
  /** Whether to leave a child watch. */
  watch: boolean;
}

/** Writes a {@linkcode GetChildren2Request}. */
export function writeGetChildren2Request(w: JuteWriter, v: GetChildren2Request): void {
  w.string(v.path);
  w.bool(v.watch);
}

/** Reads a {@linkcode GetChildren2Request}. */
export function readGetChildren2Request(r: JuteReader): GetChildren2Request {
  return {
    path: ustring(r),
    watch: r.bool(),
  };
}

/**
 * The reply to `getChildren2`.
 */
export interface GetChildren2Response {
  /** The children's names (not paths). */
  children: string[];
  /** The node's metadata. */
  stat: StatRecord;
}

/** Writes a {@linkcode GetChildren2Response}. */
export function writeGetChildren2Response(w: JuteWriter, v: GetChildren2Response): void {
  w.stringVector(v.children);
  writeStat(w, v.stat);
}

/** Reads a {@linkcode GetChildren2Response}. */
export function readGetChildren2Response(r: JuteReader): GetChildren2Response {
  return {
    children: ustrings(r),
    stat: readStat(r),
  };
}

/**
 * Makes the server catch up with the leader (opcode `sync`).
 */
export interface SyncRequest {
  /** The path to sync. */
  path: string;
}

/** Writes a {@linkcode SyncRequest}. */
export function writeSyncRequest(w: JuteWriter, v: SyncRequest): void {
  w.string(v.path);
}

/** Reads a {@linkcode SyncRequest}. */
export function readSyncRequest(r: JuteReader): SyncRequest {
  return {
    path: ustring(r),
  };
}

/**
 * The reply to `sync`.
 */
export interface SyncResponse {
  /** The path synced. */
  path: string;
}

/** Writes a {@linkcode SyncResponse}. */
export function writeSyncResponse(w: JuteWriter, v: SyncResponse): void {
  w.string(v.path);
}

/** Reads a {@linkcode SyncResponse}. */
export function readSyncResponse(r: JuteReader): SyncResponse {
  return {
    path: ustring(r),
  };
}

/**
 * A multi op that checks a node's version (opcode `check`).
 */
export interface CheckVersionRequest {
  /** The node's path. */
  path: string;
  /** The expected data version. */
  version: number;
}

/** Writes a {@linkcode CheckVersionRequest}. */
export function writeCheckVersionRequest(w: JuteWriter, v: CheckVersionRequest): void {
  w.string(v.path);
  w.int(v.version);
}

/** Reads a {@linkcode CheckVersionRequest}. */
export function readCheckVersionRequest(r: JuteReader): CheckVersionRequest {
  return {
    path: ustring(r),
    version: r.int(),
  };
}

/**
 * Re-registers one-shot watches after a reconnect (opcode `setWatches`, xid {@linkcode Xid.SET_WATCHES}).
 */
export interface SetWatches {
  /** The last zxid the client saw: events after it fire at once. */
  relativeZxid: bigint;
  /** Paths with a data watch. */
  dataWatches: string[];
  /** Paths with an exist watch. */
  existWatches: string[];
  /** Paths with a child watch. */
  childWatches: string[];
}

/** Writes a {@linkcode SetWatches}. */
export function writeSetWatches(w: JuteWriter, v: SetWatches): void {
  w.long(v.relativeZxid);
  w.stringVector(v.dataWatches);
  w.stringVector(v.existWatches);
  w.stringVector(v.childWatches);
}

/** Reads a {@linkcode SetWatches}. */
export function readSetWatches(r: JuteReader): SetWatches {
  return {
    relativeZxid: r.long(),
    dataWatches: ustrings(r),
    existWatches: ustrings(r),
    childWatches: ustrings(r),
  };
}

/**
 * Re-registers one-shot and persistent watches after a reconnect (opcode `setWatches2`, 3.6+).
 */
export interface SetWatches2 {
  /** The last zxid the client saw: events after it fire at once. */
  relativeZxid: bigint;
  /** Paths with a data watch. */
  dataWatches: string[];
  /** Paths with an exist watch. */
  existWatches: string[];
  /** Paths with a child watch. */
  childWatches: string[];
  /** Paths with a persistent watch. */
  persistentWatches: string[];
  /** Paths with a persistent recursive watch. */
  persistentRecursiveWatches: string[];
}

/** Writes a {@linkcode SetWatches2}. */
export function writeSetWatches2(w: JuteWriter, v: SetWatches2): void {
  w.long(v.relativeZxid);
  w.stringVector(v.dataWatches);
  w.stringVector(v.existWatches);
  w.stringVector(v.childWatches);
  w.stringVector(v.persistentWatches);
  w.stringVector(v.persistentRecursiveWatches);
}

/** Reads a {@linkcode SetWatches2}. */
export function readSetWatches2(r: JuteReader): SetWatches2 {
  return {
    relativeZxid: r.long(),
    dataWatches: ustrings(r),
    existWatches: ustrings(r),
    childWatches: ustrings(r),
    persistentWatches: ustrings(r),
    persistentRecursiveWatches: ustrings(r),
  };
}

/**
 * Adds a persistent watch (opcode `addWatch`, 3.6+).
 */
export interface AddWatchRequest {
  /** The node's path. */
  path: string;
  /** An {@linkcode AddWatchMode}. */
  mode: number;
}

/** Writes a {@linkcode AddWatchRequest}. */
export function writeAddWatchRequest(w: JuteWriter, v: AddWatchRequest): void {
  w.string(v.path);
  w.int(v.mode);
}

/** Reads a {@linkcode AddWatchRequest}. */
export function readAddWatchRequest(r: JuteReader): AddWatchRequest {
  return {
    path: ustring(r),
    mode: r.int(),
  };
}

/**
 * Removes watches from the server (opcode `removeWatches`).
 */
export interface RemoveWatchesRequest {
  /** The node's path. */
  path: string;
  /** A {@linkcode WatcherType}. */
  type: number;
}

/** Writes a {@linkcode RemoveWatchesRequest}. */
export function writeRemoveWatchesRequest(w: JuteWriter, v: RemoveWatchesRequest): void {
  w.string(v.path);
  w.int(v.type);
}

/** Reads a {@linkcode RemoveWatchesRequest}. */
export function readRemoveWatchesRequest(r: JuteReader): RemoveWatchesRequest {
  return {
    path: ustring(r),
    type: r.int(),
  };
}

/**
 * Checks that the server holds watches (opcode `checkWatches`).
 */
export interface CheckWatchesRequest {
  /** The node's path. */
  path: string;
  /** A {@linkcode WatcherType}. */
  type: number;
}

/** Writes a {@linkcode CheckWatchesRequest}. */
export function writeCheckWatchesRequest(w: JuteWriter, v: CheckWatchesRequest): void {
  w.string(v.path);
  w.int(v.type);
}

/** Reads a {@linkcode CheckWatchesRequest}. */
export function readCheckWatchesRequest(r: JuteReader): CheckWatchesRequest {
  return {
    path: ustring(r),
    type: r.int(),
  };
}

/**
 * Changes the ensemble (opcode `reconfig`): incrementally with `joiningServers`/`leavingServers`, or in bulk with `newMembers`.
 */
export interface ReconfigRequest {
  /** Comma-separated server specs to add, or null. */
  joiningServers: string | null;
  /** Comma-separated server ids to remove, or null. */
  leavingServers: string | null;
  /** The whole new membership, or null. */
  newMembers: string | null;
  /** The expected current config version, or -1 for any. */
  curConfigId: bigint;
}

/** Writes a {@linkcode ReconfigRequest}. */
export function writeReconfigRequest(w: JuteWriter, v: ReconfigRequest): void {
  w.string(v.joiningServers);
  w.string(v.leavingServers);
  w.string(v.newMembers);
  w.long(v.curConfigId);
}

/** Reads a {@linkcode ReconfigRequest}. */
export function readReconfigRequest(r: JuteReader): ReconfigRequest {
  return {
    joiningServers: r.string(),
    leavingServers: r.string(),
    newMembers: r.string(),
    curConfigId: r.long(),
  };
}

/**
 * Lists the session's ephemeral nodes (opcode `getEphemerals`, 3.6+).
 */
export interface GetEphemeralsRequest {
  /** Only those whose path starts with this. */
  prefixPath: string;
}

/** Writes a {@linkcode GetEphemeralsRequest}. */
export function writeGetEphemeralsRequest(w: JuteWriter, v: GetEphemeralsRequest): void {
  w.string(v.prefixPath);
}

/** Reads a {@linkcode GetEphemeralsRequest}. */
export function readGetEphemeralsRequest(r: JuteReader): GetEphemeralsRequest {
  return {
    prefixPath: ustring(r),
  };
}

/**
 * The reply to `getEphemerals`.
 */
export interface GetEphemeralsResponse {
  /** The ephemeral nodes' paths. */
  ephemerals: string[];
}

/** Writes a {@linkcode GetEphemeralsResponse}. */
export function writeGetEphemeralsResponse(w: JuteWriter, v: GetEphemeralsResponse): void {
  w.stringVector(v.ephemerals);
}

/** Reads a {@linkcode GetEphemeralsResponse}. */
export function readGetEphemeralsResponse(r: JuteReader): GetEphemeralsResponse {
  return {
    ephemerals: ustrings(r),
  };
}

/**
 * Counts a node's descendants (opcode `getAllChildrenNumber`, 3.6+).
 */
export interface GetAllChildrenNumberRequest {
  /** The node's path. */
  path: string;
}

/** Writes a {@linkcode GetAllChildrenNumberRequest}. */
export function writeGetAllChildrenNumberRequest(
  w: JuteWriter,
  v: GetAllChildrenNumberRequest,
): void {
  w.string(v.path);
}

/** Reads a {@linkcode GetAllChildrenNumberRequest}. */
export function readGetAllChildrenNumberRequest(r: JuteReader): GetAllChildrenNumberRequest {
  return {
    path: ustring(r),
  };
}

/**
 * The reply to `getAllChildrenNumber`.
 */
export interface GetAllChildrenNumberResponse {
  /** The number of descendants. */
  totalNumber: number;
}

/** Writes a {@linkcode GetAllChildrenNumberResponse}. */
export function writeGetAllChildrenNumberResponse(
  w: JuteWriter,
  v: GetAllChildrenNumberResponse,
): void {
  w.int(v.totalNumber);
}

/** Reads a {@linkcode GetAllChildrenNumberResponse}. */
export function readGetAllChildrenNumberResponse(r: JuteReader): GetAllChildrenNumberResponse {
  return {
    totalNumber: r.int(),
  };
}

/**
 * The reply to `whoAmI` (3.7+; the request has no body).
 */
export interface WhoAmIResponse {
  /** The session's authenticated identities. */
  clientInfo: ClientInfo[];
}

/** Writes a {@linkcode WhoAmIResponse}. */
export function writeWhoAmIResponse(w: JuteWriter, v: WhoAmIResponse): void {
  w.vector(v.clientInfo, writeClientInfo);
}

/** Reads a {@linkcode WhoAmIResponse}. */
export function readWhoAmIResponse(r: JuteReader): WhoAmIResponse {
  return {
    clientInfo: r.vector(readClientInfo, CLIENT_INFO_MIN_SIZE) as ClientInfo[],
  };
}

/**
 * A SASL token the client sends (opcode `sasl`): despite its name, this is the record Java's client sends and the server reads.
 */
export interface GetSASLRequest {
  /** The SASL token. */
  token: Uint8Array | null;
}

/** Writes a {@linkcode GetSASLRequest}. */
export function writeGetSASLRequest(w: JuteWriter, v: GetSASLRequest): void {
  w.buffer(v.token);
}

/** Reads a {@linkcode GetSASLRequest}. */
export function readGetSASLRequest(r: JuteReader): GetSASLRequest {
  return {
    token: r.buffer(),
  };
}

/**
 * Declared in `zookeeper.jute` with the layout of {@linkcode GetSASLRequest}; neither Java's client nor its server uses it.
 */
export interface SetSASLRequest {
  /** The SASL token. */
  token: Uint8Array | null;
}

/** Writes a {@linkcode SetSASLRequest}. */
export function writeSetSASLRequest(w: JuteWriter, v: SetSASLRequest): void {
  w.buffer(v.token);
}

/** Reads a {@linkcode SetSASLRequest}. */
export function readSetSASLRequest(r: JuteReader): SetSASLRequest {
  return {
    token: r.buffer(),
  };
}

/**
 * The server's SASL challenge in reply to `sasl`.
 */
export interface SetSASLResponse {
  /** The SASL token. */
  token: Uint8Array | null;
}

/** Writes a {@linkcode SetSASLResponse}. */
export function writeSetSASLResponse(w: JuteWriter, v: SetSASLResponse): void {
  w.buffer(v.token);
}

/** Reads a {@linkcode SetSASLResponse}. */
export function readSetSASLResponse(r: JuteReader): SetSASLResponse {
  return {
    token: r.buffer(),
  };
}
