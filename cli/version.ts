/**
 * The CLI's version: the package's (a test keeps it equal to deno.json's).
 *
 * @module
 */

/**
 * The version of @zk/client this CLI belongs to.
 *
 * @example
 * ```ts
 * import { VERSION } from "./version.ts";
 * console.log(`zk ${VERSION}`);
 * ```
 */
export const VERSION = "0.1.0";
