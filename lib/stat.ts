/**
 * The public {@linkcode Stat} from the wire's: zxids stay `bigint`, times
 * become numbers of ms (they fit a double for the next 285,000 years).
 *
 * @module
 */

import type { JuteReader } from "./jute/reader.ts";
import type { StatRecord as WireStat } from "./jute/records.ts";
import type { Stat } from "./types.ts";

/** Reads a wire Stat straight into the public shape, without an intermediate object. */
export function readPublicStat(r: JuteReader): Stat {
  return {
    czxid: r.long(),
    mzxid: r.long(),
    ctime: r.longNumber(),
    mtime: r.longNumber(),
    version: r.int(),
    cversion: r.int(),
    aversion: r.int(),
    ephemeralOwner: r.long(),
    dataLength: r.int(),
    numChildren: r.int(),
    pzxid: r.long(),
  };
}

/** Converts a decoded wire Stat (as found in multi results) to the public one. */
export function publicStat(s: WireStat): Stat {
  return { ...s, ctime: Number(s.ctime), mtime: Number(s.mtime) };
}
