/**
 * Server-side apply and field ownership (metadata.managedFields, FieldsV1), close enough to structured-merge-diff
 * for what lbctl does: apply merges into the live object, removes fields the same manager applied before and no
 * longer applies, and conflicts (409) with other managers over a field whose value it would change, unless forced.
 */
import {ApiError} from './errors.js'
import {deepEqual, isObject} from './patch.js'
import {clone} from './store.js'

type Path = string[]
type ListKind = {type: 'atomic'} | {type: 'set'} | {type: 'map'; keys: string[]}

export interface SsaContext {
  /** The CR's openAPIV3Schema; undefined for built-ins (a table of their keyed lists is used instead). */
  schema?: any
  apiVersion: string
  subresource?: string
}

const BUILTIN_MAP_LISTS: Record<string, string[]> = {
  containers: ['name'],
  initContainers: ['name'],
  ephemeralContainers: ['name'],
  volumes: ['name'],
  env: ['name'],
  imagePullSecrets: ['name'],
  volumeMounts: ['mountPath'],
  conditions: ['type'],
  ownerReferences: ['uid'],
}
const BUILTIN_SETS = new Set(['finalizers'])
const SERVER_META = ['name', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'managedFields', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'selfLink']

const listKind = (field: string, schema: any, items: unknown[]): ListKind => {
  if (schema) {
    const t = schema['x-kubernetes-list-type']
    if (t === 'set') return {type: 'set'}
    if (t === 'map') return {type: 'map', keys: schema['x-kubernetes-list-map-keys'] ?? []}
    return {type: 'atomic'}
  }
  if (BUILTIN_SETS.has(field)) return {type: 'set'}
  if (field === 'ports') return {type: 'map', keys: [items.some((i) => isObject(i) && 'containerPort' in i) ? 'containerPort' : 'port', 'protocol']}
  const keys = BUILTIN_MAP_LISTS[field]
  return keys ? {type: 'map', keys} : {type: 'atomic'}
}

const itemKey = (item: any, keys: string[]): string => {
  const k: Record<string, unknown> = {}
  for (const key of keys) k[key] = item?.[key] ?? (key === 'protocol' ? 'TCP' : undefined)
  return `k:${JSON.stringify(k)}`
}

const sub = (schema: any, key: string): any => schema?.properties?.[key] ?? (isObject(schema?.additionalProperties) ? schema.additionalProperties : undefined)

/** Leaf paths of an object, FieldsV1-style: `f:name`, `k:{"name":"x"}` (with a `.` for the item), `v:"x"`. */
export const leaves = (obj: any, ctx: SsaContext): Path[] => {
  const out: Path[] = []
  const walk = (v: any, schema: any, path: Path, field: string) => {
    if (Array.isArray(v)) {
      const lk = listKind(field, schema, v)
      if (lk.type === 'atomic') out.push(path)
      else if (lk.type === 'set') for (const x of v) out.push([...path, `v:${JSON.stringify(x)}`])
      else
        for (const item of v) {
          const ip = [...path, itemKey(item, lk.keys)]
          out.push([...ip, '.'])
          if (isObject(item)) for (const [k, x] of Object.entries(item)) walk(x, sub(schema?.items, k), [...ip, `f:${k}`], k)
        }
    } else if (isObject(v) && Object.keys(v).length > 0) {
      for (const [k, x] of Object.entries(v)) walk(x, sub(schema, k), [...path, `f:${k}`], k)
    } else out.push(path)
  }
  for (const [k, v] of Object.entries<any>(obj ?? {})) {
    if (k === 'apiVersion' || k === 'kind') continue
    if ((k === 'status') !== (ctx.subresource === 'status')) continue
    if (k === 'metadata') {
      for (const [mk, mv] of Object.entries<any>(v ?? {})) if (!SERVER_META.includes(mk)) walk(mv, undefined, ['f:metadata', `f:${mk}`], mk)
    } else walk(v, sub(ctx.schema, k), [`f:${k}`], k)
  }
  return out
}

/** The value at a path, if present. */
const lookup = (obj: any, path: Path): {found: boolean; value?: unknown} => {
  let cur = obj
  for (const el of path) {
    if (el === '.') return {found: true, value: cur}
    if (el.startsWith('f:')) {
      if (!isObject(cur) || !(el.slice(2) in cur)) return {found: false}
      cur = cur[el.slice(2)]
    } else if (el.startsWith('v:')) {
      const want = JSON.parse(el.slice(2))
      return {found: Array.isArray(cur) && cur.some((x) => deepEqual(x, want)), value: want}
    } else if (el.startsWith('k:')) {
      const want = JSON.parse(el.slice(2))
      const keys = Object.keys(want)
      const item = Array.isArray(cur) ? cur.find((x) => itemKey(x, keys) === el) : undefined
      if (item === undefined) return {found: false}
      cur = item
    }
  }
  return {found: true, value: cur}
}

const remove = (obj: any, path: Path): void => {
  const last = path[path.length - 1]
  const parentPath = last === '.' ? path.slice(0, -2) : path.slice(0, -1)
  const el = last === '.' ? path[path.length - 2] : last
  const parent = lookup(obj, parentPath)
  if (!parent.found) return
  const p: any = parent.value
  if (el.startsWith('f:') && isObject(p)) delete p[el.slice(2)]
  else if (Array.isArray(p)) {
    const i = el.startsWith('v:')
      ? p.findIndex((x) => deepEqual(x, JSON.parse(el.slice(2))))
      : p.findIndex((x) => itemKey(x, Object.keys(JSON.parse(el.slice(2)))) === el)
    if (i >= 0) p.splice(i, 1)
  }
}

/** Merge an apply configuration into the live object: maps recursively, keyed lists by key, sets as unions. */
const merge = (live: any, config: any, schema: any, field: string): any => {
  if (Array.isArray(config)) {
    const lk = listKind(field, schema, [...(Array.isArray(live) ? live : []), ...config])
    if (lk.type === 'atomic' || !Array.isArray(live)) return clone(config)
    const out = clone(live)
    if (lk.type === 'set') {
      for (const x of config) if (!out.some((y: unknown) => deepEqual(x, y))) out.push(clone(x))
      return out
    }
    for (const item of config) {
      const i = out.findIndex((x: any) => itemKey(x, lk.keys) === itemKey(item, lk.keys))
      if (i >= 0) out[i] = merge(out[i], item, schema?.items, '')
      else out.push(clone(item))
    }
    return out
  }
  if (isObject(config) && isObject(live)) {
    const out: Record<string, any> = clone(live)
    for (const [k, v] of Object.entries(config)) out[k] = v === null ? null : merge(out[k], v, sub(schema, k), k)
    return out
  }
  return clone(config)
}

const keyOf = (p: Path): string => JSON.stringify(p)

// ---- FieldsV1 <-> paths ----

const toFieldsV1 = (paths: Path[]): Record<string, any> => {
  const root: Record<string, any> = {}
  for (const p of paths) {
    let cur = root
    for (const el of p) cur = cur[el] ??= {}
  }
  return root
}

const fromFieldsV1 = (tree: any, prefix: Path = [], out: Path[] = []): Path[] => {
  const entries = Object.entries<any>(tree ?? {})
  if (entries.length === 0 && prefix.length) out.push(prefix)
  for (const [k, v] of entries) fromFieldsV1(v, [...prefix, k], out)
  return out
}

interface Entry {
  manager: string
  operation: 'Apply' | 'Update'
  apiVersion: string
  time: string
  subresource?: string
  paths: Path[]
}

const readEntries = (obj: any): Entry[] =>
  (obj?.metadata?.managedFields ?? []).map((m: any) => ({
    manager: m.manager,
    operation: m.operation,
    apiVersion: m.apiVersion,
    time: m.time,
    subresource: m.subresource,
    paths: fromFieldsV1(m.fieldsV1),
  }))

const writeEntries = (obj: any, entries: Entry[]): void => {
  const live = entries.filter((e) => e.paths.length > 0)
  obj.metadata.managedFields = live.map((e) => ({
    manager: e.manager,
    operation: e.operation,
    apiVersion: e.apiVersion,
    time: e.time,
    fieldsType: 'FieldsV1',
    fieldsV1: toFieldsV1(e.paths),
    ...(e.subresource ? {subresource: e.subresource} : {}),
  }))
  if (obj.metadata.managedFields.length === 0) delete obj.metadata.managedFields
}

const now = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z')

const entryFor = (entries: Entry[], manager: string, operation: Entry['operation'], ctx: SsaContext): Entry => {
  let e = entries.find((x) => x.manager === manager && x.operation === operation && x.subresource === ctx.subresource)
  if (!e) {
    e = {manager, operation, apiVersion: ctx.apiVersion, time: now(), subresource: ctx.subresource, paths: []}
    entries.push(e)
  }
  e.time = now()
  e.apiVersion = ctx.apiVersion
  return e
}

const showPath = (p: Path): string =>
  p
    .filter((el) => el !== '.')
    .map((el) => (el.startsWith('f:') ? `.${el.slice(2)}` : el.startsWith('v:') ? `[=${el.slice(2)}]` : `[${Object.entries(JSON.parse(el.slice(2))).map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(',')}]`))
    .join('')

/** Server-side apply of `config` onto `live` (undefined when creating). Returns the merged object. */
export const serverSideApply = (live: any | undefined, config: any, manager: string, force: boolean, ctx: SsaContext): any => {
  const entries = readEntries(live)
  const mine = entryFor(entries, manager, 'Apply', ctx)
  const owned = leaves(config, ctx)
  const conflicts: Array<{manager: string; path: Path; apiVersion: string}> = []
  for (const p of owned) {
    if (p[p.length - 1] === '.') continue
    const cur = lookup(live, p)
    if (!cur.found || deepEqual(cur.value, lookup(config, p).value)) continue
    for (const e of entries) {
      if (e === mine || e.subresource !== ctx.subresource) continue
      const i = e.paths.findIndex((q) => keyOf(q) === keyOf(p))
      if (i < 0) continue
      if (force) e.paths.splice(i, 1)
      else conflicts.push({manager: e.manager, path: p, apiVersion: e.apiVersion})
    }
  }
  if (conflicts.length) {
    const causes = conflicts.map((c) => ({reason: 'FieldManagerConflict', message: `conflict with "${c.manager}" using ${c.apiVersion}`, field: showPath(c.path)}))
    const lines = causes.map((c) => `${c.message}: ${c.field}`)
    const msg =
      conflicts.length === 1
        ? `Apply failed with 1 conflict: ${lines[0]}`
        : `Apply failed with ${conflicts.length} conflicts: ${lines.join('\n')}`
    throw new ApiError(409, 'Conflict', msg, {causes})
  }
  const {metadata: cm = {}, ...configRest} = config
  const {managedFields: _mf, ...cmRest} = cm
  let merged = merge(live ?? {}, {...configRest, metadata: cmRest}, ctx.schema, '')
  const newKeys = new Set(owned.map(keyOf))
  const others = entries.filter((e) => e !== mine).flatMap((e) => e.paths.map(keyOf))
  const removed = mine.paths.filter((p) => !newKeys.has(keyOf(p))).sort((a, b) => b.length - a.length)
  for (const p of removed) {
    const prefix = keyOf(p[p.length - 1] === '.' ? p.slice(0, -1) : p).slice(0, -1)
    if (others.some((o) => o === keyOf(p) || o.startsWith(prefix))) continue
    remove(merged, p)
  }
  merged = merged ?? {}
  mine.paths = owned
  merged.metadata ??= {}
  writeEntries(merged, entries)
  return merged
}

/** Record a non-apply write (POST/PUT/PATCH): the changed fields now belong to `manager`. */
export const trackUpdate = (old: any | undefined, obj: any, manager: string, ctx: SsaContext): void => {
  const entries = readEntries(old)
  const current = leaves(obj, ctx)
  const changed = current.filter((p) => {
    const before = lookup(old, p)
    return !before.found || !deepEqual(before.value, lookup(obj, p).value)
  })
  if (changed.length) {
    const keys = new Set(changed.map(keyOf))
    for (const e of entries) if (e.subresource === ctx.subresource) e.paths = e.paths.filter((p) => !keys.has(keyOf(p)))
    const mine = entryFor(entries, manager, 'Update', ctx)
    const have = new Set(mine.paths.map(keyOf))
    for (const p of changed) if (!have.has(keyOf(p))) mine.paths.push(p)
  }
  const live = new Set(current.map(keyOf))
  for (const e of entries) if (e.subresource === ctx.subresource) e.paths = e.paths.filter((p) => live.has(keyOf(p)))
  obj.metadata ??= {}
  writeEntries(obj, entries)
}
