/**
 * The nodes a TreeCache holds, packed to cost little memory per node:
 *
 * - a node is a number (an id), not an object: its stat fields, the epoch
 *   of the full read that last saw it and where its data is live in typed
 *   arrays, pages of 1,024 nodes, so growth adds at most one page of slack;
 * - the public {@linkcode Stat} is built on each access, not kept (an object
 *   with four `bigint`s and two boxed doubles costs more than the node);
 * - data lives in a {@linkcode ByteArena}, not in a `Uint8Array` each;
 * - paths are not stored: each parent maps its children's names (the
 *   strings of the server's reply) to their ids, and a path is found by
 *   walking its names from the root. Leaves have no map at all.
 *
 * @module
 */

import type { Stat } from "../../lib/types.ts";
import { ByteArena } from "./byte_arena.ts";

const PAGE_BITS = 10;
const PAGE_SIZE = 1 << PAGE_BITS;
const PAGE_MASK = PAGE_SIZE - 1;

// Per node: 4 zxid-sized fields, 2 times, and these 32-bit fields.
const CZXID = 0;
const MZXID = 1;
const PZXID = 2;
const OWNER = 3;
const ZXIDS = 4;
const CTIME = 0;
const MTIME = 1;
const TIMES = 2;
const VERSION = 0;
const CVERSION = 1;
const AVERSION = 2;
const DATA_LENGTH = 3;
const NUM_CHILDREN = 4;
const EPOCH = 5;
/** The data's arena chunk (-1: none), its offset (next), and its length (-1: not kept). */
const CHUNK = 6;
const LENGTH = 8;
const INTS = 9;

/** Room for 1,024 nodes. */
class Page {
  readonly zxids: BigInt64Array = new BigInt64Array(PAGE_SIZE * ZXIDS);
  readonly times: Float64Array = new Float64Array(PAGE_SIZE * TIMES);
  readonly ints: Int32Array = new Int32Array(PAGE_SIZE * INTS);
}

/** Marks a free id (epochs start at 1). */
const FREE = -1;

/** The cached tree below one root path, each node an id. */
export class TreeCacheNodes {
  readonly #rootPath: string;
  /** Where the root's descendants start: `rootPath + "/"`, or `"/"` for the root `/`. */
  readonly #prefix: string;
  #root = -1;
  #pages: Page[] = [];
  /** Children names to ids, for nodes with children. */
  #children = new Map<number, Map<string, number>>();
  #freeIds: number[] = [];
  #nextId = 0;
  #size = 0;
  #arena = new ByteArena();

  /** Nodes of the tree rooted at `rootPath`. */
  constructor(rootPath: string) {
    this.#rootPath = rootPath;
    this.#prefix = rootPath === "/" ? "/" : rootPath + "/";
  }

  /** The number of nodes. */
  get size(): number {
    return this.#size;
  }

  /** The id of the node at `path`, or -1. */
  find(path: string): number {
    if (path === this.#rootPath) return this.#root;
    if (this.#root < 0 || !path.startsWith(this.#prefix)) return -1;
    let id = this.#root;
    let start = this.#prefix.length;
    while (true) {
      const slash = path.indexOf("/", start);
      const name = slash < 0 ? path.slice(start) : path.slice(start, slash);
      const next = this.#children.get(id)?.get(name);
      if (next === undefined) return -1;
      if (slash < 0) return next;
      id = next;
      start = slash + 1;
    }
  }

  /** The id of `parent`'s child called `name`, or -1. */
  child(parent: number, name: string): number {
    return this.#children.get(parent)?.get(name) ?? -1;
  }

  /** Whether `parent` has a child called `name`. */
  hasChild(parent: number, name: string): boolean {
    return this.#children.get(parent)?.has(name) ?? false;
  }

  /** `id`'s children, name to id (undefined for none). Deleting while iterating is safe. */
  children(id: number): ReadonlyMap<string, number> | undefined {
    return this.#children.get(id);
  }

  /**
   * Adds a node: the root when `parent` is -1, else `parent`'s child `name`.
   * `data` is copied (undefined: data not kept).
   */
  add(
    parent: number,
    name: string,
    stat: Stat,
    data: Uint8Array | undefined,
    epoch: number,
  ): number {
    const id = this.#freeIds.pop() ?? this.#nextId++;
    if (id >>> PAGE_BITS === this.#pages.length) this.#pages.push(new Page());
    const ints = this.#pages[id >>> PAGE_BITS].ints;
    const i = (id & PAGE_MASK) * INTS;
    ints[EPOCH + i] = epoch;
    ints[LENGTH + i] = -1;
    ints[CHUNK + i] = -1;
    this.setStat(id, stat);
    this.setData(id, data);
    if (parent < 0) {
      this.#root = id;
    } else {
      let siblings = this.#children.get(parent);
      if (siblings === undefined) this.#children.set(parent, siblings = new Map());
      siblings.set(name, id);
    }
    this.#size++;
    return id;
  }

  /** Removes the childless node `id`, `parent`'s child `name` (the root when `parent` is -1). */
  remove(id: number, parent: number, name: string): void {
    const page = this.#pages[id >>> PAGE_BITS];
    const i = (id & PAGE_MASK) * INTS;
    this.#freeData(page.ints, i);
    page.ints[EPOCH + i] = FREE;
    this.#children.delete(id);
    if (parent < 0) {
      this.#root = -1;
    } else {
      const siblings = this.#children.get(parent);
      siblings?.delete(name);
      // A map per parent is worth keeping only while it holds children.
      if (siblings?.size === 0) this.#children.delete(parent);
    }
    this.#freeIds.push(id);
    this.#size--;
  }

  /** Drops every node. */
  clear(): void {
    this.#root = -1;
    this.#pages = [];
    this.#children = new Map();
    this.#freeIds = [];
    this.#nextId = 0;
    this.#size = 0;
    this.#arena = new ByteArena();
  }

  /** The node's stat, built anew. */
  stat(id: number): Stat {
    const page = this.#pages[id >>> PAGE_BITS];
    const slot = id & PAGE_MASK;
    const z = slot * ZXIDS;
    const t = slot * TIMES;
    const i = slot * INTS;
    const { zxids, times, ints } = page;
    return {
      czxid: zxids[CZXID + z],
      mzxid: zxids[MZXID + z],
      ctime: times[CTIME + t],
      mtime: times[MTIME + t],
      version: ints[VERSION + i],
      cversion: ints[CVERSION + i],
      aversion: ints[AVERSION + i],
      ephemeralOwner: zxids[OWNER + z],
      dataLength: ints[DATA_LENGTH + i],
      numChildren: ints[NUM_CHILDREN + i],
      pzxid: zxids[PZXID + z],
    };
  }

  /** Replaces the node's stat. */
  setStat(id: number, stat: Stat): void {
    const page = this.#pages[id >>> PAGE_BITS];
    const slot = id & PAGE_MASK;
    const z = slot * ZXIDS;
    const t = slot * TIMES;
    const i = slot * INTS;
    const { zxids, times, ints } = page;
    zxids[CZXID + z] = stat.czxid;
    zxids[MZXID + z] = stat.mzxid;
    zxids[PZXID + z] = stat.pzxid;
    zxids[OWNER + z] = stat.ephemeralOwner;
    times[CTIME + t] = stat.ctime;
    times[MTIME + t] = stat.mtime;
    ints[VERSION + i] = stat.version;
    ints[CVERSION + i] = stat.cversion;
    ints[AVERSION + i] = stat.aversion;
    ints[DATA_LENGTH + i] = stat.dataLength;
    ints[NUM_CHILDREN + i] = stat.numChildren;
  }

  /** The node's `czxid`. */
  czxid(id: number): bigint {
    return this.#pages[id >>> PAGE_BITS].zxids[CZXID + (id & PAGE_MASK) * ZXIDS];
  }

  /** The node's `mzxid`. */
  mzxid(id: number): bigint {
    return this.#pages[id >>> PAGE_BITS].zxids[MZXID + (id & PAGE_MASK) * ZXIDS];
  }

  /** The node's `pzxid`. */
  pzxid(id: number): bigint {
    return this.#pages[id >>> PAGE_BITS].zxids[PZXID + (id & PAGE_MASK) * ZXIDS];
  }

  /** The newest full read that saw the node. */
  epoch(id: number): number {
    return this.#pages[id >>> PAGE_BITS].ints[EPOCH + (id & PAGE_MASK) * INTS];
  }

  /** Records that full read `epoch` saw the node. */
  setEpoch(id: number, epoch: number): void {
    this.#pages[id >>> PAGE_BITS].ints[EPOCH + (id & PAGE_MASK) * INTS] = epoch;
  }

  /**
   * The node's data (undefined if not kept): a view into shared storage,
   * whose bytes never change; it keeps up to 16 KiB of that storage alive.
   */
  data(id: number): Uint8Array | undefined {
    const ints = this.#pages[id >>> PAGE_BITS].ints;
    const i = (id & PAGE_MASK) * INTS;
    const length = ints[LENGTH + i];
    if (length < 0) return undefined;
    return this.#arena.view(ints[CHUNK + i], ints[CHUNK + 1 + i], length);
  }

  /** Replaces the node's data with a copy of `data` (undefined: none kept). */
  setData(id: number, data: Uint8Array | undefined): void {
    const ints = this.#pages[id >>> PAGE_BITS].ints;
    const i = (id & PAGE_MASK) * INTS;
    this.#freeData(ints, i);
    if (data === undefined) return;
    if (this.#arena.wasteful) this.#compact();
    this.#arena.put(data, ints, CHUNK + i);
    ints[LENGTH + i] = data.byteLength;
  }

  #freeData(ints: Int32Array, i: number): void {
    const length = ints[LENGTH + i];
    if (length < 0) return;
    this.#arena.free(ints[CHUNK + i], length);
    ints[LENGTH + i] = -1;
    ints[CHUNK + i] = -1;
  }

  /** Copies every node's data into a new arena, leaving the freed bytes behind. */
  #compact(): void {
    const old = this.#arena;
    const arena = new ByteArena();
    for (let id = 0; id < this.#nextId; id++) {
      const ints = this.#pages[id >>> PAGE_BITS].ints;
      const i = (id & PAGE_MASK) * INTS;
      const length = ints[LENGTH + i];
      if (ints[EPOCH + i] === FREE || length < 0) continue;
      arena.put(old.view(ints[CHUNK + i], ints[CHUNK + 1 + i], length), ints, CHUNK + i);
    }
    this.#arena = arena;
  }
}
