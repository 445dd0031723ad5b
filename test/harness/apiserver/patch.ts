/** PATCH bodies: JSON merge patch (RFC 7386), JSON patch (RFC 6902) and strategic merge patch (built-in types). */
import {badRequest, unprocessable} from './errors.js'
import {clone} from './store.js'

export const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v)

export const deepEqual = (a: unknown, b: unknown): boolean => {
  if (a === b) return true
  if (Array.isArray(a)) return Array.isArray(b) && a.length === b.length && a.every((x, i) => deepEqual(x, b[i]))
  if (isObject(a) && isObject(b)) {
    const ka = Object.keys(a)
    if (ka.length !== Object.keys(b).length) return false
    return ka.every((k) => Object.prototype.hasOwnProperty.call(b, k) && deepEqual(a[k], b[k]))
  }
  return false
}

/** RFC 7386. */
export const mergePatch = (target: unknown, patch: unknown): unknown => {
  if (!isObject(patch)) return clone(patch)
  const out: Record<string, any> = isObject(target) ? clone(target) : {}
  for (const [k, v] of Object.entries(patch)) {
    if (v === null) delete out[k]
    else out[k] = mergePatch(out[k], v)
  }
  return out
}

// ---- RFC 6902 ----

const parsePointer = (p: string): string[] => {
  if (p === '') return []
  if (!p.startsWith('/')) throw unprocessable(`invalid JSON pointer: "${p}"`)
  return p
    .slice(1)
    .split('/')
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
}

const arrayIndex = (arr: unknown[], tok: string, forAdd: boolean, path: string): number => {
  if (tok === '-' && forAdd) return arr.length
  if (!/^(0|[1-9][0-9]*)$/.test(tok)) throw unprocessable(`invalid array index "${tok}" in path ${path}`)
  const i = Number(tok)
  if (i > arr.length || (!forAdd && i === arr.length)) throw unprocessable(`array index ${i} out of bounds in path ${path}`)
  return i
}

/** The container of the last token, which must exist. */
const parentOf = (doc: any, toks: string[], path: string): any => {
  let cur = doc
  for (const t of toks.slice(0, -1)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, t, false, path)]
    else if (isObject(cur) && t in cur) cur = cur[t]
    else throw unprocessable(`doc is missing path: "${path}": missing value`)
  }
  if (!isObject(cur) && !Array.isArray(cur)) throw unprocessable(`doc is missing path: "${path}": missing value`)
  return cur
}

const getAt = (doc: any, path: string): unknown => {
  let cur = doc
  for (const t of parsePointer(path)) {
    if (Array.isArray(cur)) cur = cur[arrayIndex(cur, t, false, path)]
    else if (isObject(cur) && t in cur) cur = cur[t]
    else throw unprocessable(`doc is missing path: "${path}": missing value`)
  }
  return cur
}

const removeAt = (doc: any, path: string): unknown => {
  const toks = parsePointer(path)
  if (toks.length === 0) throw unprocessable('cannot remove the whole document')
  const parent = parentOf(doc, toks, path)
  const last = toks[toks.length - 1]
  if (Array.isArray(parent)) return parent.splice(arrayIndex(parent, last, false, path), 1)[0]
  if (!(last in parent)) throw unprocessable(`doc is missing key: ${path}: missing value`)
  const v = parent[last]
  delete parent[last]
  return v
}

const addAt = (doc: any, path: string, value: unknown, replace: boolean): any => {
  const toks = parsePointer(path)
  if (toks.length === 0) return clone(value)
  const parent = parentOf(doc, toks, path)
  const last = toks[toks.length - 1]
  if (Array.isArray(parent)) {
    const i = arrayIndex(parent, last, !replace, path)
    if (replace) parent[i] = clone(value)
    else parent.splice(i, 0, clone(value))
  } else {
    if (replace && !(last in parent)) throw unprocessable(`replace operation does not apply: doc is missing key: ${path}: missing value`)
    parent[last] = clone(value)
  }
  return doc
}

/** RFC 6902, including `test`. Errors are 422, as the apiserver reports a patch that does not apply. */
export const jsonPatch = (target: unknown, ops: unknown): unknown => {
  if (!Array.isArray(ops)) throw badRequest('json: cannot unmarshal object into Go value of type jsonpatch.Patch')
  let doc: any = clone(target)
  for (const op of ops) {
    if (!isObject(op) || typeof op.op !== 'string') throw badRequest('invalid JSON patch operation')
    const path = op.path
    if (typeof path !== 'string') throw unprocessable(`${op.op} operation: missing path`)
    switch (op.op) {
      case 'add':
        if (!('value' in op)) throw unprocessable('add operation: missing value')
        doc = addAt(doc, path, op.value, false)
        break
      case 'replace':
        if (!('value' in op)) throw unprocessable('replace operation: missing value')
        doc = addAt(doc, path, op.value, true)
        break
      case 'remove':
        removeAt(doc, path)
        break
      case 'move': {
        if (typeof op.from !== 'string') throw unprocessable('move operation: missing from')
        const v = removeAt(doc, op.from)
        doc = addAt(doc, path, v, false)
        break
      }
      case 'copy': {
        if (typeof op.from !== 'string') throw unprocessable('copy operation: missing from')
        doc = addAt(doc, path, getAt(doc, op.from), false)
        break
      }
      case 'test': {
        let actual: unknown
        try {
          actual = getAt(doc, path)
        } catch {
          actual = undefined
        }
        if (!deepEqual(actual, op.value)) throw unprocessable(`testing value ${path} failed: test failed`)
        break
      }
      default:
        throw unprocessable(`Unexpected kind: ${op.op}`)
    }
  }
  return doc
}

// ---- strategic merge patch ----

/** Merge keys of the built-in lists that have patchStrategy "merge". */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  volumes: 'name',
  env: 'name',
  imagePullSecrets: 'name',
  volumeMounts: 'mountPath',
  volumeDevices: 'devicePath',
  conditions: 'type',
  ownerReferences: 'uid',
  hostAliases: 'ip',
  addresses: 'type',
}
/** Primitive lists that are merged as sets. */
const MERGE_SETS = new Set(['finalizers'])

const mergeKeyFor = (field: string, items: unknown[]): string | undefined => {
  if (field === 'ports') return items.some((i) => isObject(i) && 'containerPort' in i) ? 'containerPort' : 'port'
  return MERGE_KEYS[field]
}

const smpList = (field: string, cur: unknown, patch: unknown[], parentPatch: Record<string, any>): unknown[] => {
  const base = Array.isArray(cur) ? cur : []
  if (patch.some((i) => isObject(i) && i.$patch === 'replace')) return patch.filter((i) => !(isObject(i) && i.$patch === 'replace')).map(clone)
  let out: unknown[]
  if (MERGE_SETS.has(field)) {
    out = [...base]
    for (const v of patch) if (!out.some((x) => deepEqual(x, v))) out.push(clone(v))
  } else {
    const key = mergeKeyFor(field, [...base, ...patch])
    if (!key || !patch.every(isObject)) return patch.map(clone)
    out = base.map(clone)
    for (const item of patch as Array<Record<string, any>>) {
      const i = out.findIndex((x) => isObject(x) && deepEqual(x[key], item[key]))
      if (item.$patch === 'delete') {
        if (i >= 0) out.splice(i, 1)
      } else if (i >= 0) out[i] = strategicMerge(out[i], item)
      else out.push(strategicMerge({}, item))
    }
  }
  const del = parentPatch[`$deleteFromPrimitiveList/${field}`]
  if (Array.isArray(del)) out = out.filter((x) => !del.some((d) => deepEqual(d, x)))
  const order = parentPatch[`$setElementOrder/${field}`]
  if (Array.isArray(order)) {
    const key = mergeKeyFor(field, out)
    const pos = (x: unknown) => order.findIndex((o) => (key && isObject(o) && isObject(x) ? deepEqual(o[key], x[key]) : deepEqual(o, x)))
    out = out
      .map((x, i) => ({x, i, p: pos(x)}))
      .sort((a, b) => (a.p < 0 || b.p < 0 ? a.i - b.i : a.p - b.p))
      .map((e) => e.x)
  }
  return out
}

/** Strategic merge patch as the built-in types define it, for the lists lbctl and kubectl touch. */
export const strategicMerge = (target: unknown, patch: unknown): unknown => {
  if (!isObject(patch)) return clone(patch)
  if (patch.$patch === 'replace') {
    const {$patch: _p, ...rest} = patch
    return clone(rest)
  }
  if (patch.$patch === 'delete') return undefined
  const out: Record<string, any> = isObject(target) ? clone(target) : {}
  for (const [k, v] of Object.entries(patch)) {
    if (k.startsWith('$')) continue
    if (v === null) delete out[k]
    else if (Array.isArray(v)) out[k] = smpList(k, out[k], v, patch)
    else if (isObject(v)) {
      const r = strategicMerge(out[k], v)
      if (r === undefined) delete out[k]
      else out[k] = r
    } else out[k] = v
  }
  for (const k of Object.keys(patch)) {
    const m = /^\$deleteFromPrimitiveList\/(.+)$/.exec(k)
    if (m && !(m[1] in patch) && Array.isArray(out[m[1]])) out[m[1]] = smpList(m[1], out[m[1]], [], patch)
  }
  if (Array.isArray(patch.$retainKeys)) for (const k of Object.keys(out)) if (!patch.$retainKeys.includes(k)) delete out[k]
  return out
}
