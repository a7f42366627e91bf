/**
 * curator-x-discovery's `ServiceInstance` and `UriSpec`, and their JSON as
 * Curator's `JsonInstanceSerializer` writes and reads it (Jackson, field
 * order included), so instances registered by Java services and by
 * @zk/client read the same on both sides.
 *
 * @module
 */

import { BadArgumentsError, DataInconsistencyError } from "../../lib/errors.ts";

/**
 * How an instance's node is kept, Curator's `ServiceType`: `DYNAMIC` is an
 * ephemeral node (gone with its session, re-registered after an expiry),
 * `DYNAMIC_SEQUENTIAL` an ephemeral sequential one (`<id><seq10>`), `STATIC`
 * and `PERMANENT` persistent nodes.
 */
export const ServiceType = {
  DYNAMIC: "DYNAMIC",
  DYNAMIC_SEQUENTIAL: "DYNAMIC_SEQUENTIAL",
  STATIC: "STATIC",
  PERMANENT: "PERMANENT",
} as const;
/** One of {@linkcode ServiceType}'s values. */
export type ServiceType = typeof ServiceType[keyof typeof ServiceType];

/** One part of a {@linkcode UriSpec}: literal text, or a variable's name (no braces). */
export interface UriSpecPart {
  /** The text or the variable name. */
  readonly value: string;
  /** Whether `value` names a variable. */
  readonly variable: boolean;
}

/**
 * A URI template, Curator's `UriSpec`: `"{scheme}://{address}:{port}/v1"`.
 * Known variables: `scheme` (`https` when the instance has an `sslPort`, else
 * `http`), `name`, `id`, `address`, `port`, `ssl-port`,
 * `registration-time-utc`, `service-type`, and `[` / `]` for literal braces.
 *
 * @example
 * ```ts
 * import type { ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * import { UriSpec } from "@zk/client/curator";
 * const spec = new UriSpec("{scheme}://{address}:{port}/v1");
 * spec.build({ address: "10.0.0.5", port: 8080, sslPort: null }); // "http://10.0.0.5:8080/v1"
 * ```
 */
export class UriSpec {
  /** The parts, in order. */
  readonly parts: readonly UriSpecPart[];

  /** Parses a template, or takes parts as they are stored in the JSON. */
  constructor(template: string | readonly UriSpecPart[]) {
    if (typeof template !== "string") {
      this.parts = template.map((part) => ({ value: part.value, variable: part.variable }));
      return;
    }
    const parts: UriSpecPart[] = [];
    let rest = template;
    while (rest.length > 0) {
      const open = rest.indexOf("{");
      if (open < 0) {
        parts.push({ value: rest, variable: false });
        break;
      }
      const close = rest.indexOf("}", open);
      if (close < 0) throw new BadArgumentsError(`UriSpec ${template}: "{" without "}"`);
      if (open > 0) parts.push({ value: rest.slice(0, open), variable: false });
      parts.push({ value: rest.slice(open + 1, close).trim(), variable: true });
      rest = rest.slice(close + 1);
    }
    this.parts = parts;
  }

  /**
   * The URI for `instance`; `variables` add to (and override) the known ones,
   * and an unknown variable renders empty, as in Curator.
   */
  build(
    instance: Partial<ServiceInstance> = {},
    variables: Record<string, string | number> = {},
  ): string {
    const known: Record<string, string | number | null | undefined> = {
      scheme: instance.sslPort != null ? "https" : "http",
      name: instance.name,
      id: instance.id,
      address: instance.address,
      port: instance.port,
      "ssl-port": instance.sslPort,
      "registration-time-utc": instance.registrationTimeUTC,
      "service-type": instance.serviceType?.toLowerCase(),
      "[": "{",
      "]": "}",
      ...variables,
    };
    return this.parts.map((part) => part.variable ? String(known[part.value] ?? "") : part.value)
      .join("");
  }
}

/**
 * A registered service instance, with curator-x-discovery's field names.
 * `payload` is the JSON value Java's Jackson reads: a Java reader with a POJO
 * payload class needs `"@class"` in it (see `ServiceDiscoveryOptions.payloadClass`).
 */
export interface ServiceInstance<P = unknown> {
  /** The service's name (the node's parent). */
  readonly name: string;
  /** The instance's id (the node's name, unless `DYNAMIC_SEQUENTIAL`). */
  readonly id: string;
  /** Its address, or null. */
  readonly address: string | null;
  /** Its port, or null. */
  readonly port: number | null;
  /** Its TLS port, or null. */
  readonly sslPort: number | null;
  /** Anything JSON, or null. */
  readonly payload: P | null;
  /** When it registered, in ms since the epoch. */
  readonly registrationTimeUTC: number;
  /** How its node is kept. */
  readonly serviceType: ServiceType;
  /** How to build its URI, or null. */
  readonly uriSpec: UriSpec | null;
  /** False for an instance taken out of rotation (default true). */
  readonly enabled: boolean;
}

/** What {@linkcode serviceInstance} needs: a name; the rest has Curator's defaults. */
export interface ServiceInstanceInit<P = unknown> {
  /** The service's name. */
  name: string;
  /** Default: a random uuid. */
  id?: string;
  /** Default null. (Curator defaults to a local address; here the caller knows it best.) */
  address?: string | null;
  /** Default null. */
  port?: number | null;
  /** Default null. */
  sslPort?: number | null;
  /** Default null. */
  payload?: P | null;
  /** Default: now. */
  registrationTimeUTC?: number;
  /** Default `DYNAMIC`. */
  serviceType?: ServiceType;
  /** A template or a {@linkcode UriSpec}; default null. */
  uriSpec?: string | UriSpec | null;
  /** Default true. */
  enabled?: boolean;
}

/**
 * A {@linkcode ServiceInstance} with Curator's builder defaults.
 *
 * @example
 * ```ts
 * import type { ZooKeeperClient } from "@zk/client";
 * declare const zk: ZooKeeperClient;
 * import { serviceInstance } from "@zk/client/curator";
 * const me = serviceInstance({ name: "api", address: "10.0.0.5", port: 8080, payload: { zone: "a" } });
 * ```
 */
export function serviceInstance<P = unknown>(init: ServiceInstanceInit<P>): ServiceInstance<P> {
  const instance: ServiceInstance<P> = {
    name: init.name,
    id: init.id ?? crypto.randomUUID(),
    address: init.address ?? null,
    port: init.port ?? null,
    sslPort: init.sslPort ?? null,
    payload: init.payload ?? null,
    registrationTimeUTC: init.registrationTimeUTC ?? Date.now(),
    serviceType: init.serviceType ?? ServiceType.DYNAMIC,
    uriSpec: typeof init.uriSpec === "string" ? new UriSpec(init.uriSpec) : init.uriSpec ?? null,
    enabled: init.enabled ?? true,
  };
  checkInstance(instance);
  return instance;
}

function checkInstance(instance: ServiceInstance<unknown>): void {
  for (const field of ["name", "id"] as const) {
    const value = instance[field];
    if (typeof value !== "string" || value === "" || value.includes("/")) {
      throw new BadArgumentsError(`service instance ${field} must be a non-empty name without "/"`);
    }
  }
  if (!Object.values(ServiceType).includes(instance.serviceType)) {
    throw new BadArgumentsError(`unknown serviceType ${String(instance.serviceType)}`);
  }
  for (const field of ["port", "sslPort"] as const) {
    const value = instance[field];
    if (value !== null && !(Number.isInteger(value) && value >= 0 && value <= 65535)) {
      throw new BadArgumentsError(`service instance ${field} must be a port number or null`);
    }
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/**
 * The instance as Curator's default (compatible-mode) serializer writes it:
 * Curator's field order, no whitespace, and `enabled` only when false
 * (compatible readers ignore it, others honour it; a missing one reads true).
 */
export function encodeServiceInstance(instance: ServiceInstance<unknown>): Uint8Array {
  const json: Record<string, unknown> = {
    name: instance.name,
    id: instance.id,
    address: instance.address,
    port: instance.port,
    sslPort: instance.sslPort,
    payload: instance.payload,
    registrationTimeUTC: instance.registrationTimeUTC,
    serviceType: instance.serviceType,
    uriSpec: instance.uriSpec === null ? null : { parts: instance.uriSpec.parts },
  };
  if (!instance.enabled) json.enabled = false;
  return encoder.encode(JSON.stringify(json));
}

/**
 * Reads an instance written by Curator (either serializer mode) or by
 * {@linkcode encodeServiceInstance}. Unknown fields are ignored, as Curator's
 * reader does.
 *
 * @throws {DataInconsistencyError} for data that is not such JSON.
 */
export function decodeServiceInstance<P = unknown>(
  data: Uint8Array,
  path: string,
): ServiceInstance<P> {
  let json: unknown;
  try {
    json = JSON.parse(decoder.decode(data));
  } catch (error) {
    throw new DataInconsistencyError(`${path} does not hold a service instance's JSON`, {
      path,
      cause: error,
    });
  }
  const bad = (why: string) =>
    new DataInconsistencyError(`${path} is not a Curator ServiceInstance: ${why}`, { path });
  if (typeof json !== "object" || json === null || Array.isArray(json)) throw bad("not an object");
  const record = json as Record<string, unknown>;
  const text = (field: string, nullable: boolean): string | null => {
    const value = record[field] ?? null;
    if (value === null && nullable) return null;
    if (typeof value !== "string") throw bad(`${field} is not a string`);
    return value;
  };
  const int = (field: string): number | null => {
    const value = record[field] ?? null;
    if (value === null) return null;
    if (typeof value !== "number" || !Number.isInteger(value)) throw bad(`${field} not an int`);
    return value;
  };
  const type = record.serviceType ?? ServiceType.DYNAMIC;
  if (!Object.values(ServiceType).includes(type as ServiceType)) {
    throw bad(`unknown serviceType ${String(type)}`);
  }
  let uriSpec: UriSpec | null = null;
  const spec = record.uriSpec;
  if (spec !== null && spec !== undefined) {
    const parts = (spec as { parts?: unknown }).parts;
    if (
      !Array.isArray(parts) ||
      !parts.every((p) =>
        typeof p === "object" && p !== null && typeof p.value === "string" &&
        typeof p.variable === "boolean"
      )
    ) {
      throw bad("uriSpec has no valid parts");
    }
    uriSpec = new UriSpec(parts as UriSpecPart[]);
  }
  if (record.enabled !== undefined && typeof record.enabled !== "boolean") {
    throw bad("enabled is not a boolean");
  }
  return {
    name: text("name", false)!,
    id: text("id", false)!,
    address: text("address", true),
    port: int("port"),
    sslPort: int("sslPort"),
    payload: (record.payload ?? null) as P | null,
    registrationTimeUTC: int("registrationTimeUTC") ?? 0,
    serviceType: type as ServiceType,
    uriSpec,
    enabled: record.enabled !== false,
  };
}
