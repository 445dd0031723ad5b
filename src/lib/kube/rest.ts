// A lean transport for daemons: the same calls, retries and typed errors as `Kube` (client.ts), over node:http(s)
// with keep-alive, without loading @kubernetes/client-node, whose generated models alone take ~110 MB of RSS. It
// reads kubeconfigs with a token or client certificates and the in-cluster service account; anything else (exec
// plugins, auth providers, proxies, merged KUBECONFIG lists) returns undefined from loadRestTarget, and the caller
// uses `Kube` instead.
import {existsSync, readFileSync, statSync} from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import {homedir} from 'node:os'
import {delimiter, dirname, isAbsolute, join} from 'node:path'
import {parse} from 'yaml'
import {Kinds} from '../api/constants.js'
import {badInput} from '../errors.js'
import type {KindRef, Kube, KubernetesObject, ListResult, WatchEventType} from './client.js'
import {isNotFound, isRetryable, toKubeError, type RequestContext} from './errors.js'
import {withRetry} from './retry.js'

/** What daemons need from the seam; both `Kube` (client-node) and `RestKube` provide it. */
export type KubeApi = Pick<Kube, 'get' | 'list' | 'create' | 'replace' | 'mergePatch' | 'delete' | 'watch' | 'server' | 'context'> & {
  withOptions(o: {attempts?: number; timeoutMs?: number}): KubeApi
}

export interface RestTarget {
  server: string
  context: string
  source: string
  tls: {ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer; rejectUnauthorized: boolean; servername?: string}
  /** The Authorization header, read per request (in-cluster tokens rotate). */
  auth: () => string | undefined
  /** After a 401: read the credentials again; true when they changed, so one more attempt is worth making. */
  refresh?: () => boolean
}

function readServiceAccountFile(path: string): Buffer {
  try {
    return readFileSync(path)
  } catch (err) {
    throw badInput('SERVICE_ACCOUNT_UNREADABLE', `in-cluster configuration: cannot read ${path}: ${(err as Error).message}`,
      'Run in a pod whose service account token is mounted (automountServiceAccountToken: true), or give a kubeconfig.')
  }
}

/**
 * A projected service account token: the kubelet rewrites the file (an atomic symlink swap) well before the token
 * expires. client-go re-reads it every minute; this re-reads it as soon as the file changes (a stat per request costs
 * microseconds) and on demand after a 401, so a rotated token is used at once, not up to a minute late.
 */
function tokenFile(path: string): {current: () => string; reread: () => boolean} {
  let token = readServiceAccountFile(path).toString('utf8').trim()
  let seen = statKey(path)
  const read = (force: boolean): boolean => {
    try {
      const key = statKey(path)
      if (!force && key === seen) return false
      const next = readFileSync(path, 'utf8').trim()
      seen = key
      if (next === '' || next === token) return false
      token = next
      return true
    } catch {
      return false // mid-rotation or gone: keep the token we have; the server will say if it is no longer good
    }
  }
  return {current: () => (read(false), token), reread: () => read(true)}
}

function statKey(path: string): string {
  try {
    const st = statSync(path)
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeMs}`
  } catch {
    return ''
  }
}

/** Where a pod's service account volume is mounted. */
export const SERVICE_ACCOUNT_DIR = '/var/run/secrets/kubernetes.io/serviceaccount'

/** The API server as a pod sees it: the kubernetes Service from KUBERNETES_SERVICE_HOST/PORT (IPv6 in brackets). */
export function inClusterServer(env: NodeJS.ProcessEnv): string {
  const host = env.KUBERNETES_SERVICE_HOST ?? ''
  return `https://${host.includes(':') ? `[${host}]` : host}:${env.KUBERNETES_SERVICE_PORT ?? '443'}`
}

/** The connection a kubeconfig (or the pod's service account) describes, or undefined when only client-node can do it. */
export function loadRestTarget(t: {kubeconfig?: string; context?: string; inCluster?: boolean}, env = process.env, serviceAccountDir = SERVICE_ACCOUNT_DIR): RestTarget | undefined {
  if (!t.kubeconfig && t.inCluster && env.KUBERNETES_SERVICE_HOST) {
    const token = tokenFile(join(serviceAccountDir, 'token'))
    return {
      server: inClusterServer(env), context: 'in-cluster', source: 'in-cluster service account',
      tls: {ca: readServiceAccountFile(join(serviceAccountDir, 'ca.crt')), rejectUnauthorized: true},
      auth: () => `Bearer ${token.current()}`,
      refresh: () => token.reread(),
    }
  }
  const paths = t.kubeconfig ? [t.kubeconfig] : env.KUBECONFIG ? env.KUBECONFIG.split(delimiter).filter(Boolean) : [join(env.HOME ?? homedir(), '.kube', 'config')]
  if (paths.length !== 1 || !existsSync(paths[0])) return undefined
  const file = paths[0]
  let doc: any
  try {
    doc = parse(readFileSync(file, 'utf8'))
  } catch (err) {
    throw badInput('KUBECONFIG_INVALID', `cannot read kubeconfig ${file}: ${(err as Error).message}`, 'Fix the file, or use another kubeconfig.')
  }
  const named = (list: unknown, name: unknown): any => (Array.isArray(list) ? list.find((x) => x?.name === name) : undefined)
  const ctxName = t.context ?? doc?.['current-context']
  const ctx = named(doc?.contexts, ctxName)?.context
  const cluster = named(doc?.clusters, ctx?.cluster)?.cluster
  const user = named(doc?.users, ctx?.user)?.user ?? {}
  if (!ctx || !cluster?.server || cluster['proxy-url'] || user.exec || user['auth-provider']) return undefined
  const rel = (p: string): string => (isAbsolute(p) ? p : join(dirname(file), p))
  const data = (inline?: string, path?: string): Buffer | undefined =>
    inline ? Buffer.from(inline, 'base64') : path ? readFileSync(rel(path)) : undefined
  const token = user.token ?? (user.tokenFile ? readFileSync(rel(user.tokenFile), 'utf8').trim() : undefined)
  const basic = user.username ? `Basic ${Buffer.from(`${user.username}:${user.password ?? ''}`).toString('base64')}` : undefined
  return {
    server: String(cluster.server).replace(/\/+$/, ''), context: String(ctxName), source: file,
    tls: {
      ca: data(cluster['certificate-authority-data'], cluster['certificate-authority']),
      cert: data(user['client-certificate-data'], user['client-certificate']),
      key: data(user['client-key-data'], user['client-key']),
      rejectUnauthorized: cluster['insecure-skip-tls-verify'] !== true, servername: cluster['tls-server-name'],
    },
    auth: () => (token ? `Bearer ${token}` : basic),
  }
}

/** The URL path of a collection or object, from the kind's plural (no discovery round trip). */
export function resourcePath(ref: KindRef, namespace?: string, name?: string, sub?: string): string {
  const i = ref.apiVersion.indexOf('/')
  const base = i < 0 ? `/api/${ref.apiVersion}` : `/apis/${ref.apiVersion}`
  const plural = ref.plural ?? `${ref.kind.toLowerCase()}s`
  const e = encodeURIComponent
  return `${base}${namespace ? `/namespaces/${e(namespace)}` : ''}/${plural}${name ? `/${e(name)}` : ''}${sub ? `/${sub}` : ''}`
}

class HttpError extends Error {
  constructor(readonly statusCode: number, readonly body: unknown, readonly headers: Record<string, string>) {
    super(`HTTP ${statusCode}`)
  }
}

export interface RestOptions {
  attempts?: number
  timeoutMs?: number
  fieldManager?: string
}

type Query = Record<string, string | number | boolean | undefined>

export class RestKube {
  private readonly agent: http.Agent
  private readonly url: URL
  private readonly opts: Required<RestOptions>

  constructor(readonly target: RestTarget, opts: RestOptions = {}, agent?: http.Agent) {
    this.url = new URL(target.server)
    this.opts = {attempts: 4, timeoutMs: 30_000, fieldManager: 'lbctl', ...opts}
    const secure = this.url.protocol === 'https:'
    this.agent = agent ?? (secure ? new https.Agent({keepAlive: true, ...target.tls}) : new http.Agent({keepAlive: true}))
  }

  get server(): string {
    return this.target.server
  }

  get context(): string {
    return this.target.context
  }

  /** The same connection with other retry/timeout settings (the lease renews with one short attempt). */
  withOptions(o: RestOptions): RestKube {
    return new RestKube(this.target, {...this.opts, ...o}, this.agent)
  }

  async get<T extends KubernetesObject>(ref: KindRef, name: string, namespace?: string): Promise<T | undefined> {
    try {
      return await this.call<T>({verb: 'get', ref, namespace, name}, 'GET', resourcePath(ref, namespace, name))
    } catch (err) {
      if ((err as {code?: string}).code === 'NOT_FOUND') return undefined
      throw err
    }
  }

  async list<T extends KubernetesObject>(ref: KindRef, o: {namespace?: string; labelSelector?: string; fieldSelector?: string} = {}): Promise<ListResult<T>> {
    const res = await this.call<{items?: T[]; metadata?: {resourceVersion?: string}}>({verb: 'list', ref, namespace: o.namespace}, 'GET',
      resourcePath(ref, o.namespace), {query: {labelSelector: o.labelSelector, fieldSelector: o.fieldSelector}})
    return {items: (res.items ?? []).map((i) => ({apiVersion: ref.apiVersion, kind: ref.kind, ...i})), resourceVersion: res.metadata?.resourceVersion ?? ''}
  }

  create<T extends KubernetesObject>(obj: T): Promise<T> {
    const m = obj.metadata ?? {}
    // kind + "s" is wrong for some kinds (ServiceL2Status → servicel2statuses): use the known plural where there is one.
    const known = Object.values(Kinds).find((k) => k.kind === obj.kind && k.apiVersion === obj.apiVersion)
    const ref = {apiVersion: obj.apiVersion, kind: obj.kind, plural: known?.plural} as KindRef
    return this.call<T>({verb: 'create', ref, namespace: m.namespace, name: m.name}, 'POST', resourcePath(ref, m.namespace), {body: obj})
  }

  replace<T extends KubernetesObject>(obj: T): Promise<T> {
    const m = obj.metadata ?? {}
    return this.call<T>({verb: 'update', ref: obj as KindRef, namespace: m.namespace, name: m.name}, 'PUT', resourcePath(obj as KindRef, m.namespace, m.name), {body: obj})
  }

  mergePatch<T extends KubernetesObject>(ref: KindRef, name: string, namespace: string | undefined, patch: unknown, o: {subresource?: 'status'} = {}): Promise<T> {
    return this.call<T>({verb: 'patch', ref, namespace, name, sub: o.subresource}, 'PATCH', resourcePath(ref, namespace, name, o.subresource),
      {body: patch, contentType: 'application/merge-patch+json'})
  }

  async delete(ref: KindRef, name: string, namespace?: string): Promise<boolean> {
    try {
      await this.call({verb: 'delete', ref, namespace, name}, 'DELETE', resourcePath(ref, namespace, name))
      return true
    } catch (err) {
      if ((err as {code?: string}).code === 'NOT_FOUND' || isNotFound((err as {cause?: unknown}).cause)) return false
      throw err
    }
  }

  /** As Kube.watch: events in order, `done` once when the stream ends (a 410 Gone arrives as an error with code 410). */
  async watch<T extends KubernetesObject>(ref: KindRef, o: {namespace?: string; resourceVersion?: string; labelSelector?: string; timeoutSeconds?: number; bookmarks?: boolean},
    onEvent: (type: WatchEventType, obj: T) => void, done: (err?: unknown) => void): Promise<() => void> {
    let finished = false
    const finish = (err?: unknown): void => {
      if (finished) return
      finished = true
      done(err)
    }
    const query: Query = {watch: true, resourceVersion: o.resourceVersion, labelSelector: o.labelSelector, timeoutSeconds: o.timeoutSeconds, allowWatchBookmarks: o.bookmarks ?? true}
    const req = this.send('GET', resourcePath(ref, o.namespace), {query}, (res) => {
      if (res.statusCode !== 200) {
        // The informer watches again after this; let that attempt carry a rotated token.
        if (res.statusCode === 401) this.target.refresh?.()
        collect(res).then((text) => finish(new HttpError(res.statusCode ?? 0, parseJson(text), res.headers as Record<string, string>)), finish)
        return
      }
      let buf = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => {
        buf += chunk
        for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
          const line = buf.slice(0, i)
          buf = buf.slice(i + 1)
          const ev = parseJson(line) as {type?: WatchEventType; object?: any} | undefined
          if (!ev?.type) continue
          if (ev.type === 'ERROR') finish(Object.assign(new Error(ev.object?.message ?? 'watch error'), {code: ev.object?.code, body: ev.object}))
          else if (!finished) onEvent(ev.type, ev.object as T)
        }
      })
      res.on('end', () => finish())
      res.on('error', finish)
      res.on('close', () => finish())
    })
    req.on('error', finish)
    req.end()
    return () => {
      finished = true
      req.destroy()
    }
  }

  private async call<T>(c: {verb: RequestContext['verb']; ref: KindRef; namespace?: string; name?: string; sub?: string}, method: string, path: string, o: {query?: Query; body?: unknown; contentType?: string} = {}): Promise<T> {
    const group = c.ref.apiVersion.includes('/') ? c.ref.apiVersion.split('/')[0] : ''
    const plural = c.ref.plural ?? `${c.ref.kind.toLowerCase()}s`
    const ctx: RequestContext = {verb: c.verb, resource: `${group ? `${plural}.${group}` : plural}${c.sub ? `/${c.sub}` : ''}`, namespace: c.namespace, name: c.name, server: this.server, context: this.context}
    if (method !== 'GET' && method !== 'DELETE') o = {...o, query: {...o.query, fieldManager: this.opts.fieldManager}}
    try {
      return await withRetry(() => this.once<T>(method, path, o), {attempts: this.opts.attempts, baseMs: 200, maxMs: 5_000, retryable: isRetryable})
    } catch (err) {
      throw toKubeError(err, ctx)
    }
  }

  /**
   * One request; after a 401, once more if the credentials are no longer the ones it carried (a rotated token). The
   * comparison is with what this request sent, not with the last read: a concurrent request may already have picked
   * up the new token, and then refresh() finds nothing new although this request went out with the old one.
   */
  private async once<T>(method: string, path: string, o: {query?: Query; body?: unknown; contentType?: string}): Promise<T> {
    const sent = this.target.auth()
    try {
      return await this.request<T>(method, path, o)
    } catch (err) {
      if (!(err instanceof HttpError && err.statusCode === 401)) throw err
      const changed = this.target.refresh?.() ?? false
      if (!changed && this.target.auth() === sent) throw err
      return this.request<T>(method, path, o)
    }
  }

  private request<T>(method: string, path: string, o: {query?: Query; body?: unknown; contentType?: string}): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const req = this.send(method, path, o, (res) => {
        collect(res).then((text) => {
          const code = res.statusCode ?? 0
          if (code >= 200 && code < 300) resolve((text ? JSON.parse(text) : {}) as T)
          else reject(new HttpError(code, parseJson(text) ?? text, res.headers as Record<string, string>))
        }, reject)
      })
      req.setTimeout(this.opts.timeoutMs, () => req.destroy(Object.assign(new Error(`no answer within ${this.opts.timeoutMs} ms`), {name: 'KubeTimeout'})))
      req.on('error', reject)
      req.end(o.body === undefined ? undefined : JSON.stringify(o.body))
    })
  }

  private send(method: string, path: string, o: {query?: Query; body?: unknown; contentType?: string}, onResponse: (res: http.IncomingMessage) => void): http.ClientRequest {
    const qs = Object.entries(o.query ?? {}).filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`).join('&')
    const headers: Record<string, string> = {accept: 'application/json'}
    const auth = this.target.auth()
    if (auth) headers.authorization = auth
    if (o.body !== undefined) headers['content-type'] = o.contentType ?? 'application/json'
    const lib = this.url.protocol === 'https:' ? https : http
    return lib.request({
      host: this.url.hostname.replace(/^\[|\]$/g, ''), port: this.url.port || (this.url.protocol === 'https:' ? 443 : 80),
      path: `${this.url.pathname.replace(/\/$/, '')}${path}${qs ? `?${qs}` : ''}`, method, headers, agent: this.agent,
    }, onResponse)
  }
}

function collect(res: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    res.on('data', (c: Buffer) => chunks.push(c))
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    res.on('error', reject)
  })
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}
