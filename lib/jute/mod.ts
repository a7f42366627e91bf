/**
 * The jute codec: encode and decode every record of ZooKeeper's wire
 * protocol, with its opcodes and error codes. No I/O, no runtime APIs.
 *
 * ```ts
 * import {
 *   JuteReader,
 *   JuteWriter,
 *   OpCode,
 *   readGetDataResponse,
 *   readReplyHeader,
 *   writeGetDataRequest,
 *   writeRequestHeader,
 * } from "@zk/client/jute";
 *
 * const w = new JuteWriter();
 * const frame = w.beginFrame();
 * writeRequestHeader(w, { xid: 1, type: OpCode.getData });
 * writeGetDataRequest(w, { path: "/app/config", watch: false });
 * w.endFrame(frame);
 * // send w.bytes(); then, for the reply frame (without its length prefix):
 * declare const reply: Uint8Array;
 * const r = new JuteReader(reply);
 * const header = readReplyHeader(r);
 * if (header.err === 0) console.log(readGetDataResponse(r).stat.version);
 * ```
 *
 * @module
 */
export * from "./error_codes.ts";
export * from "./opcodes.ts";
export * from "./writer.ts";
export * from "./reader.ts";
export * from "./records.ts";
export * from "./multi.ts";
export * from "./registry.ts";
