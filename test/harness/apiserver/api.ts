/** The REST semantics of one resource: get, list, create, update, patch, delete — what the apiserver's registry does. */
import {randomUUID} from 'node:crypto'
import {parse as parseYaml} from 'yaml'
import {Allocator, builtinDefaults, validateBuiltin, validateMeta} from './builtins.js'
import {
  ApiError,
  alreadyExists,
  badRequest,
  conflict,
  forbidden,
  invalid,
  notFound,
  staleConflict,
  unprocessable,
  unsupportedMediaType,
} from './errors.js'
import {deepEqual, isObject, jsonPatch, mergePatch, strategicMerge} from './patch.js'
import {convert} from './convert.js'
import {crdStatus, grKey, groupVersion, type Registry, type ResourceType} from './registry.js'
import {queryInt} from './params.js'
import {normalize, validate} from './schema.js'
import {selectorMatcher} from './selectors.js'
import {decodeBuiltin} from './shapes.js'
import {serverSideApply, trackUpdate} from './ssa.js'
import {clone, type Store} from './store.js'

export interface WriteOptions {
  dryRun?: boolean
  /** The fieldManager query parameter, or the one derived from the User-Agent. */
  manager: string
  /** Whether fieldManager was given explicitly (apply requires it). */
  explicitManager?: boolean
  fieldValidation?: string
  force?: boolean
  subresource?: string
}

export interface Outcome {
  obj: any
  code: number
  warnings: string[]
}

export const timestamp = (): string => new Date().toISOString().replace(/\.\d+Z$/, 'Z')

const OBJECT_META = new Set([
  'name', 'generateName', 'namespace', 'selfLink', 'uid', 'resourceVersion', 'generation', 'creationTimestamp',
  'deletionTimestamp', 'deletionGracePeriodSeconds', 'labels', 'annotations', 'ownerReferences', 'finalizers', 'managedFields',
])
const SERVER_META = ['uid', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'generation', 'selfLink']
const NS = {group: '', plural: 'namespaces'}
const NAME_CHARS = 'bcdfghjklmnpqrstvwxz2456789'

const isCrd = (rt: ResourceType) => rt.group === 'apiextensions.k8s.io' && rt.plural === 'customresourcedefinitions'
const isNamespace = (rt: ResourceType) => rt.group === '' && rt.plural === 'namespaces'

export class Api {
  readonly alloc = new Allocator()

  constructor(
    readonly store: Store,
    readonly registry: Registry,
  ) {}

  /** An object as served in `rt`'s version: apiVersion and kind first, as the apiserver encodes them. */
  output(rt: ResourceType, obj: any): any {
    const {apiVersion: _a, kind: _k, ...rest} = clone(convert(obj, groupVersion(rt)))
    return {apiVersion: groupVersion(rt), kind: rt.kind, ...rest}
  }

  private stored(rt: ResourceType, ns: string | undefined, name: string): any {
    const obj = this.store.get(grKey(rt), rt.namespaced ? ns : undefined, name)
    if (!obj) throw notFound(rt, name)
    return obj
  }

  get(rt: ResourceType, ns: string | undefined, name: string): any {
    return this.output(rt, this.stored(rt, ns, name))
  }

  list(rt: ResourceType, ns: string | undefined, q: URLSearchParams): any {
    const match = selectorMatcher(q.get('labelSelector'), q.get('fieldSelector'), ['metadata.name', 'metadata.namespace', ...rt.fieldLabels])
    let items = this.store.list(grKey(rt), ns).map((o) => this.output(rt, o)).filter(match)
    const metadata: Record<string, unknown> = {resourceVersion: String(this.store.rv)}
    const token = q.get('continue')
    if (token) {
      let start: string
      try {
        start = JSON.parse(Buffer.from(token, 'base64').toString()).start
      } catch {
        throw badRequest(`continue key is not valid: ${token}`)
      }
      items = items.filter((o) => `${o.metadata.namespace ?? ''}/${o.metadata.name}` > start)
    }
    const limit = queryInt(q, 'limit') ?? 0
    if (limit > 0 && items.length > limit) {
      const last = items[limit - 1]
      metadata.continue = Buffer.from(JSON.stringify({start: `${last.metadata.namespace ?? ''}/${last.metadata.name}`})).toString('base64')
      metadata.remainingItemCount = items.length - limit
      items = items.slice(0, limit)
    }
    // typed (built-in) lists carry no kind/apiVersion per item; unstructured (CR) lists do
    const render = (o: any) => {
      if (rt.crd) return o
      const {apiVersion: _a, kind: _k, ...rest} = o
      return rest
    }
    return {apiVersion: groupVersion(rt), kind: rt.listKind, metadata, items: items.map(render)}
  }

  /** Decode a request body: kind and apiVersion, when given, must be the URL's. */
  private body(rt: ResourceType, body: unknown): any {
    if (!isObject(body)) throw badRequest(`the object provided is unrecognized (must be of type ${rt.kind})`)
    const obj: any = clone(body)
    if (obj.kind !== undefined && obj.kind !== rt.kind)
      throw badRequest(`the object provided is unrecognized (must be of type ${rt.kind}): kind "${obj.kind}" does not match`)
    if (obj.apiVersion !== undefined && obj.apiVersion !== groupVersion(rt) && !(rt.crd && this.registry.versionsOf(grKey(rt)).some((t) => groupVersion(t) === obj.apiVersion)))
      throw badRequest(`the API version in the data (${obj.apiVersion}) does not match the expected API version (${groupVersion(rt)})`)
    obj.apiVersion = groupVersion(rt)
    obj.kind = rt.kind
    if (obj.metadata !== undefined && !isObject(obj.metadata)) throw badRequest('metadata must be an object')
    obj.metadata ??= {}
    return rt.crd || rt.virtual ? obj : decodeBuiltin(rt, obj)
  }

  private checkNamespace(rt: ResourceType, ns: string | undefined, md: any): void {
    if (!rt.namespaced) {
      delete md.namespace
      return
    }
    if (md.namespace && md.namespace !== ns)
      throw badRequest('the namespace of the provided object does not match the namespace sent on the request')
    md.namespace = ns
  }

  /** Prune, default and validate; returns warnings (unknown fields under fieldValidation=Warn). */
  private admit(rt: ResourceType, obj: any, old: any | undefined, opts: WriteOptions): string[] {
    const unknown: string[] = []
    for (const k of Object.keys(obj.metadata)) {
      if (OBJECT_META.has(k)) continue
      unknown.push(`metadata.${k}`)
      delete obj.metadata[k]
    }
    if (rt.schema) unknown.push(...normalize(rt.schema, obj))
    const mode = opts.fieldValidation ?? 'Warn'
    if (unknown.length && mode === 'Strict') throw badRequest(`strict decoding error: ${unknown.map((u) => `unknown field "${u}"`).join(', ')}`)
    const warnings = mode === 'Ignore' ? [] : unknown.map((u) => `unknown field "${u}"`)
    if (!rt.schema) builtinDefaults(rt, obj, this.alloc, old)
    const causes = validateMeta(rt, obj)
    causes.push(...(rt.schema ? validate(rt.schema, obj, '', [], old) : validateBuiltin(rt, obj, old)))
    if (isCrd(rt)) causes.push(...this.registry.validateCrd(obj))
    if (old?.metadata?.deletionTimestamp) {
      const added = (obj.metadata.finalizers ?? []).filter((f: string) => !(old.metadata.finalizers ?? []).includes(f))
      if (added.length)
        causes.push({field: 'metadata.finalizers', message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${JSON.stringify(added)}`, reason: 'FieldValueForbidden'})
    }
    if (causes.length) throw invalid(rt.group, rt.kind, obj.metadata.name ?? '', causes)
    return warnings
  }

  /** Write to the store in the storage version; CRD writes (re)register their kinds. */
  commit(rt: ResourceType, type: 'ADDED' | 'MODIFIED' | 'DELETED', obj: any): any {
    const storage = this.registry.versionsOf(grKey(rt)).find((t) => t.storage) ?? rt
    const stored = this.store.write(grKey(rt), type, {...convert(obj, groupVersion(storage)), kind: rt.kind})
    if (isCrd(rt) && type !== 'DELETED') this.registry.registerCrd(stored)
    return stored
  }

  create(rt: ResourceType, ns: string | undefined, body: unknown, opts: WriteOptions, applied = false): Outcome {
    const obj = this.body(rt, body)
    const md = obj.metadata
    this.checkNamespace(rt, ns, md)
    if (!md.name && md.generateName)
      md.name = md.generateName + Array.from({length: 5}, () => NAME_CHARS[Math.floor(Math.random() * NAME_CHARS.length)]).join('')
    // etcd3's Create refuses this, and the apiserver reports it as an internal error
    if (md.resourceVersion && !applied) throw new ApiError(500, 'InternalError', 'resourceVersion should not be set on objects to be created')
    for (const k of [...SERVER_META, 'resourceVersion']) delete md[k]
    if (!applied) delete md.managedFields
    // nodeStrategy.PrepareForCreate: "Nodes allow *all* fields, including status, to be set on create"
    if (rt.subresources.includes('status') && !(rt.group === '' && rt.kind === 'Node')) delete obj.status
    const warnings = this.admit(rt, obj, undefined, opts)
    if (rt.namespaced) {
      const nsObj = this.store.get('namespaces', undefined, ns!)
      if (!nsObj) throw notFound(NS, ns!)
      if (nsObj.metadata.deletionTimestamp)
        throw forbidden(rt, md.name, `unable to create new content in namespace ${ns} because it is being terminated`)
    }
    if (this.store.get(grKey(rt), md.namespace, md.name)) throw alreadyExists(rt, md.name)
    md.uid = randomUUID()
    md.creationTimestamp = timestamp()
    if (rt.generation) md.generation = 1
    if (isCrd(rt)) crdStatus(obj, undefined)
    if (!applied) trackUpdate(undefined, obj, opts.manager, {schema: rt.schema, apiVersion: groupVersion(rt)})
    if (opts.dryRun) return {obj: this.output(rt, obj), code: 201, warnings}
    return {obj: this.output(rt, this.commit(rt, 'ADDED', obj)), code: 201, warnings}
  }

  update(rt: ResourceType, ns: string | undefined, name: string, body: unknown, opts: WriteOptions, applied = false): Outcome {
    const obj = this.body(rt, body)
    const md = obj.metadata
    if (md.name !== undefined && md.name !== name)
      throw badRequest(`the name of the object (${md.name}) does not match the name on the URL (${name})`)
    md.name = name
    this.checkNamespace(rt, ns, md)
    const old = this.output(rt, this.stored(rt, ns, name))
    if (md.resourceVersion && md.resourceVersion !== old.metadata.resourceVersion) throw staleConflict(rt, name)
    // custom resources and CRDs do not allow unconditional updates (AllowUnconditionalUpdate() == false)
    if (!md.resourceVersion && (rt.crd || isCrd(rt)))
      throw invalid(rt.group, rt.kind, name, [{field: 'metadata.resourceVersion', message: 'Invalid value: 0x0: must be specified for an update', reason: 'FieldValueInvalid'}])
    if (md.uid && md.uid !== old.metadata.uid)
      throw conflict(rt, name, `Precondition failed: UID in precondition: ${md.uid}, UID in object meta: ${old.metadata.uid}`)
    return this.replace(rt, old, obj, opts, applied)
  }

  private replace(rt: ResourceType, old: any, obj: any, opts: WriteOptions, applied: boolean): Outcome {
    let next: any
    const status = opts.subresource === 'status'
    if (status) {
      next = clone(old)
      if (obj.status !== undefined) next.status = clone(obj.status)
      else delete next.status
      if (applied) next.metadata.managedFields = obj.metadata.managedFields
    } else {
      next = obj
      for (const k of SERVER_META) {
        if (old.metadata[k] !== undefined) next.metadata[k] = old.metadata[k]
        else delete next.metadata[k]
      }
      if (!applied) next.metadata.managedFields = old.metadata.managedFields
      if (rt.subresources.includes('status')) {
        if (old.status !== undefined) next.status = clone(old.status)
        else delete next.status
      }
    }
    next.metadata.resourceVersion = old.metadata.resourceVersion
    next.apiVersion = groupVersion(rt)
    const warnings = this.admit(rt, next, old, opts)
    const specOf = (o: any) => {
      const {metadata: _m, apiVersion: _a, kind: _k, ...rest} = o
      if (rt.subresources.includes('status')) delete rest.status
      return rest
    }
    if (rt.generation && !deepEqual(specOf(next), specOf(old))) next.metadata.generation = (old.metadata.generation ?? 0) + 1
    if (isCrd(rt) && !status) crdStatus(next, old)
    if (!applied) trackUpdate(old, next, opts.manager, {schema: rt.schema, apiVersion: groupVersion(rt), subresource: opts.subresource})
    // a write that changes nothing (managedFields timestamps aside) is not a write: no new resourceVersion, no event
    const strip = (o: any) => ({
      ...o,
      apiVersion: '',
      metadata: {...o.metadata, managedFields: o.metadata.managedFields?.map((m: any) => ({...m, time: undefined}))},
    })
    if (deepEqual(strip(next), strip(old)) || opts.dryRun) return {obj: this.output(rt, opts.dryRun ? next : old), code: 200, warnings}
    if (next.metadata.deletionTimestamp && !(next.metadata.finalizers ?? []).length) {
      const gone = this.commit(rt, 'DELETED', next)
      this.afterDelete(rt, gone)
      return {obj: this.output(rt, gone), code: 200, warnings}
    }
    return {obj: this.output(rt, this.commit(rt, 'MODIFIED', next)), code: 200, warnings}
  }

  patch(rt: ResourceType, ns: string | undefined, name: string, contentType: string, raw: string, opts: WriteOptions): Outcome {
    const ct = contentType.split(';')[0].trim().toLowerCase()
    const stored = this.store.get(grKey(rt), rt.namespaced ? ns : undefined, name)
    const old = stored && this.output(rt, stored)
    if (ct === 'application/apply-patch+yaml' || ct === 'application/apply-patch+json') return this.apply(rt, ns, name, raw, old, opts)
    const accepted = ['application/json-patch+json', 'application/merge-patch+json', 'application/apply-patch+yaml']
    if (!rt.crd) accepted.push('application/strategic-merge-patch+json')
    if (!accepted.includes(ct)) throw unsupportedMediaType(ct, accepted)
    let patch: unknown
    try {
      patch = JSON.parse(raw)
    } catch (e) {
      throw badRequest(`error decoding patch: ${(e as Error).message}`)
    }
    if (!old) throw notFound(rt, name)
    let patched: unknown
    if (ct === 'application/json-patch+json') patched = jsonPatch(old, patch)
    else {
      if (!isObject(patch)) throw badRequest('error decoding patch: the patch must be a JSON object')
      patched = ct === 'application/merge-patch+json' ? mergePatch(old, patch) : strategicMerge(old, patch)
    }
    if (!isObject(patched)) throw unprocessable('the patched object is not a JSON object')
    return this.update(rt, ns, name, patched, opts)
  }

  private apply(rt: ResourceType, ns: string | undefined, name: string, raw: string, old: any | undefined, opts: WriteOptions): Outcome {
    if (!opts.explicitManager) throw badRequest('PATCH requests using application/apply-patch+yaml require a fieldManager query parameter')
    let cfg: any
    try {
      cfg = parseYaml(raw)
    } catch (e) {
      throw badRequest(`error decoding YAML: ${(e as Error).message}`)
    }
    if (!isObject(cfg)) throw badRequest('error decoding YAML: the apply configuration must be an object')
    if (!cfg.apiVersion || !cfg.kind) throw badRequest('invalid object type: apiVersion and kind must be set')
    const c = this.body(rt, cfg)
    if (c.metadata.name !== undefined && c.metadata.name !== name)
      throw badRequest(`the name of the object (${c.metadata.name}) does not match the name on the URL (${name})`)
    c.metadata.name = name
    this.checkNamespace(rt, ns, c.metadata)
    const ctx = {schema: rt.schema, apiVersion: groupVersion(rt), subresource: opts.subresource}
    if (!old) {
      if (opts.subresource) throw notFound(rt, name)
      const merged = serverSideApply(undefined, c, opts.manager, !!opts.force, ctx)
      return this.create(rt, ns, merged, opts, true)
    }
    if (c.metadata.resourceVersion && c.metadata.resourceVersion !== old.metadata.resourceVersion) throw staleConflict(rt, name)
    const merged = serverSideApply(old, c, opts.manager, !!opts.force, ctx)
    return this.replace(rt, old, this.body(rt, merged), opts, true)
  }

  delete(rt: ResourceType, ns: string | undefined, name: string, opts: {dryRun?: boolean; preconditions?: any}): Outcome {
    const old = this.stored(rt, ns, name)
    const pre = opts.preconditions ?? {}
    if (pre.uid && pre.uid !== old.metadata.uid)
      throw conflict(rt, name, `Precondition failed: UID in precondition: ${pre.uid}, UID in object meta: ${old.metadata.uid}`)
    if (pre.resourceVersion && pre.resourceVersion !== old.metadata.resourceVersion)
      throw conflict(rt, name, `Precondition failed: ResourceVersion in precondition: ${pre.resourceVersion}, ResourceVersion in object meta: ${old.metadata.resourceVersion}`)
    if (opts.dryRun) return {obj: this.output(rt, old), code: 200, warnings: []}
    return this.remove(rt, old)
  }

  deleteCollection(rt: ResourceType, ns: string | undefined, q: URLSearchParams, dryRun: boolean): Outcome {
    const list = this.list(rt, ns, q)
    if (!dryRun) for (const o of list.items) {
      const cur = this.store.get(grKey(rt), o.metadata.namespace, o.metadata.name)
      if (cur) this.remove(rt, cur)
    }
    return {obj: list, code: 200, warnings: []}
  }

  /** Delete now, or mark for deletion while finalizers remain; a namespace takes its contents with it. */
  remove(rt: ResourceType, old: any): Outcome {
    const done = (obj: any): Outcome => ({obj, code: 200, warnings: []})
    if (isNamespace(rt)) {
      const ns = old.metadata.name
      if (!old.metadata.deletionTimestamp) {
        const next = clone(old)
        next.metadata.deletionTimestamp = timestamp()
        next.metadata.deletionGracePeriodSeconds = 0
        next.status = {...next.status, phase: 'Terminating'}
        this.commit(rt, 'MODIFIED', next)
      }
      for (const gr of this.store.groupResources()) {
        if (gr === 'namespaces') continue
        const rt2 = this.registry.versionsOf(gr)[0]
        for (const o of this.store.list(gr, ns)) {
          if (rt2) this.remove(rt2, o)
          else this.store.write(gr, 'DELETED', o)
        }
      }
      const last = this.store.get('namespaces', undefined, ns)
      this.reap(ns)
      return done(this.output(rt, last))
    }
    if ((old.metadata.finalizers ?? []).length) {
      if (old.metadata.deletionTimestamp) return done(this.output(rt, old))
      const next = clone(old)
      next.metadata.deletionTimestamp = timestamp()
      next.metadata.deletionGracePeriodSeconds = 0
      if (rt.generation) next.metadata.generation = (next.metadata.generation ?? 0) + 1
      return done(this.output(rt, this.commit(rt, 'MODIFIED', next)))
    }
    const gone = this.commit(rt, 'DELETED', clone(old))
    this.afterDelete(rt, gone)
    if (rt.returnDeletedObject) return done(this.output(rt, gone))
    const details: Record<string, unknown> = {name: gone.metadata.name}
    if (rt.group) details.group = rt.group
    Object.assign(details, {kind: rt.plural, uid: gone.metadata.uid})
    return done({kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Success', details})
  }

  private afterDelete(rt: ResourceType, gone: any): void {
    if (isCrd(rt)) {
      const key = `${gone.spec.names.plural}.${gone.spec.group}`
      for (const o of this.store.list(key)) this.store.write(key, 'DELETED', o)
      this.registry.unregisterCrd(gone.metadata.name)
    }
    if (gone.metadata.namespace) this.reap(gone.metadata.namespace)
  }

  /** The namespace controller's last step: a terminating namespace with nothing left in it goes away. */
  private reap(ns: string): void {
    const nsObj = this.store.get('namespaces', undefined, ns)
    if (!nsObj?.metadata.deletionTimestamp || (nsObj.metadata.finalizers ?? []).length) return
    if (this.store.hasObjectsIn(ns)) return
    this.store.write('namespaces', 'DELETED', nsObj)
  }

  /** The test backdoor: create or replace as given (no validation, no status rules), with the usual events. */
  put(input: any): any {
    const rt = this.registry.byKind(input?.apiVersion ?? '', input?.kind ?? '')
    if (!rt) throw new ApiError(404, 'NotFound', `no kind ${input?.kind} in ${input?.apiVersion}`)
    const obj = clone(input)
    const md = (obj.metadata ??= {})
    if (!rt.namespaced) delete md.namespace
    else md.namespace ??= 'default'
    const old = this.store.get(grKey(rt), md.namespace, md.name)
    md.uid ??= old?.metadata.uid ?? randomUUID()
    md.creationTimestamp ??= old?.metadata.creationTimestamp ?? timestamp()
    if (rt.generation) md.generation ??= old?.metadata.generation ?? 1
    if (isCrd(rt) && !obj.status) crdStatus(obj, old)
    return this.output(rt, this.commit(rt, old ? 'MODIFIED' : 'ADDED', obj))
  }

  /** The test backdoor's delete: gone now, finalizers or not. */
  forceDelete(rt: ResourceType, ns: string | undefined, name: string): void {
    const old = this.store.get(grKey(rt), rt.namespaced ? ns : undefined, name)
    if (!old) return
    const gone = this.commit(rt, 'DELETED', clone(old))
    this.afterDelete(rt, gone)
  }
}
