// The one seam to the API server (ARCHITECTURE.md rule 3): the interface every caller — the CLI, the controller, the
// speaker — programs against, and the rules every implementation shares (resource names and paths). No imports:
// the transports (rest.ts) and the connection loaders (connect.ts, config.ts) depend on this, never the reverse.

/** Any object with the usual header; lbctl's own types (src/lib/api/types.ts) fit. */
export interface KubernetesObject {
  apiVersion?: string
  kind?: string
  metadata?: {name?: string; namespace?: string; resourceVersion?: string}
}

/** A kind, with its plural resource name (paths are built from it: no discovery round trip). */
export interface KindRef {
  apiVersion: string
  kind: string
  /** Plural resource name; default: the kind in lower case plus "s". */
  plural?: string
}

export interface ListResult<T> {
  items: T[]
  resourceVersion: string
}

export type WatchEventType = 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR'

export interface ListOptions {
  namespace?: string
  labelSelector?: string
  fieldSelector?: string
}

export interface WatchOptions {
  namespace?: string
  resourceVersion?: string
  labelSelector?: string
  timeoutSeconds?: number
  bookmarks?: boolean
}

/** Retry and timeout settings of a connection. */
export interface CallOptions {
  /** Attempts per request on 429/5xx/dropped connections (default 4). */
  attempts?: number
  /** Per-attempt timeout (default 30 s). */
  timeoutMs?: number
}

/**
 * What every caller needs from the API server. Every call retries transient failures with backoff, has a timeout,
 * re-reads rotated credentials after a 401, and fails with an LbctlError naming the verb, the resource and the cluster.
 */
export interface KubeApi {
  readonly server: string
  readonly context: string
  /** Get one object; undefined when it does not exist. */
  get<T extends KubernetesObject>(ref: KindRef, name: string, namespace?: string): Promise<T | undefined>
  /** List objects (all namespaces when namespace is undefined). */
  list<T extends KubernetesObject>(ref: KindRef, opts?: ListOptions): Promise<ListResult<T>>
  create<T extends KubernetesObject>(obj: T): Promise<T>
  /** PUT with optimistic concurrency: the object's resourceVersion must be current, else CONFLICT. */
  replace<T extends KubernetesObject>(obj: T): Promise<T>
  /** PUT of the status subresource, with optimistic concurrency. */
  replaceStatus<T extends KubernetesObject>(obj: T): Promise<T>
  /** JSON merge patch (RFC 7386) of an object or of its status. */
  mergePatch<T extends KubernetesObject>(ref: KindRef, name: string, namespace: string | undefined, patch: unknown, opts?: {subresource?: 'status'}): Promise<T>
  /** JSON patch (RFC 6902) of an object or of its status (e.g. a `test` operation as a precondition). */
  jsonPatch<T extends KubernetesObject>(ref: KindRef, name: string, namespace: string | undefined, ops: unknown[], opts?: {subresource?: 'status'}): Promise<T>
  /**
   * Server-side apply with lbctl's field manager. When `metadata.resourceVersion` is set it is a precondition: a
   * concurrent change fails with CONFLICT instead of being overwritten.
   */
  apply<T extends KubernetesObject>(obj: T, opts?: {force?: boolean; subresource?: 'status'}): Promise<T>
  /** Delete; false when it was already gone (404 is done). */
  delete(ref: KindRef, name: string, namespace?: string): Promise<boolean>
  /** Whether the API server serves a kind (are the CRDs installed). */
  serves(ref: KindRef): Promise<boolean>
  /**
   * Watch from a resourceVersion. Events arrive in order; `done` is called once when the stream ends (with the error,
   * if any: a watch ERROR event arrives as an error with its `code`, so 410 Gone means "list again"). Returns a
   * function that stops the watch.
   */
  watch<T extends KubernetesObject>(ref: KindRef, opts: WatchOptions, onEvent: (type: WatchEventType, obj: T) => void, done: (err?: unknown) => void): Promise<() => void>
  /** The same connection with other retry/timeout settings (a lease renewal wants one short attempt). */
  withOptions(opts: CallOptions): KubeApi
}

/**
 * The plural resource name: the ref's, else the API machinery's guess from the kind (UnsafeGuessKindToResource:
 * `…s` → `…ses`, `…y` → `…ies`, else `…s`), which the CRDs lbctl uses follow (ServiceL2Status → servicel2statuses).
 */
export function pluralOf(ref: KindRef): string {
  if (ref.plural) return ref.plural
  const k = ref.kind.toLowerCase()
  if (k === 'endpoints') return k
  if (k.endsWith('s')) return `${k}es`
  if (k.endsWith('y')) return `${k.slice(0, -1)}ies`
  return `${k}s`
}

/** `plural.group` (`plural` for the core group): how kubectl and RBAC name a resource. */
export function resourceName(ref: KindRef): string {
  const i = ref.apiVersion.indexOf('/')
  return i < 0 ? pluralOf(ref) : `${pluralOf(ref)}.${ref.apiVersion.slice(0, i)}`
}

/** The URL path of a collection or object, from the kind's plural (no discovery round trip). */
export function resourcePath(ref: KindRef, namespace?: string, name?: string, sub?: string): string {
  const i = ref.apiVersion.indexOf('/')
  const base = i < 0 ? `/api/${ref.apiVersion}` : `/apis/${ref.apiVersion}`
  const e = encodeURIComponent
  return `${base}${namespace ? `/namespaces/${e(namespace)}` : ''}/${pluralOf(ref)}${name ? `/${e(name)}` : ''}${sub ? `/${sub}` : ''}`
}
