import {PatchStrategy, Watch} from '@kubernetes/client-node'
import {reuseConnections} from './agent.js'
import {FIELD_MANAGER} from '../api/constants.js'
import {type KubeTarget, type LoadedConfig, loadKubeConfig} from './config.js'
import {isNotFound, isRetryable, type RequestContext, toKubeError} from './errors.js'
import {ObjectApi} from './object-api.js'
import {type RetryOptions, withRetry} from './retry.js'

/** Any object with the usual header; lbctl's own types (src/lib/api/types.ts) fit. */
export interface KubernetesObject {
  apiVersion?: string
  kind?: string
  metadata?: {name?: string; namespace?: string; resourceVersion?: string}
}

export interface KindRef {
  apiVersion: string
  kind: string
  /** Plural resource name, for messages (discovery is used for paths). */
  plural?: string
}

export interface KubeOptions {
  fieldManager?: string
  /** Attempts per request on 429/5xx/dropped connections (default 4). */
  attempts?: number
  /** Per-attempt timeout (default 30 s). */
  timeoutMs?: number
  retry?: Partial<Pick<RetryOptions, 'baseMs' | 'maxMs' | 'sleep' | 'random' | 'onRetry'>>
}

export interface ListResult<T> {
  items: T[]
  resourceVersion: string
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'

class KubeTimeout extends Error {
  override name = 'KubeTimeout'
}

/**
 * The one seam to the API server (ARCHITECTURE.md rule 3). Every call retries transient failures with backoff, has a
 * timeout, and fails with an LbctlError that names the verb, the resource and the cluster.
 */
export class Kube {
  private loaded?: {config: LoadedConfig; api: ObjectApi}
  private readonly opts: Required<Pick<KubeOptions, 'fieldManager' | 'attempts' | 'timeoutMs'>> & KubeOptions

  /** The kubeconfig is read on first use, so commands validate their input before any kubeconfig error. */
  constructor(private readonly source: LoadedConfig | KubeTarget, opts: KubeOptions = {}) {
    this.opts = {fieldManager: FIELD_MANAGER, attempts: 4, timeoutMs: 30_000, ...opts}
  }

  static connect(target: KubeTarget, opts?: KubeOptions): Kube {
    return new Kube(target, opts)
  }

  /** The same cluster with other retry/timeout settings (a lease renewal wants one short attempt). */
  withOptions(opts: KubeOptions): Kube {
    return new Kube(this.source, {...this.opts, ...opts})
  }

  private get state(): {config: LoadedConfig; api: ObjectApi} {
    if (!this.loaded) {
      const config = 'kc' in this.source ? (this.source as LoadedConfig) : loadKubeConfig(this.source as KubeTarget)
      reuseConnections(config.kc)
      this.loaded = {config, api: config.kc.makeApiClient(ObjectApi)}
    }
    return this.loaded
  }

  get config(): LoadedConfig {
    return this.state.config
  }

  get api(): ObjectApi {
    return this.state.api
  }

  get server(): string {
    return this.config.server
  }

  get context(): string {
    return this.config.context
  }

  private async call<T>(ctx: Omit<RequestContext, 'server' | 'context'>, fn: () => Promise<T>): Promise<T> {
    const full: RequestContext = {...ctx, server: this.server, context: this.context, execCommand: this.config.kc.getCurrentUser()?.exec?.command}
    try {
      return await withRetry(() => this.withTimeout(fn()), {
        attempts: this.opts.attempts,
        baseMs: this.opts.retry?.baseMs ?? 200,
        maxMs: this.opts.retry?.maxMs ?? 5_000,
        sleep: this.opts.retry?.sleep,
        random: this.opts.retry?.random,
        onRetry: this.opts.retry?.onRetry,
        retryable: isRetryable,
      })
    } catch (err) {
      throw toKubeError(err, full)
    }
  }

  private withTimeout<T>(p: Promise<T>): Promise<T> {
    let timer: NodeJS.Timeout | undefined
    const t = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new KubeTimeout(`no answer within ${this.opts.timeoutMs} ms`)), this.opts.timeoutMs)
      timer.unref?.()
    })
    return Promise.race([p, t]).finally(() => clearTimeout(timer))
  }

  private static resourceName(ref: KindRef): string {
    const group = ref.apiVersion.includes('/') ? ref.apiVersion.split('/')[0] : ''
    const plural = ref.plural ?? `${ref.kind.toLowerCase()}s`
    return group ? `${plural}.${group}` : plural
  }

  /** Get one object; undefined when it does not exist. */
  async get<T extends KubernetesObject>(ref: KindRef, name: string, namespace?: string): Promise<T | undefined> {
    try {
      // Through pathFor (never client-node's read, whose path is lower-cased).
      const obj = await this.call({verb: 'get', resource: Kube.resourceName(ref), namespace, name}, async () =>
        this.api.request<T>('GET', await this.api.pathFor(ref.apiVersion, ref.kind, namespace, name)),
      )
      return {apiVersion: ref.apiVersion, kind: ref.kind, ...obj} as T
    } catch (err) {
      if ((err as {code?: string}).code === 'NOT_FOUND') return undefined
      throw err
    }
  }

  /** List objects (all namespaces when namespace is undefined). */
  async list<T extends KubernetesObject>(ref: KindRef, opts: {namespace?: string; labelSelector?: string; fieldSelector?: string} = {}): Promise<ListResult<T>> {
    const res = await this.call({verb: 'list', resource: Kube.resourceName(ref), namespace: opts.namespace}, async () => {
      const path = await this.api.pathFor(ref.apiVersion, ref.kind, opts.namespace)
      return this.api.request<{items?: T[]; metadata?: {resourceVersion?: string}}>('GET', path, {
        query: {labelSelector: opts.labelSelector, fieldSelector: opts.fieldSelector},
      })
    })
    const items = (res.items ?? []).map((i) => ({apiVersion: ref.apiVersion, kind: ref.kind, ...i}))
    return {items, resourceVersion: res.metadata?.resourceVersion ?? ''}
  }

  /**
   * Server-side apply with field manager `lbctl`. When `metadata.resourceVersion` is set it acts as a precondition:
   * a concurrent change fails with CONFLICT instead of being overwritten.
   */
  async apply<T extends KubernetesObject>(obj: T, opts: {force?: boolean} = {}): Promise<T> {
    const m = obj.metadata ?? {}
    return this.call({verb: 'apply', resource: Kube.resourceName(obj as KindRef), namespace: m.namespace, name: m.name}, async () => {
      const path = await this.api.pathFor(obj.apiVersion!, obj.kind!, m.namespace, m.name)
      // JSON is YAML: the body goes as written (client-node's models would drop x-kubernetes-* schema keys of CRDs).
      return this.api.request<T>('PATCH', path, {body: obj, contentType: PatchStrategy.ServerSideApply, query: {fieldManager: this.opts.fieldManager, force: opts.force ?? true}})
    })
  }

  async create<T extends KubernetesObject>(obj: T): Promise<T> {
    const m = obj.metadata ?? {}
    return this.call({verb: 'create', resource: Kube.resourceName(obj as KindRef), namespace: m.namespace, name: m.name}, async () => {
      const path = await this.api.pathFor(obj.apiVersion!, obj.kind!, m.namespace)
      return this.api.request<T>('POST', path, {body: obj, query: {fieldManager: this.opts.fieldManager}})
    })
  }

  /** PUT (optimistic concurrency: the object's resourceVersion must be current, else CONFLICT). */
  async replace<T extends KubernetesObject>(obj: T): Promise<T> {
    const m = obj.metadata ?? {}
    return this.call({verb: 'update', resource: Kube.resourceName(obj as KindRef), namespace: m.namespace, name: m.name}, async () => {
      const path = await this.api.pathFor(obj.apiVersion!, obj.kind!, m.namespace, m.name)
      return this.api.request<T>('PUT', path, {body: obj, query: {fieldManager: this.opts.fieldManager}})
    })
  }

  /** JSON merge patch of an object, or of its status subresource. */
  async mergePatch<T extends KubernetesObject>(ref: KindRef, name: string, namespace: string | undefined, patch: unknown, opts: {subresource?: 'status'} = {}): Promise<T> {
    return this.call({verb: 'patch', resource: Kube.resourceName(ref) + (opts.subresource ? `/${opts.subresource}` : ''), namespace, name}, async () => {
      const path = (await this.api.pathFor(ref.apiVersion, ref.kind, namespace, name)) + (opts.subresource ? `/${opts.subresource}` : '')
      return this.api.request<T>('PATCH', path, {body: patch, contentType: PatchStrategy.MergePatch, query: {fieldManager: this.opts.fieldManager}})
    })
  }

  /** Replace the status subresource (PUT …/status) with optimistic concurrency. */
  async replaceStatus<T extends KubernetesObject>(obj: T): Promise<T> {
    const m = obj.metadata ?? {}
    return this.call({verb: 'update', resource: Kube.resourceName(obj as KindRef) + '/status', namespace: m.namespace, name: m.name}, async () => {
      const path = (await this.api.pathFor(obj.apiVersion!, obj.kind!, m.namespace, m.name)) + '/status'
      return this.api.request<T>('PUT', path, {body: obj, query: {fieldManager: this.opts.fieldManager}})
    })
  }

  /** Delete; returns false when it was already gone (404 is done). */
  async delete(ref: KindRef, name: string, namespace?: string): Promise<boolean> {
    try {
      await this.call({verb: 'delete', resource: Kube.resourceName(ref), namespace, name}, async () =>
        this.api.request('DELETE', await this.api.pathFor(ref.apiVersion, ref.kind, namespace, name)),
      )
      return true
    } catch (err) {
      if ((err as {code?: string}).code === 'NOT_FOUND' || isNotFound((err as {cause?: unknown}).cause)) return false
      throw err
    }
  }

  /** A container's log (pods/log), as text. */
  async podLog(namespace: string, name: string, opts: {container?: string; tailLines?: number; limitBytes?: number} = {}): Promise<string> {
    const res = await this.call({verb: 'get', resource: 'pods/log', namespace, name}, () =>
      this.api.request<unknown>('GET', `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/log`, {query: {container: opts.container, tailLines: opts.tailLines, limitBytes: opts.limitBytes}}),
    )
    return typeof res === 'string' ? res : JSON.stringify(res)
  }

  /** Whether the API server serves a kind (e.g. are the metallb.io CRDs installed). */
  async serves(ref: KindRef): Promise<boolean> {
    try {
      const r = await this.call({verb: 'get', resource: Kube.resourceName(ref)}, () => this.api.resourceFor(ref.apiVersion, ref.kind))
      return r !== undefined
    } catch (err) {
      if ((err as {code?: string}).code === 'CRDS_MISSING' || (err as {code?: string}).code === 'NOT_FOUND') return false
      throw err
    }
  }

  /**
   * Watch a kind from a resourceVersion. Events arrive in order; `done` is called once when the stream ends (with the
   * error, if any — a 410 Gone means: list again). Returns a function that stops the watch.
   */
  async watch<T extends KubernetesObject>(
    ref: KindRef,
    opts: {namespace?: string; resourceVersion?: string; labelSelector?: string; timeoutSeconds?: number; bookmarks?: boolean},
    onEvent: (type: WatchEventType, obj: T) => void,
    done: (err?: unknown) => void,
  ): Promise<() => void> {
    const path = await this.call({verb: 'watch', resource: Kube.resourceName(ref), namespace: opts.namespace}, () =>
      this.api.pathFor(ref.apiVersion, ref.kind, opts.namespace),
    )
    const w = new Watch(this.config.kc)
    let finished = false
    const finish = (err?: unknown): void => {
      if (finished) return
      finished = true
      done(err)
    }
    const ctl = await w.watch(
      path,
      {
        resourceVersion: opts.resourceVersion,
        labelSelector: opts.labelSelector,
        timeoutSeconds: opts.timeoutSeconds,
        allowWatchBookmarks: opts.bookmarks ?? true,
      },
      (type, obj) => {
        if (type === 'ERROR') {
          finish(Object.assign(new Error(obj?.message ?? 'watch error'), {code: obj?.code, body: obj}))
          return
        }
        onEvent(type as WatchEventType, obj as T)
      },
      (err) => finish(err ?? undefined),
    )
    return () => {
      finished = true
      ctl.abort()
    }
  }
}
