/**
 * The jute codec against node-zookeeper-client's (the baseline of each
 * group), on the work a client does per request and per reply. Run with
 * `deno task bench`; `deno bench` prints how many times faster each case is.
 * The cases are in `codec_cases.ts` (ours) and `codec_nzc.mjs` (nzc's);
 * `deno task bench:codec` runs them under Deno, Bun and Node too.
 */

// node-zookeeper-client ships no types; its jute module is plain CommonJS.
import nzkJute from "npm:node-zookeeper-client@1.1.3/lib/jute/index.js";
import NzkACL from "npm:node-zookeeper-client@1.1.3/lib/ACL.js";
import { CODEC_GROUPS, type CodecCases, codecFixtures, ourCodecCases } from "./codec_cases.ts";
import { nzcCodecCases } from "./codec_nzc.mjs";

const fixtures = codecFixtures();
const ours = ourCodecCases(fixtures);
const nzc = nzcCodecCases({ jute: nzkJute, ACL: NzkACL }, fixtures) as CodecCases;

for (const group of CODEC_GROUPS) {
  Deno.bench({ name: "node-zookeeper-client", group, baseline: true, fn: nzc[group] });
  Deno.bench({ name: "@zk/client/jute", group, fn: ours[group] });
}
