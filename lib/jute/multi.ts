/**
 * The bodies of `multi` (transactions) and `multiRead` requests and their
 * responses: a {@linkcode MultiHeader} before each op or result, closed by
 * the header `{type: -1, done: true, err: -1}`, as Java's
 * `MultiOperationRecord` and `MultiResponse` write them.
 *
 * @module
 */

import { MarshallingError } from "../errors.ts";
import { OpCode } from "./opcodes.ts";
import type { JuteReader } from "./reader.ts";
import {
  type CheckVersionRequest,
  type CreateRequest,
  type CreateTTLRequest,
  type DeleteRequest,
  type GetChildrenRequest,
  type GetDataRequest,
  readCheckVersionRequest,
  readCreateRequest,
  readCreateTTLRequest,
  readDeleteRequest,
  readGetChildrenRequest,
  readGetDataRequest,
  readSetDataRequest,
  readStat,
  type SetDataRequest,
  type StatRecord,
  writeCheckVersionRequest,
  writeCreateRequest,
  writeCreateTTLRequest,
  writeDeleteRequest,
  writeGetChildrenRequest,
  writeGetDataRequest,
  writeSetDataRequest,
  writeStat,
} from "./records.ts";
import type { JuteWriter } from "./writer.ts";

/**
 * One op of a `multi` (create, create2, createContainer, createTTL, delete,
 * setData, check) or of a `multiRead` (getData, getChildren): its opcode and
 * its request record.
 *
 * @example
 * ```ts
 * import { type MultiOp, OpCode } from "@zk/client/jute";
 * const ops: MultiOp[] = [
 *   { type: OpCode.check, request: { path: "/a", version: 3 } },
 *   { type: OpCode.delete, request: { path: "/a", version: -1 } },
 * ];
 * ```
 */
export type MultiOp =
  | {
    type: typeof OpCode.create | typeof OpCode.create2 | typeof OpCode.createContainer;
    request: CreateRequest;
  }
  | { type: typeof OpCode.createTTL; request: CreateTTLRequest }
  | { type: typeof OpCode.delete; request: DeleteRequest }
  | { type: typeof OpCode.setData; request: SetDataRequest }
  | { type: typeof OpCode.check; request: CheckVersionRequest }
  | { type: typeof OpCode.getData; request: GetDataRequest }
  | { type: typeof OpCode.getChildren; request: GetChildrenRequest };

/**
 * One result of a multi response. Servers answer `create2`,
 * `createContainer` and `createTTL` ops with a `create2` result, and a failed
 * op (or, in a failed transaction, every op) with an error result.
 *
 * @example
 * ```ts
 * import { type MultiResult, OpCode } from "@zk/client/jute";
 * function describe(result: MultiResult): string {
 *   return result.type === OpCode.error ? `failed: ${result.err}` : "ok";
 * }
 * ```
 */
export type MultiResult =
  | { type: typeof OpCode.create; path: string }
  | { type: typeof OpCode.create2; path: string; stat: StatRecord }
  | { type: typeof OpCode.delete }
  | { type: typeof OpCode.setData; stat: StatRecord }
  | { type: typeof OpCode.check }
  | { type: typeof OpCode.getData; data: Uint8Array | null; stat: StatRecord }
  | { type: typeof OpCode.getChildren; children: string[] }
  | { type: typeof OpCode.error; err: number };

/** `writeMultiHeader`'s layout, without building a header object per op. */
function writeHeader(w: JuteWriter, type: number, done: boolean, err: number): void {
  w.int(type);
  w.bool(done);
  w.int(err);
}

/**
 * Writes the body of a `multi` or `multiRead` request: each op behind its
 * header, then the end marker.
 *
 * @example
 * ```ts
 * import { JuteWriter, OpCode, writeMultiRequest, writeRequestHeader } from "@zk/client/jute";
 * const w = new JuteWriter();
 * const frame = w.beginFrame();
 * writeRequestHeader(w, { xid: 7, type: OpCode.multi });
 * writeMultiRequest(w, [{ type: OpCode.delete, request: { path: "/a", version: -1 } }]);
 * w.endFrame(frame);
 * ```
 */
export function writeMultiRequest(w: JuteWriter, ops: readonly MultiOp[]): void {
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i];
    writeHeader(w, op.type, false, -1);
    switch (op.type) {
      case OpCode.create:
      case OpCode.create2:
      case OpCode.createContainer:
        writeCreateRequest(w, op.request);
        break;
      case OpCode.createTTL:
        writeCreateTTLRequest(w, op.request);
        break;
      case OpCode.delete:
        writeDeleteRequest(w, op.request);
        break;
      case OpCode.setData:
        writeSetDataRequest(w, op.request);
        break;
      case OpCode.check:
        writeCheckVersionRequest(w, op.request);
        break;
      case OpCode.getData:
        writeGetDataRequest(w, op.request);
        break;
      case OpCode.getChildren:
        writeGetChildrenRequest(w, op.request);
        break;
      default:
        throw new TypeError(`opcode ${(op as { type: number }).type} cannot be part of a multi`);
    }
  }
  writeHeader(w, -1, true, -1);
}

/**
 * Reads the body of a `multi` or `multiRead` request, up to and including
 * its end marker.
 *
 * @throws {MarshallingError} on an op type that cannot be part of a multi.
 */
export function readMultiRequest(r: JuteReader): MultiOp[] {
  const ops: MultiOp[] = [];
  for (;;) {
    const type = r.int();
    const done = r.bool();
    r.int(); // err: -1 in requests
    if (done) return ops;
    switch (type) {
      case OpCode.create:
      case OpCode.create2:
      case OpCode.createContainer:
        ops.push({ type, request: readCreateRequest(r) });
        break;
      case OpCode.createTTL:
        ops.push({ type, request: readCreateTTLRequest(r) });
        break;
      case OpCode.delete:
        ops.push({ type, request: readDeleteRequest(r) });
        break;
      case OpCode.setData:
        ops.push({ type, request: readSetDataRequest(r) });
        break;
      case OpCode.check:
        ops.push({ type, request: readCheckVersionRequest(r) });
        break;
      case OpCode.getData:
        ops.push({ type, request: readGetDataRequest(r) });
        break;
      case OpCode.getChildren:
        ops.push({ type, request: readGetChildrenRequest(r) });
        break;
      default:
        throw new MarshallingError(`op type ${type} cannot be part of a multi request`);
    }
  }
}

/**
 * Writes the body of a multi response: each result behind its header (`err`
 * 0 unless the result is an error), then the end marker.
 */
export function writeMultiResponse(w: JuteWriter, results: readonly MultiResult[]): void {
  for (let i = 0; i < results.length; i++) {
    const result = results[i];
    writeHeader(w, result.type, false, result.type === OpCode.error ? result.err : 0);
    switch (result.type) {
      case OpCode.create:
        w.string(result.path);
        break;
      case OpCode.create2:
        w.string(result.path);
        writeStat(w, result.stat);
        break;
      case OpCode.delete:
      case OpCode.check:
        break;
      case OpCode.setData:
        writeStat(w, result.stat);
        break;
      case OpCode.getData:
        w.buffer(result.data);
        writeStat(w, result.stat);
        break;
      case OpCode.getChildren:
        w.stringVector(result.children);
        break;
      case OpCode.error:
        w.int(result.err);
        break;
      default:
        throw new TypeError(
          `result type ${(result as { type: number }).type} cannot be part of a multi`,
        );
    }
  }
  writeHeader(w, -1, true, -1);
}

/**
 * Reads the body of a multi response, up to and including its end marker.
 * An error result's code is taken from its body, as Java's client does.
 *
 * @example
 * ```ts
 * import { JuteReader, readMultiResponse, readReplyHeader } from "@zk/client/jute";
 * declare const frame: Uint8Array;
 * const r = new JuteReader(frame);
 * const header = readReplyHeader(r);
 * const results = readMultiResponse(r);
 * ```
 *
 * @throws {MarshallingError} on a result type a multi cannot hold.
 */
export function readMultiResponse(r: JuteReader): MultiResult[] {
  const results: MultiResult[] = [];
  for (;;) {
    const type = r.int();
    const done = r.bool();
    r.int(); // err: repeated in the error result's body
    if (done) return results;
    switch (type) {
      case OpCode.create:
        results.push({ type, path: r.string() as string });
        break;
      case OpCode.create2:
        results.push({ type, path: r.string() as string, stat: readStat(r) });
        break;
      case OpCode.delete:
      case OpCode.check:
        results.push({ type });
        break;
      case OpCode.setData:
        results.push({ type, stat: readStat(r) });
        break;
      case OpCode.getData:
        results.push({ type, data: r.buffer(), stat: readStat(r) });
        break;
      case OpCode.getChildren:
        results.push({ type, children: r.stringVector() as string[] });
        break;
      case OpCode.error:
        results.push({ type, err: r.int() });
        break;
      default:
        throw new MarshallingError(`result type ${type} cannot be part of a multi response`);
    }
  }
}
