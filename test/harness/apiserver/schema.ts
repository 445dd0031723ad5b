/**
 * Structural schemas (apiextensions.k8s.io/v1 openAPIV3Schema): pruning of unknown fields, defaulting, and the
 * validation subset CRDs use, and their CEL rules (x-kubernetes-validations, see cel.ts).
 */
import {celCauses} from './cel.js'
import type {Cause} from './errors.js'
import {deepEqual, isObject} from './patch.js'
import {clone} from './store.js'

const child = (path: string, name: string): string => (path ? `${path}.${name}` : name)
const META_FIELDS = ['apiVersion', 'kind', 'metadata']

const subSchemaFor = (schema: any, key: string): any =>
  schema?.properties?.[key] ?? (isObject(schema?.additionalProperties) ? schema.additionalProperties : undefined)

/** Prune unknown fields, drop nulls the schema does not allow, apply defaults — in place. Returns pruned paths. */
export const normalize = (schema: any, value: any, path = '', pruned: string[] = []): string[] => {
  const root = path === '' || schema?.['x-kubernetes-embedded-resource'] === true
  if (isObject(value)) {
    const preserve = schema?.['x-kubernetes-preserve-unknown-fields'] === true || schema?.additionalProperties === true
    for (const key of Object.keys(value)) {
      if (root && META_FIELDS.includes(key)) continue
      const sub = subSchemaFor(schema, key)
      if (value[key] === null && sub && !sub.nullable) delete value[key]
      else if (sub) normalize(sub, value[key], child(path, key), pruned)
      else if (!preserve) {
        pruned.push(child(path, key))
        delete value[key]
      }
    }
    for (const [key, sub] of Object.entries<any>(schema?.properties ?? {})) {
      if (value[key] === undefined && sub?.default !== undefined) {
        value[key] = clone(sub.default)
        normalize(sub, value[key], child(path, key), pruned)
      }
    }
  } else if (Array.isArray(value) && schema?.items) {
    value.forEach((item, i) => normalize(schema.items, item, `${path}[${i}]`, pruned))
  }
  return pruned
}

const jsType = (v: unknown): string =>
  v === null ? 'null' : Array.isArray(v) ? 'array' : typeof v === 'number' ? (Number.isInteger(v) ? 'integer' : 'number') : typeof v === 'object' ? 'object' : typeof v

const show = (v: unknown): string => (typeof v === 'string' ? JSON.stringify(v) : isObject(v) || Array.isArray(v) ? JSON.stringify(v) : String(v))

const typeMatches = (type: string, v: unknown): boolean => {
  switch (type) {
    case 'object':
      return isObject(v)
    case 'array':
      return Array.isArray(v)
    case 'string':
      return typeof v === 'string'
    case 'integer':
      return typeof v === 'number' && Number.isInteger(v)
    case 'number':
      return typeof v === 'number'
    case 'boolean':
      return typeof v === 'boolean'
    default:
      return true
  }
}

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/
const isIPv6 = (s: string): boolean => {
  if (!/^[0-9a-fA-F:.]+$/.test(s) || s.split('::').length > 2) return false
  let str = s
  if (str.includes('.')) {
    const i = str.lastIndexOf(':')
    if (!IPV4.test(str.slice(i + 1))) return false
    str = `${str.slice(0, i + 1)}0:0`
  }
  const groups = str.split(':')
  if (str.includes('::')) return groups.length <= 8 && groups.every((g) => g.length <= 4)
  return groups.length === 8 && groups.every((g) => /^[0-9a-fA-F]{1,4}$/.test(g))
}

const FORMATS: Record<string, (s: string) => boolean> = {
  ipv4: (s) => IPV4.test(s),
  ipv6: isIPv6,
  cidr: (s) => {
    const [ip, len, extra] = s.split('/')
    if (extra !== undefined || len === undefined || !/^\d{1,3}$/.test(len)) return false
    return IPV4.test(ip) ? Number(len) <= 32 : isIPv6(ip) && Number(len) <= 128
  },
  uuid: (s) => /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(s),
  'date-time': (s) => /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/.test(s) && !Number.isNaN(Date.parse(s)),
  date: (s) => /^\d{4}-\d\d-\d\d$/.test(s),
  hostname: (s) => s.length <= 253 && /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/i.test(s),
  mac: (s) => /^([0-9a-fA-F]{2}[:-]){5}[0-9a-fA-F]{2}$/.test(s),
  duration: (s) => /^(\d+(\.\d+)?(ns|us|µs|ms|s|m|h))+$/.test(s),
}

const INT_RANGES: Record<string, [number, number]> = {
  int32: [-2147483648, 2147483647],
  int64: [Number.MIN_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
}

const listKey = (item: any, keys: string[]): string => JSON.stringify(keys.map((k) => item?.[k]))

/** The old item a list item corresponds to (map lists by their keys, set lists by value), as CEL's oldSelf. */
const correlate = (schema: any, item: any, old: unknown): unknown => {
  if (!Array.isArray(old)) return undefined
  const listType = schema['x-kubernetes-list-type']
  if (listType === 'map') {
    const k = listKey(item, schema['x-kubernetes-list-map-keys'] ?? [])
    return old.find((o) => listKey(o, schema['x-kubernetes-list-map-keys'] ?? []) === k)
  }
  if (listType === 'set') return old.find((o) => deepEqual(o, item))
  return undefined
}

/**
 * Validate a (normalized) value; returns one cause per failed rule, with real apiserver reasons and field paths.
 * `old` is the value being replaced (on update), for CEL transition rules.
 */
export const validate = (schema: any, value: any, path = '', causes: Cause[] = [], old?: unknown): Cause[] => {
  if (!schema) return causes
  const add = (reason: string, message: string, field = path) => causes.push({field, message, reason})
  const bad = (msg: string) => add('FieldValueInvalid', `Invalid value: ${show(value)}: ${path} in body ${msg}`)
  const root = path === '' || schema['x-kubernetes-embedded-resource'] === true

  if (value === null) {
    if (!schema.nullable) add('FieldValueTypeInvalid', `Invalid value: "null": ${path} in body must be of type ${schema.type ?? 'object'}: "null"`)
    return causes
  }
  if (schema['x-kubernetes-int-or-string']) {
    if (!(typeof value === 'string' || (typeof value === 'number' && Number.isInteger(value)))) {
      add('FieldValueTypeInvalid', `Invalid value: "${jsType(value)}": ${path} in body must be of type integer,string: "${jsType(value)}"`)
      return causes
    }
  } else if (schema.type && !typeMatches(schema.type, value)) {
    add('FieldValueTypeInvalid', `Invalid value: "${jsType(value)}": ${path} in body must be of type ${schema.type}: "${jsType(value)}"`)
    return causes
  }

  if (Array.isArray(schema.enum) && !schema.enum.some((e: unknown) => deepEqual(e, value)))
    add('FieldValueNotSupported', `Unsupported value: ${show(value)}: supported values: ${schema.enum.map(show).join(', ')}`)

  if (typeof value === 'string') {
    const len = [...value].length
    if (schema.minLength !== undefined && len < schema.minLength) bad(`should be at least ${schema.minLength} chars long`)
    if (schema.maxLength !== undefined && len > schema.maxLength) add('FieldValueTooLong', `Too long: may not be longer than ${schema.maxLength}`)
    if (typeof schema.pattern === 'string') {
      let re: RegExp | undefined
      try {
        re = new RegExp(schema.pattern, 'u')
      } catch {
        re = undefined
      }
      if (re && !re.test(value)) bad(`should match '${schema.pattern}'`)
    }
    const fmt = FORMATS[schema.format]
    if (fmt && !fmt(value)) bad(`must be of type ${schema.format}: ${show(value)}`)
  }

  if (typeof value === 'number') {
    const min = schema.minimum
    const max = schema.maximum
    if (min !== undefined && (schema.exclusiveMinimum ? value <= min : value < min))
      bad(`should be greater than ${schema.exclusiveMinimum ? '' : 'or equal to '}${min}`)
    if (max !== undefined && (schema.exclusiveMaximum ? value >= max : value > max))
      bad(`should be less than ${schema.exclusiveMaximum ? '' : 'or equal to '}${max}`)
    if (schema.multipleOf && value % schema.multipleOf !== 0) bad(`should be a multiple of ${schema.multipleOf}`)
    const range = INT_RANGES[schema.format]
    if (range && (value < range[0] || value > range[1])) bad(`should be in range of ${schema.format}`)
  }

  if (Array.isArray(value)) {
    if (schema.minItems !== undefined && value.length < schema.minItems) bad(`should have at least ${schema.minItems} items`)
    if (schema.maxItems !== undefined && value.length > schema.maxItems)
      add('FieldValueTooMany', `Too many: ${value.length}: must have at most ${schema.maxItems} items`)
    const listType = schema['x-kubernetes-list-type']
    const mapKeys: string[] = schema['x-kubernetes-list-map-keys'] ?? []
    if (schema.uniqueItems || listType === 'set' || listType === 'map') {
      const seen = new Set<string>()
      value.forEach((item, i) => {
        const k = listType === 'map' ? listKey(item, mapKeys) : JSON.stringify(item)
        if (seen.has(k)) add('FieldValueDuplicate', `Duplicate value: ${listType === 'map' ? k : show(item)}`, `${path}[${i}]`)
        seen.add(k)
      })
    }
    if (schema.items) value.forEach((item, i) => validate(schema.items, item, `${path}[${i}]`, causes, correlate(schema, item, old)))
  }

  if (isObject(value)) {
    for (const r of schema.required ?? []) if (value[r] === undefined) add('FieldValueRequired', 'Required value', child(path, r))
    const n = Object.keys(value).length
    if (schema.minProperties !== undefined && n < schema.minProperties) bad(`should have at least ${schema.minProperties} properties`)
    if (schema.maxProperties !== undefined && n > schema.maxProperties) add('FieldValueTooMany', `Too many: ${n}: must have at most ${schema.maxProperties} items`)
    for (const [k, v] of Object.entries(value)) {
      if (root && META_FIELDS.includes(k)) continue
      const sub = subSchemaFor(schema, k)
      if (sub) validate(sub, v, child(path, k), causes, isObject(old) ? (old as any)[k] : undefined)
    }
  }

  const errsOf = (s: any) => validate(s, value, path, [])
  for (const s of schema.allOf ?? []) causes.push(...errsOf(s))
  if (Array.isArray(schema.anyOf) && !schema.anyOf.some((s: any) => errsOf(s).length === 0))
    bad('must validate at least one schema (anyOf)')
  if (Array.isArray(schema.oneOf) && schema.oneOf.filter((s: any) => errsOf(s).length === 0).length !== 1)
    bad('must validate one and only one schema (oneOf)')
  if (schema.not && errsOf(schema.not).length === 0) bad('must not validate the schema (not)')
  causes.push(...celCauses(schema, value, old, path))
  return causes
}
