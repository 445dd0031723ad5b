// The one transport to the API server (KubeApi of api.ts), over node:http(s) with keep-alive. It reads kubeconfigs with
// a token or client certificates and the in-cluster service account itself, without loading @kubernetes/client-node
// (whose generated models alone take ~110 MB of RSS, and ~0.2 s to load); anything else (exec plugins, auth
// providers, proxies, merged KUBECONFIG lists) returns undefined from loadRestTarget, and connect.ts builds the target
// from client-node's kubeconfig handling instead (its `prepare` adds the credentials and the agent per request).
import {existsSync, readFileSync, statSync} from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import {homedir} from 'node:os'
import {delimiter, dirname, isAbsolute, join} from 'node:path'
import {parse} from 'yaml'
import {badInput} from '../errors.js'
import {type KindRef, type KubeApi, type KubernetesObject, type ListOptions, type ListResult, resourceName, resourcePath, type WatchEventType, type WatchOptions} from './api.js'
import {isNotFound, isRetryable, toKubeError, type RequestContext} from './errors.js'
import {withRetry} from './retry.js'

export {type KubeApi, resourcePath}

export interface RestTarget {
  server: string
  context: string
  source: string
  tls: {ca?: string | Buffer; cert?: string | Buffer; key?: string | Buffer; rejectUnauthorized: boolean; servername?: string}
  /** The Authorization header, read per request (in-cluster tokens rotate). */
  auth: () => string | undefined
  /** After a 401: read the credentials again; true when they changed, so one more attempt is worth making. */
  refresh?: () => boolean
  /** Per request, before it is sent: add credentials and the agent (kubeconfigs only client-node can read). */
  prepare?: (opts: https.RequestOptions) => Promise<void>
  /** The namespace of the kubeconfig context (what kubectl uses when none is given). */
  namespace?: string
  /** The command of the context's exec credential plugin, when it has one (its failures are named as such). */
  execCommand?: string
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
    server: String(cluster.server).replace(/\/+$/, ''), context: String(ctxName), source: file, namespace: typeof ctx.namespace === 'string' ? ctx.namespace : undefined,
    tls: {
      ca: data(cluster['certificate-authority-data'], cluster['certificate-authority']),
      cert: data(user['client-certificate-data'], user['client-certificate']),
      key: data(user['client-key-data'], user['client-key']),
      rejectUnauthorized: cluster['insecure-skip-tls-verify'] !== true, servername: cluster['tls-server-name'],
    },
    auth: () => (token ? `Bearer ${token}` : basic),
  }
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

export class RestKube implements KubeApi {
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

  async list<T extends KubernetesObject>(ref: KindRef, o: ListOptions = {}): Promise<ListResult<T>> {
    const res = await this.call<{items?: T[]; metadata?: {resourceVersion?: string}}>({verb: 'list', ref, namespace: o.namespace}, 'GET',
      resourcePath(ref, o.namespace), {query: {labelSelector: o.labelSelector, fieldSelector: o.fieldSelector}})
    return {items: (res.items ?? []).map((i) => ({apiVersion: ref.apiVersion, kind: ref.kind, ...i})), resourceVersion: res.metadata?.resourceVersion ?? ''}
  }

  create<T extends KubernetesObject>(obj: T): Promise<T> {
    const m = obj.metadata ?? {}
    return this.call<T>({verb: 'create', ref: obj as KindRef, namespace: m.namespace, name: m.name}, 'POST', resourcePath(obj as KindRef, m.namespace), {body: obj})
  }

  replace<T extends KubernetesObject>(obj: T): Promise<T> {
    const m = obj.metadata ?? {}
    return this.call<T>({verb: 'update', ref: obj as KindRef, namespace: m.namespace, name: m.name}, 'PUT', resourcePath(obj as KindRef, m.namespace, m.name), {body: obj})
  }

  replaceStatus<T extends KubernetesObject>(obj: T): Promise<T> {
    const m = obj.metadata ?? {}
    return this.call<T>({verb: 'update', ref: obj as KindRef, namespace: m.namespace, name: m.name, sub: 'status'}, 'PUT', resourcePath(obj as KindRef, m.namespace, m.name, 'status'), {body: obj})
  }

  mergePatch<T extends KubernetesObject>(ref: KindRef, name: string, namespace: string | undefined, patch: unknown, o: {subresource?: 'status'} = {}): Promise<T> {
    return this.call<T>({verb: 'patch', ref, namespace, name, sub: o.subresource}, 'PATCH', resourcePath(ref, namespace, name, o.subresource),
      {body: patch, contentType: 'application/merge-patch+json'})
  }

  jsonPatch<T extends KubernetesObject>(ref: KindRef, name: string, namespace: string | undefined, ops: unknown[], o: {subresource?: 'status'} = {}): Promise<T> {
    return this.call<T>({verb: 'patch', ref, namespace, name, sub: o.subresource}, 'PATCH', resourcePath(ref, namespace, name, o.subresource),
      {body: ops, contentType: 'application/json-patch+json'})
  }

  apply<T extends KubernetesObject>(obj: T, o: {force?: boolean; subresource?: 'status'} = {}): Promise<T> {
    const m = obj.metadata ?? {}
    // JSON is YAML: the body goes as written.
    return this.call<T>({verb: 'apply', ref: obj as KindRef, namespace: m.namespace, name: m.name, sub: o.subresource}, 'PATCH', resourcePath(obj as KindRef, m.namespace, m.name, o.subresource),
      {body: obj, contentType: 'application/apply-patch+yaml', query: {force: o.force ?? true}})
  }

  /** Discovery of one group version: is the kind's plural among its resources. */
  async serves(ref: KindRef): Promise<boolean> {
    const path = ref.apiVersion.includes('/') ? `/apis/${ref.apiVersion}` : `/api/${ref.apiVersion}`
    try {
      const res = await this.call<{resources?: Array<{name?: string; kind?: string}>}>({verb: 'get', ref}, 'GET', path)
      const plural = resourceName({...ref, apiVersion: 'v1'})
      return (res.resources ?? []).some((r) => r.name === plural || (!ref.plural && r.kind === ref.kind))
    } catch (err) {
      if ((err as {code?: string}).code === 'NOT_FOUND') return false
      throw err
    }
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
  async watch<T extends KubernetesObject>(ref: KindRef, o: WatchOptions,
    onEvent: (type: WatchEventType, obj: T) => void, done: (err?: unknown) => void): Promise<() => void> {
    let finished = false
    const finish = (err?: unknown): void => {
      if (finished) return
      finished = true
      done(err)
    }
    const query: Query = {watch: true, resourceVersion: o.resourceVersion, labelSelector: o.labelSelector, timeoutSeconds: o.timeoutSeconds, allowWatchBookmarks: o.bookmarks ?? true}
    const req = await this.send('GET', resourcePath(ref, o.namespace), {query}, (res) => {
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

  /** A pod's log (text), as `kubectl logs` reads it. */
  async podLog(namespace: string, name: string, opts: {container?: string; tailLines?: number; limitBytes?: number} = {}): Promise<string> {
    const path = `/api/v1/namespaces/${encodeURIComponent(namespace)}/pods/${encodeURIComponent(name)}/log`
    const ref = {apiVersion: 'v1', kind: 'Pod', plural: 'pods'}
    return this.call<string>({verb: 'get', ref, namespace, name, sub: 'log'}, 'GET', path, {query: {container: opts.container, tailLines: opts.tailLines, limitBytes: opts.limitBytes}, text: true})
  }

  /** The bearer token requests carry (a static token, a token file, what an exec plugin returns); undefined otherwise. */
  async bearerToken(): Promise<string | undefined> {
    const opts: https.RequestOptions = {headers: {}}
    if (this.target.prepare) await this.target.prepare(opts)
    const h = (opts.headers as Record<string, string | undefined>)?.Authorization ?? (opts.headers as Record<string, string | undefined>)?.authorization ?? this.target.auth()
    const m = typeof h === 'string' ? /^Bearer\s+(.+)$/i.exec(h) : null
    return m ? m[1] : undefined
  }

  private async call<T>(c: {verb: RequestContext['verb']; ref: KindRef; namespace?: string; name?: string; sub?: string}, method: string, path: string, o: {query?: Query; body?: unknown; contentType?: string; text?: boolean} = {}): Promise<T> {
    const ctx: RequestContext = {verb: c.verb, resource: `${resourceName(c.ref)}${c.sub ? `/${c.sub}` : ''}`, namespace: c.namespace, name: c.name, server: this.server, context: this.context, execCommand: this.target.execCommand}
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
  private async once<T>(method: string, path: string, o: {query?: Query; body?: unknown; contentType?: string; text?: boolean}): Promise<T> {
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

  private async request<T>(method: string, path: string, o: {query?: Query; body?: unknown; contentType?: string; text?: boolean}): Promise<T> {
    const req = await this.send(method, path, o)
    return new Promise<T>((resolve, reject) => {
      req.on('response', (res) => {
        collect(res).then((text) => {
          const code = res.statusCode ?? 0
          if (code >= 200 && code < 300) resolve((o.text ? text : text ? JSON.parse(text) : {}) as T)
          else reject(new HttpError(code, parseJson(text) ?? text, res.headers as Record<string, string>))
        }, reject)
      })
      req.setTimeout(this.opts.timeoutMs, () => req.destroy(Object.assign(new Error(`no answer within ${this.opts.timeoutMs} ms`), {name: 'KubeTimeout'})))
      req.on('error', reject)
      req.end(o.body === undefined ? undefined : JSON.stringify(o.body))
    })
  }

  private async send(method: string, path: string, o: {query?: Query; body?: unknown; contentType?: string}, onResponse?: (res: http.IncomingMessage) => void): Promise<http.ClientRequest> {
    const qs = Object.entries(o.query ?? {}).filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `${k}=${encodeURIComponent(String(v))}`).join('&')
    const headers: Record<string, string> = {accept: 'application/json'}
    const auth = this.target.auth()
    if (auth) headers.authorization = auth
    if (o.body !== undefined) headers['content-type'] = o.contentType ?? 'application/json'
    const secure = this.url.protocol === 'https:'
    const opts: https.RequestOptions = {
      host: this.url.hostname.replace(/^\[|\]$/g, ''), port: this.url.port || (secure ? 443 : 80),
      path: `${this.url.pathname.replace(/\/$/, '')}${path}${qs ? `?${qs}` : ''}`, method, headers, agent: this.agent,
    }
    if (this.target.prepare) await this.target.prepare(opts)
    const req = (secure ? https : http).request(opts)
    if (onResponse) req.on('response', onResponse)
    return req
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
