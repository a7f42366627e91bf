/**
 * Byte helpers shared by the tests: hex in both directions and UTF-8 text.
 * No client code here, so codec tests can use it without loading the client.
 */

const decoder = new TextDecoder();

/** `bytes` as lower-case hex, two digits per byte. */
export const toHex = (bytes: Uint8Array): string => bytes.toHex();

/** The bytes of `hex` (pairs of lower-case digits); throws on anything else. */
export function fromHex(hex: string): Uint8Array {
  if (!/^([0-9a-f]{2})*$/.test(hex)) {
    throw new Error(`hex must be pairs of lower-case digits: ${hex.slice(0, 40)}`);
  }
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** `bytes` decoded as UTF-8; `null` and `undefined` pass through unchanged. */
export function text(bytes: Uint8Array): string;
export function text(bytes: Uint8Array | null): string | null;
export function text(bytes: Uint8Array | undefined): string | undefined;
export function text(bytes: Uint8Array | null | undefined): string | null | undefined {
  return bytes == null ? bytes : decoder.decode(bytes);
}
