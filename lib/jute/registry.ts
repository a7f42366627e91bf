/**
 * Every record codec by its `zookeeper.jute` name, plus `MultiRequest` and
 * `MultiResponse` (the multi bodies), for code that handles records
 * generically: the golden-vector and fuzz tests, debugging tools.
 *
 * @module
 */

import {
  readMultiRequest,
  readMultiResponse,
  writeMultiRequest,
  writeMultiResponse,
} from "./multi.ts";
import type { JuteReader } from "./reader.ts";
import {
  readACL,
  readAddWatchRequest,
  readAuthPacket,
  readCheckVersionRequest,
  readCheckWatchesRequest,
  readClientInfo,
  readConnectRequest,
  readConnectResponse,
  readCreate2Response,
  readCreateRequest,
  readCreateResponse,
  readCreateTTLRequest,
  readDeleteRequest,
  readErrorResponse,
  readExistsRequest,
  readExistsResponse,
  readGetACLRequest,
  readGetACLResponse,
  readGetAllChildrenNumberRequest,
  readGetAllChildrenNumberResponse,
  readGetChildren2Request,
  readGetChildren2Response,
  readGetChildrenRequest,
  readGetChildrenResponse,
  readGetDataRequest,
  readGetDataResponse,
  readGetEphemeralsRequest,
  readGetEphemeralsResponse,
  readGetSASLRequest,
  readId,
  readMultiHeader,
  readReconfigRequest,
  readRemoveWatchesRequest,
  readReplyHeader,
  readRequestHeader,
  readSetACLRequest,
  readSetACLResponse,
  readSetDataRequest,
  readSetDataResponse,
  readSetSASLRequest,
  readSetSASLResponse,
  readSetWatches,
  readSetWatches2,
  readStat,
  readStatPersisted,
  readSyncRequest,
  readSyncResponse,
  readWatcherEvent,
  readWhoAmIResponse,
  writeACL,
  writeAddWatchRequest,
  writeAuthPacket,
  writeCheckVersionRequest,
  writeCheckWatchesRequest,
  writeClientInfo,
  writeConnectRequest,
  writeConnectResponse,
  writeCreate2Response,
  writeCreateRequest,
  writeCreateResponse,
  writeCreateTTLRequest,
  writeDeleteRequest,
  writeErrorResponse,
  writeExistsRequest,
  writeExistsResponse,
  writeGetACLRequest,
  writeGetACLResponse,
  writeGetAllChildrenNumberRequest,
  writeGetAllChildrenNumberResponse,
  writeGetChildren2Request,
  writeGetChildren2Response,
  writeGetChildrenRequest,
  writeGetChildrenResponse,
  writeGetDataRequest,
  writeGetDataResponse,
  writeGetEphemeralsRequest,
  writeGetEphemeralsResponse,
  writeGetSASLRequest,
  writeId,
  writeMultiHeader,
  writeReconfigRequest,
  writeRemoveWatchesRequest,
  writeReplyHeader,
  writeRequestHeader,
  writeSetACLRequest,
  writeSetACLResponse,
  writeSetDataRequest,
  writeSetDataResponse,
  writeSetSASLRequest,
  writeSetSASLResponse,
  writeSetWatches,
  writeSetWatches2,
  writeStat,
  writeStatPersisted,
  writeSyncRequest,
  writeSyncResponse,
  writeWatcherEvent,
  writeWhoAmIResponse,
} from "./records.ts";
import type { JuteWriter } from "./writer.ts";

/**
 * A record's encoder and decoder.
 *
 * @typeParam T The decoded record.
 */
export interface RecordCodec<T = unknown> {
  /** Appends `value` to `w`. */
  write(w: JuteWriter, value: T): void;
  /** Reads one record at `r`'s cursor. */
  read(r: JuteReader): T;
}

/**
 * The codec of every record, keyed by its name in `zookeeper.jute`
 * (`"GetDataResponse"`, `"Stat"`, ...), and of the multi bodies
 * (`"MultiRequest"`, `"MultiResponse"`).
 *
 * @example
 * ```ts
 * import { JuteReader, JuteWriter, recordCodecs } from "@zk/client/jute";
 * const codec = recordCodecs.get("ExistsRequest")!;
 * const w = new JuteWriter();
 * codec.write(w, { path: "/a", watch: false });
 * codec.read(new JuteReader(w.bytes())); // { path: "/a", watch: false }
 * ```
 */
export const recordCodecs: ReadonlyMap<string, RecordCodec> = new Map<string, RecordCodec>([
  ["Id", { write: writeId, read: readId }],
  ["ACL", { write: writeACL, read: readACL }],
  ["Stat", { write: writeStat, read: readStat }],
  ["StatPersisted", { write: writeStatPersisted, read: readStatPersisted }],
  ["ClientInfo", { write: writeClientInfo, read: readClientInfo }],
  ["ConnectRequest", { write: writeConnectRequest, read: readConnectRequest }],
  ["ConnectResponse", { write: writeConnectResponse, read: readConnectResponse }],
  ["RequestHeader", { write: writeRequestHeader, read: readRequestHeader }],
  ["ReplyHeader", { write: writeReplyHeader, read: readReplyHeader }],
  ["AuthPacket", { write: writeAuthPacket, read: readAuthPacket }],
  ["WatcherEvent", { write: writeWatcherEvent, read: readWatcherEvent }],
  ["ErrorResponse", { write: writeErrorResponse, read: readErrorResponse }],
  ["MultiHeader", { write: writeMultiHeader, read: readMultiHeader }],
  ["CreateRequest", { write: writeCreateRequest, read: readCreateRequest }],
  ["CreateTTLRequest", { write: writeCreateTTLRequest, read: readCreateTTLRequest }],
  ["CreateResponse", { write: writeCreateResponse, read: readCreateResponse }],
  ["Create2Response", { write: writeCreate2Response, read: readCreate2Response }],
  ["DeleteRequest", { write: writeDeleteRequest, read: readDeleteRequest }],
  ["ExistsRequest", { write: writeExistsRequest, read: readExistsRequest }],
  ["ExistsResponse", { write: writeExistsResponse, read: readExistsResponse }],
  ["GetDataRequest", { write: writeGetDataRequest, read: readGetDataRequest }],
  ["GetDataResponse", { write: writeGetDataResponse, read: readGetDataResponse }],
  ["SetDataRequest", { write: writeSetDataRequest, read: readSetDataRequest }],
  ["SetDataResponse", { write: writeSetDataResponse, read: readSetDataResponse }],
  ["GetACLRequest", { write: writeGetACLRequest, read: readGetACLRequest }],
  ["GetACLResponse", { write: writeGetACLResponse, read: readGetACLResponse }],
  ["SetACLRequest", { write: writeSetACLRequest, read: readSetACLRequest }],
  ["SetACLResponse", { write: writeSetACLResponse, read: readSetACLResponse }],
  ["GetChildrenRequest", { write: writeGetChildrenRequest, read: readGetChildrenRequest }],
  ["GetChildrenResponse", { write: writeGetChildrenResponse, read: readGetChildrenResponse }],
  ["GetChildren2Request", { write: writeGetChildren2Request, read: readGetChildren2Request }],
  ["GetChildren2Response", { write: writeGetChildren2Response, read: readGetChildren2Response }],
  ["SyncRequest", { write: writeSyncRequest, read: readSyncRequest }],
  ["SyncResponse", { write: writeSyncResponse, read: readSyncResponse }],
  ["CheckVersionRequest", { write: writeCheckVersionRequest, read: readCheckVersionRequest }],
  ["SetWatches", { write: writeSetWatches, read: readSetWatches }],
  ["SetWatches2", { write: writeSetWatches2, read: readSetWatches2 }],
  ["AddWatchRequest", { write: writeAddWatchRequest, read: readAddWatchRequest }],
  ["RemoveWatchesRequest", { write: writeRemoveWatchesRequest, read: readRemoveWatchesRequest }],
  ["CheckWatchesRequest", { write: writeCheckWatchesRequest, read: readCheckWatchesRequest }],
  ["ReconfigRequest", { write: writeReconfigRequest, read: readReconfigRequest }],
  ["GetEphemeralsRequest", { write: writeGetEphemeralsRequest, read: readGetEphemeralsRequest }],
  ["GetEphemeralsResponse", { write: writeGetEphemeralsResponse, read: readGetEphemeralsResponse }],
  ["GetAllChildrenNumberRequest", {
    write: writeGetAllChildrenNumberRequest,
    read: readGetAllChildrenNumberRequest,
  }],
  ["GetAllChildrenNumberResponse", {
    write: writeGetAllChildrenNumberResponse,
    read: readGetAllChildrenNumberResponse,
  }],
  ["WhoAmIResponse", { write: writeWhoAmIResponse, read: readWhoAmIResponse }],
  ["GetSASLRequest", { write: writeGetSASLRequest, read: readGetSASLRequest }],
  ["SetSASLRequest", { write: writeSetSASLRequest, read: readSetSASLRequest }],
  ["SetSASLResponse", { write: writeSetSASLResponse, read: readSetSASLResponse }],
  ["MultiRequest", { write: writeMultiRequest, read: readMultiRequest }],
  ["MultiResponse", { write: writeMultiResponse, read: readMultiResponse }],
]);
