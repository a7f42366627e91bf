/**
 * The contract between the protocol core and a runtime's sockets: a
 * `Transport` opens a byte stream to a host and hands back WHATWG streams.
 *
 * @module
 */

/** TLS settings for a connection. */
export interface TlsOptions {
  /** PEM CA certificates to trust instead of the system roots. */
  caCerts?: string[];
  /** PEM client certificate (chain), for mutual TLS. */
  cert?: string;
  /** PEM private key of `cert`. */
  key?: string;
  /** Name to verify the server certificate against (default: the host connected to). */
  hostname?: string;
  /** Verify the server's certificate and name (default `true`). */
  verify?: boolean;
}

/** Options for one connection attempt. */
export interface TransportConnectOptions {
  /** Connect with TLS. */
  tls?: TlsOptions;
  /** Aborts the attempt. */
  signal?: AbortSignal;
}

/** An open byte stream to one server. */
export interface TransportConnection {
  /** Bytes from the server. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Bytes to the server. */
  readonly writable: WritableStream<Uint8Array>;
  /** The address actually connected to, `host:port`. */
  readonly remoteAddress: string;
  /** Closes the socket at once; idempotent. */
  close(): void;
}

/**
 * Opens connections. Implement it to run the client on another runtime or to
 * put something between the client and the server in tests.
 *
 * @example
 * ```ts
 * import { defaultTransport, type Transport } from "@zk/client";
 * const inner = defaultTransport();
 * const logging: Transport = {
 *   async connect(host, port, options) {
 *     console.log("connecting to", host, port);
 *     return await inner.connect(host, port, options);
 *   },
 * };
 * ```
 */
export interface Transport {
  /** Opens a connection to `host:port`. */
  connect(
    host: string,
    port: number,
    options: TransportConnectOptions,
  ): Promise<TransportConnection>;
  /** Every address `host` resolves to (IP literals resolve to themselves). */
  resolve?(host: string): Promise<string[]>;
}
