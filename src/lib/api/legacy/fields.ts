// Typed readers over the Raw tree, with MetalLB v0.12's decoding rules. MetalLB read the ConfigMap with
// gopkg.in/yaml.v2's UnmarshalStrict into Go structs (internal/config/config.go, `configFile`), so:
//  - an unknown key is an error (UnmarshalStrict), not ignored;
//  - a string field takes any scalar as written (`password: 12345` is the string "12345");
//  - a uint32/uint16/int32 field takes only an integer scalar in range (a quoted "64500" is an error);
//  - a bool field takes YAML 1.1 booleans: true/false and y/yes/on/n/no/off in their case variants;
//  - null (or an absent key) is the Go zero value.
import {LegacyConfigError} from './errors.js'
import type {Raw, RawMap} from './yaml.js'

/** `path.key`; a key that is empty or has unusual characters is quoted, so every path names something. */
export const child = (path: string, key: string): string => {
  const k = /^[A-Za-z0-9_./-]+$/.test(key) ? key : JSON.stringify(key)
  return path === '' ? k : `${path}.${k}`
}
export const item = (path: string, i: number): string => `${path}[${i}]`

const kindOf = (r: Raw): string => (r.t === 'scalar' ? (r.value === null ? 'null' : typeof r.value === 'string' ? `the string ${JSON.stringify(r.text)}` : `${typeof r.value} ${r.text}`) : r.t === 'map' ? 'a map' : 'a list')

const isNull = (r: Raw | undefined): boolean => r === undefined || (r.t === 'scalar' && r.value === null)

/** Keys of older MetalLB releases (≤ v0.7) that v0.9–v0.12 refused; named so the operator knows what to write. */
const OLD_KEYS: Record<string, string> = {
  cidr: 'MetalLB ≥ v0.7 calls it `addresses`',
  'arp-network': 'MetalLB ≥ v0.7 has no `arp-network` (use avoid-buggy-ips for .0/.255); remove it',
  'peer-autodiscovery': 'peer-autodiscovery never shipped in a MetalLB release; list the peers under `peers`',
}

/** A map with only the given keys (UnmarshalStrict); null counts as an empty map. */
export function readMap(r: Raw | undefined, path: string, allowed: readonly string[], what: string): RawMap['entries'] {
  if (isNull(r)) return new Map()
  if (r!.t !== 'map') throw new LegacyConfigError('LEGACY_SHAPE', path || '(top level)', `must be a map (${what}), not ${kindOf(r!)}`)
  for (const k of r!.entries.keys()) {
    if (!allowed.includes(k)) {
      const near = allowed.find((a) => a.replace(/[-_]/g, '').toLowerCase() === k.replace(/[-_]/g, '').toLowerCase())
      throw new LegacyConfigError('LEGACY_UNKNOWN_FIELD', child(path, k), `is not a field of ${what} in MetalLB v0.9–v0.12 (MetalLB refused unknown fields too)`,
        near ? `Did you mean \`${near}\`?` : OLD_KEYS[k] ?? `Known fields: ${allowed.join(', ')}.`)
    }
  }
  return r!.entries
}

export function readList(r: Raw | undefined, path: string, what: string): Raw[] {
  if (isNull(r)) return []
  if (r!.t !== 'seq') throw new LegacyConfigError('LEGACY_SHAPE', path, `must be a list of ${what}, not ${kindOf(r!)}`)
  return r!.items
}

/** A string field: any scalar, as written. Undefined for null/absent or "" (Go's zero value means "not set"). */
export function readString(r: Raw | undefined, path: string): string | undefined {
  if (isNull(r)) return undefined
  if (r!.t !== 'scalar') throw new LegacyConfigError('LEGACY_SHAPE', path, `must be a string, not ${kindOf(r!)}`)
  const s = typeof r!.value === 'string' ? r!.value : r!.text
  return s === '' ? undefined : s
}

/** An unsigned integer field (uint16/uint32) or int32; `max` is the type's limit. 0 is returned as 0 (Go's zero). */
export function readInt(r: Raw | undefined, path: string, type: 'uint16' | 'uint32' | 'int32'): number | undefined {
  if (isNull(r)) return undefined
  if (r!.t !== 'scalar' || typeof r!.value !== 'number') {
    throw new LegacyConfigError('LEGACY_SHAPE', path, `must be a whole number (${type}), not ${kindOf(r!)}`, r!.t === 'scalar' && /^\d+$/.test(r!.text) ? `Write it without quotes: ${r!.text}.` : undefined)
  }
  const v = r!.value
  const [min, max] = type === 'uint16' ? [0, 65535] : type === 'uint32' ? [0, 4294967295] : [-2147483648, 2147483647]
  if (!Number.isSafeInteger(v) || v < min || v > max) {
    throw new LegacyConfigError('LEGACY_VALUE', path, `${r!.text} is not a ${type} (a whole number from ${min} to ${max})`)
  }
  return v
}

const YAML11_TRUE = new Set(['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON'])
const YAML11_FALSE = new Set(['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF'])

export function readBool(r: Raw | undefined, path: string): boolean | undefined {
  if (isNull(r)) return undefined
  if (r!.t === 'scalar') {
    if (typeof r!.value === 'boolean') return r!.value
    if (r!.plain && YAML11_TRUE.has(r!.text)) return true
    if (r!.plain && YAML11_FALSE.has(r!.text)) return false
  }
  throw new LegacyConfigError('LEGACY_SHAPE', path, `must be true or false, not ${kindOf(r!)}`)
}

/** A map of string to string (match-labels, bgp-communities). */
export function readStringMap(r: Raw | undefined, path: string): Array<{key: string; value: string; path: string}> {
  if (isNull(r)) return []
  if (r!.t !== 'map') throw new LegacyConfigError('LEGACY_SHAPE', path, `must be a map of names to values, not ${kindOf(r!)}`)
  return [...r!.entries].map(([key, v]) => ({key, value: readString(v, child(path, key)) ?? '', path: child(path, key)}))
}

export function readStringList(r: Raw | undefined, path: string, what: string): Array<{value: string; path: string}> {
  return readList(r, path, what).map((x, i) => ({value: readString(x, item(path, i)) ?? '', path: item(path, i)}))
}
