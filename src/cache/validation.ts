/**
 * Validation and normalization of client input, without I/O.
 *
 * Every function either returns a value in the exact normalized shape of
 * `src/api/types.ts` (all fields present, maps sorted by key) or throws an
 * {@linkcode InvalidArgumentError} whose message names the field.
 *
 * @module
 */
import type { Condition, DeepPartial, GpuSpec, GpuStatus, Timestamp } from "../api/mod.ts";
import { InvalidArgumentError } from "./errors.ts";

/** The namespace an empty namespace stands for. */
export const DEFAULT_NAMESPACE = "default";

const NAME_RE = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,251}[A-Za-z0-9])?$/;
const NAMESPACE_RE = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const UUID_RE = /^[A-Za-z0-9][A-Za-z0-9._:/-]{0,127}$/;
const CONDITION_TYPE_RE = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;
const REASON_RE = /^[A-Za-z]([A-Za-z0-9_,:]{0,1022}[A-Za-z0-9_])?$/;
const LABEL_NAME_RE = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;
const DNS_SUBDOMAIN_RE = /^[a-z0-9]([a-z0-9.-]{0,251}[a-z0-9])?$/;
const LABEL_VALUE_RE = /^([A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?)?$/;
const CONDITION_STATUSES = new Set(["True", "False", "Unknown"]);
const MAX_MESSAGE_CHARS = 32 * 1024;
const MAX_TEXT_CHARS = 1024;
// 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z, the range of google.protobuf.Timestamp.
const MIN_SECONDS = -62_135_596_800;
const MAX_SECONDS = 253_402_300_799;

/** Checks an object name: 1-253 of [A-Za-z0-9._-], starting and ending alphanumeric. */
export function validateName(field: string, name: unknown): string {
  if (typeof name !== "string" || name === "") {
    throw new InvalidArgumentError(field, "name is required");
  }
  if (!NAME_RE.test(name)) {
    throw new InvalidArgumentError(
      field,
      `invalid name ${JSON.stringify(clip(name))}: must be 1 to 253 characters of ` +
        "[A-Za-z0-9._-], starting and ending with a letter or digit",
    );
  }
  return name;
}

/** Checks a namespace (a DNS label) and maps empty to "default". */
export function normalizeNamespace(field: string, namespace: unknown): string {
  if (namespace === undefined || namespace === null || namespace === "") return DEFAULT_NAMESPACE;
  if (typeof namespace !== "string" || !NAMESPACE_RE.test(namespace)) {
    throw new InvalidArgumentError(
      field,
      `invalid namespace ${JSON.stringify(clip(String(namespace)))}: must be a DNS label ` +
        "(1 to 63 lower-case letters, digits or '-', starting and ending alphanumeric)",
    );
  }
  return namespace;
}

/** Checks a namespace filter of List and Watch, where empty means every namespace. */
export function normalizeNamespaceFilter(field: string, namespace: unknown): string {
  return namespace ? normalizeNamespace(field, namespace) : "";
}

/**
 * Parses a resource version string ("" means none).
 *
 * @returns the version, or null when the string is empty
 */
export function parseResourceVersion(field: string, value: unknown): number | null {
  if (value === undefined || value === null || value === "") return null;
  if (typeof value !== "string" || !/^\d{1,16}$/.test(value)) {
    throw new InvalidArgumentError(
      field,
      `invalid resource version ${JSON.stringify(clip(String(value)))}: ` +
        "must be a non-negative decimal integer",
    );
  }
  const n = Number(value);
  if (!Number.isSafeInteger(n)) {
    throw new InvalidArgumentError(field, `resource version ${value} is out of range`);
  }
  return n;
}

/** Normalizes a GpuSpec; uuid is required. */
export function normalizeSpec(
  field: string,
  spec: DeepPartial<GpuSpec> | null | undefined,
): GpuSpec {
  const uuid = spec?.uuid;
  if (!uuid) throw new InvalidArgumentError(`${field}.uuid`, "uuid is required");
  if (!UUID_RE.test(uuid)) {
    throw new InvalidArgumentError(
      `${field}.uuid`,
      `invalid uuid ${JSON.stringify(clip(uuid))}: must be 1 to 128 characters of ` +
        "[A-Za-z0-9._:/-], starting with a letter or digit",
    );
  }
  return {
    uuid,
    productName: text(`${field}.product_name`, spec?.productName, MAX_TEXT_CHARS),
    pciBusId: text(`${field}.pci_bus_id`, spec?.pciBusId, 64),
    index: uint(`${field}.index`, spec?.index, 0xffff_ffff),
    minorNumber: uint(`${field}.minor_number`, spec?.minorNumber, 0xffff_ffff),
    memoryTotalBytes: uint(
      `${field}.memory_total_bytes`,
      spec?.memoryTotalBytes,
      Number.MAX_SAFE_INTEGER,
    ),
    serial: text(`${field}.serial`, spec?.serial, 64),
  };
}

/** Validates labels (Kubernetes key and value syntax) and returns them sorted by key. */
export function normalizeLabels(field: string, labels: unknown): Record<string, string> {
  const entries = mapEntries(field, labels);
  for (const [key, value] of entries) {
    checkQualifiedName(`${field}[${JSON.stringify(clip(key))}]`, key);
    if (!isLabelValue(value)) {
      throw new InvalidArgumentError(
        `${field}[${JSON.stringify(clip(key))}]`,
        "invalid label value: at most 63 characters of [A-Za-z0-9._-], " +
          "starting and ending alphanumeric",
      );
    }
  }
  return Object.fromEntries(entries);
}

/** Validates annotation keys and returns the map sorted by key (values are free text). */
export function normalizeAnnotations(field: string, annotations: unknown): Record<string, string> {
  const entries = mapEntries(field, annotations);
  for (const [key] of entries) checkQualifiedName(`${field}[${JSON.stringify(clip(key))}]`, key);
  return Object.fromEntries(entries);
}

/** Whether a key is a Kubernetes qualified name: optional DNS-subdomain prefix and '/', and a 63-character name. */
export function isQualifiedName(key: string): boolean {
  const slash = key.indexOf("/");
  if (slash < 0) return LABEL_NAME_RE.test(key);
  return DNS_SUBDOMAIN_RE.test(key.slice(0, slash)) && LABEL_NAME_RE.test(key.slice(slash + 1));
}

/** Whether a string is a Kubernetes label value: empty, or up to 63 of [A-Za-z0-9._-] with alphanumeric ends. */
export function isLabelValue(value: string): boolean {
  return LABEL_VALUE_RE.test(value);
}

/** Checks a Kubernetes qualified name: optional DNS-subdomain prefix and a 63-character name. */
export function checkQualifiedName(field: string, key: string): void {
  if (!isQualifiedName(key)) {
    throw new InvalidArgumentError(
      field,
      "invalid key: must be a name of at most 63 characters of [A-Za-z0-9._-] " +
        "with an optional DNS subdomain prefix and '/'",
    );
  }
}

/** Checks a condition type: 1 to 128 characters of [A-Za-z0-9_.-] starting with a letter. */
export function validateConditionType(field: string, type: string | null | undefined): string {
  if (!type || !CONDITION_TYPE_RE.test(type)) {
    throw new InvalidArgumentError(
      field,
      `invalid condition type ${JSON.stringify(clip(type ?? ""))}: must be 1 to 128 ` +
        "characters of [A-Za-z0-9_.-] starting with a letter (PascalCase, e.g. Ready)",
    );
  }
  return type;
}

/** Normalizes one condition; lastTransitionTime is settled later against the stored state. */
export function normalizeCondition(field: string, c: DeepPartial<Condition> | null): Condition {
  if (!c) throw new InvalidArgumentError(field, "condition is required");
  const type = validateConditionType(`${field}.type`, c.type);
  if (!c.status || !CONDITION_STATUSES.has(c.status)) {
    throw new InvalidArgumentError(
      `${field}.status`,
      `invalid condition status ${JSON.stringify(clip(c.status ?? ""))}: ` +
        'must be "True", "False" or "Unknown"',
    );
  }
  if (c.reason && !REASON_RE.test(c.reason)) {
    throw new InvalidArgumentError(
      `${field}.reason`,
      `invalid reason ${JSON.stringify(clip(c.reason))}: must be one CamelCase word ` +
        "of [A-Za-z0-9_,:] starting with a letter",
    );
  }
  return {
    type,
    status: c.status,
    lastTransitionTime: timestamp(`${field}.last_transition_time`, c.lastTransitionTime),
    reason: c.reason ?? "",
    message: text(`${field}.message`, c.message, MAX_MESSAGE_CHARS),
    observedGeneration: uint(
      `${field}.observed_generation`,
      c.observedGeneration,
      Number.MAX_SAFE_INTEGER,
    ),
    owner: text(`${field}.owner`, c.owner, 253),
  };
}

/** Normalizes a whole status: conditions checked, counted and unique by type. */
export function normalizeStatus(
  field: string,
  status: DeepPartial<GpuStatus> | null | undefined,
  maxConditions: number,
): GpuStatus {
  const input = status?.conditions ?? [];
  if (input.length > maxConditions) {
    throw new InvalidArgumentError(
      `${field}.conditions`,
      `too many conditions: ${input.length}, the limit is ${maxConditions}`,
    );
  }
  const seen = new Set<string>();
  const conditions = input.map((c, i) => {
    const condition = normalizeCondition(`${field}.conditions[${i}]`, c ?? null);
    if (seen.has(condition.type)) {
      throw new InvalidArgumentError(
        `${field}.conditions[${i}].type`,
        `duplicate condition type ${JSON.stringify(condition.type)}`,
      );
    }
    seen.add(condition.type);
    return condition;
  });
  return {
    conditions,
    recommendedAction: text(
      `${field}.recommended_action`,
      status?.recommendedAction,
      MAX_TEXT_CHARS,
    ),
  };
}

/** Checks a Timestamp; null stays null. */
export function timestamp(
  field: string,
  ts: DeepPartial<Timestamp> | null | undefined,
): Timestamp | null {
  if (!ts) return null;
  const seconds = ts.seconds ?? 0;
  const nanos = ts.nanos ?? 0;
  if (!Number.isInteger(seconds) || seconds < MIN_SECONDS || seconds > MAX_SECONDS) {
    throw new InvalidArgumentError(field, `seconds ${seconds} out of range`);
  }
  if (!Number.isInteger(nanos) || nanos < 0 || nanos > 999_999_999) {
    throw new InvalidArgumentError(field, `nanos ${nanos} out of range [0, 999999999]`);
  }
  return { seconds, nanos };
}

function text(field: string, value: unknown, max: number): string {
  const s = typeof value === "string" ? value : "";
  if (s.length > max) {
    throw new InvalidArgumentError(field, `too long: ${s.length} characters, the limit is ${max}`);
  }
  return s;
}

function uint(field: string, value: unknown, max: number): number {
  const n = typeof value === "number" ? value : 0;
  if (!Number.isSafeInteger(n) || n < 0 || n > max) {
    throw new InvalidArgumentError(field, `invalid value ${n}: must be an integer in [0, ${max}]`);
  }
  return n;
}

function mapEntries(field: string, map: unknown): [string, string][] {
  if (map === undefined || map === null) return [];
  if (typeof map !== "object") throw new InvalidArgumentError(field, "must be a map of strings");
  const entries = Object.entries(map as Record<string, unknown>);
  for (const [key, value] of entries) {
    if (typeof value !== "string") {
      throw new InvalidArgumentError(
        `${field}[${JSON.stringify(clip(key))}]`,
        "value must be a string",
      );
    }
  }
  return (entries as [string, string][]).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
}

/** Shortens a user-supplied value quoted in an error message, so errors stay bounded. */
export function clip(value: string, max = 64): string {
  return value.length > max ? `${value.slice(0, max)}…` : value;
}

// UpdateGpu's precondition is metadata.resource_version alone (the contract): empty is
// unconditional whatever the int64 copy holds (which must still be well-formed); any other
// value, "0" included, must equal the stored version.
/**
 * UpdateGpu's precondition: the version `metadata.resource_version` names, or
 * null for an unconditional write.
 *
 * @throws {InvalidArgumentError} when either version is malformed
 */
export function updatePrecondition(
  field: string,
  metaVersion: unknown,
  intVersion: unknown,
): number | null {
  nonNegativeVersion("gpu.resource_version", intVersion);
  return parseResourceVersion(field, metaVersion);
}

/**
 * An int64 resource version field: 0 when unset.
 *
 * @throws {InvalidArgumentError} when it is negative or beyond 2^53
 */
export function nonNegativeVersion(field: string, value: unknown): number {
  const n = typeof value === "number" ? value : 0;
  if (!Number.isSafeInteger(n) || n < 0) {
    throw new InvalidArgumentError(
      field,
      `invalid resource version ${n}: must be a non-negative integer below 2^53`,
    );
  }
  return n;
}
