/**
 * An in-process Kubernetes API server for tests: real HTTP, real kubeconfig, the semantics lbctl depends on.
 * See design/TESTING.md §1.
 */
import {mkdir, writeFile} from 'node:fs/promises'
import type {AddressInfo, Server, Socket} from 'node:net'
import {dirname} from 'node:path'
import {stringify} from 'yaml'
import {Api} from './api.js'
import {ApiError} from './errors.js'
import {FaultInjector, type Faults} from './faults.js'
import {grKey, Registry} from './registry.js'
import {createServer, type Authentication, type RequestRecord} from './server.js'
import {clone, Store} from './store.js'
import {PodLogs} from './logs.js'
import {TokenAuthority, type IssuedToken} from './tokens.js'
import {Watches} from './watch.js'
import {Workloads, type PodRegistration} from './workloads.js'

export type {Faults, FaultMatch} from './faults.js'
export type {RequestRecord} from './server.js'
export type {PodRegistration} from './workloads.js'
export type {IssuedToken, UserInfo} from './tokens.js'

export interface ApiServerOptions {
  host?: string
  port?: number
  /** CustomResourceDefinitions created (and validated) at start. */
  crds?: object[]
  /** Events kept per group-resource for watches to resume from (default 1000); older versions get 410 Gone. */
  watchHistory?: number
  /**
   * Interval of BOOKMARK events on watches that allow them (default 60 000 ms, kube-apiserver's cacher
   * defaultBookmarkFrequency: a faster default made every idle daemon in a lab wake up for nothing).
   */
  bookmarkIntervalMs?: number
  /** Delay before Deployment/DaemonSet ready counts follow the spec (default 100 ms; negative: never). */
  workloadReadyDelayMs?: number
  /** Bearer token the kubeconfig carries; a request with another token gets 401 (default `lbctl-harness-token`). */
  token?: string
  /**
   * Bearer tokens accepted, and then required: a request without one of them gets 401 (an API server with
   * --anonymous-auth=false). The kubeconfig carries the first. Replaces `token`.
   */
  tokens?: string[]
  /**
   * Hold service-account tokens (those the harness issues) to the RBAC rules in the store (default true); false lets
   * them do everything. The kubeconfig's admin tokens are never restricted (system:masters).
   */
  rbac?: boolean
  /** Serve HTTPS with this key and certificate (PEM); `ca` (default: `cert`) goes into the kubeconfig. */
  tls?: {key: string | Buffer; cert: string | Buffer; ca?: string | Buffer}
}

export interface KubeconfigOptions {
  context?: string
  namespace?: string
}

export interface HarnessStore {
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): any
  /** Create or replace, bypassing validation and status rules; bumps the resourceVersion and emits watch events. */
  put(obj: any): any
  /** Remove now (finalizers or not), emitting DELETED. */
  delete(apiVersion: string, kind: string, namespace: string | undefined, name: string): void
  list(apiVersion: string, kind: string): any[]
  /** The current (global) resourceVersion. */
  readonly resourceVersion: string
}

export interface ApiServer {
  url: string
  writeKubeconfig(path: string, opts?: KubeconfigOptions): Promise<void>
  kubeconfigYaml(opts?: KubeconfigOptions): string
  faults: Faults
  store: HarnessStore
  /** Every request served, in order. */
  requests: RequestRecord[]
  /** Create or update a Running pod with an IP, for pods/proxy. */
  registerPod(namespace: string, name: string, reg: PodRegistration): any
  /** Append lines to the log `pods/log` serves for a pod's container (a string may hold several lines). */
  appendPodLog(namespace: string, pod: string, container: string, lines: string | string[]): void
  /** The container restarted: its log so far is what `previous=true` serves; a new one begins. */
  restartContainer(namespace: string, pod: string, container: string): void
  /** Number of watch streams open now. */
  readonly openWatches: number
  /** The tokens accepted from now on (connections stay open; the next request is checked against these). */
  acceptTokens(tokens: string[]): void
  /**
   * A token for a ServiceAccount that exists, as the TokenRequest API issues it (default lifetime 3600 s, at least
   * 600 s). It authenticates as `system:serviceaccount:NS:NAME` until it expires or the ServiceAccount is deleted.
   */
  issueToken(namespace: string, serviceAccount: string, opts?: {expirationSeconds?: number; audiences?: string[]}): IssuedToken
  /** Move the harness's clock on for token lifetimes (tokens expire, projected tokens rotate) without waiting. */
  advanceClock(ms: number): void
  /** The harness's clock for token lifetimes (wall clock plus every advanceClock). */
  now(): number
  /** Turn RBAC enforcement for service-account tokens on or off from now on. */
  enforceRbac(on: boolean): void
  /** PEM of the CA clients must trust (undefined over plain HTTP). */
  readonly ca?: string
  stop(): Promise<void>
  restart(): Promise<void>
}

const listen = (server: Server, port: number, host: string): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, host, () => {
      server.off('error', reject)
      resolve((server.address() as AddressInfo).port)
    })
  })

export async function startApiServer(opts: ApiServerOptions = {}): Promise<ApiServer> {
  const host = opts.host ?? '127.0.0.1'
  if (opts.tokens && opts.tokens.length === 0) throw new Error('startApiServer: tokens must name at least one token')
  const auth: Authentication = {tokens: opts.tokens ?? [opts.token ?? 'lbctl-harness-token'], required: opts.tokens !== undefined}
  const tls = opts.tls
  const ca = tls ? String(tls.ca ?? tls.cert) : undefined
  const store = new Store(opts.watchHistory ?? 1000)
  const registry = new Registry()
  const api = new Api(store, registry)
  const watches = new Watches(api, {bookmarkIntervalMs: opts.bookmarkIntervalMs ?? 60_000})
  const faults = new FaultInjector((abrupt) => watches.closeAll(abrupt))
  const workloads = new Workloads(api, opts.workloadReadyDelayMs ?? 100)
  const requests: RequestRecord[] = []
  const tokens = new TokenAuthority((ns, name) => store.get('serviceaccounts', ns, name)?.metadata?.uid)
  const rbac = {enforce: opts.rbac ?? true}
  const logs = new PodLogs(api)
  const system = {manager: 'kube-apiserver'}
  for (const name of ['default', 'kube-system', 'kube-public', 'kube-node-lease'])
    api.create(registry.byPath('', 'v1', 'namespaces')!, undefined, {metadata: {name}}, system)
  const crdType = registry.byPath('apiextensions.k8s.io', 'v1', 'customresourcedefinitions')!
  for (const crd of opts.crds ?? []) api.create(crdType, undefined, crd, system)

  let port = opts.port ?? 0
  const hostPort = () => `${host.includes(':') ? `[${host}]` : host}:${port}`
  let server: Server | undefined
  let sockets = new Set<Socket>()
  const start = async () => {
    const s = createServer({api, registry, watches, faults, workloads, requests, auth, tokens, logs, rbac, tls, hostPort})
    sockets = new Set()
    s.on('connection', (sock) => {
      sockets.add(sock)
      sock.on('close', () => sockets.delete(sock))
    })
    port = await listen(s, port, host)
    server = s
  }
  const stop = async () => {
    const s = server
    if (!s) return
    server = undefined
    watches.closeAll(true)
    const closed = new Promise<void>((resolve) => s.close(() => resolve()))
    for (const sock of sockets) sock.destroy()
    await closed
  }
  await start()

  const url = `${tls ? 'https' : 'http'}://${hostPort()}`
  const typeOf = (apiVersion: string, kind: string) => {
    const rt = registry.byKind(apiVersion, kind)
    if (!rt) throw new ApiError(404, 'NotFound', `no kind ${kind} is served in ${apiVersion}`)
    return rt
  }
  const kubeconfigYaml = (o: KubeconfigOptions = {}): string => {
    const ctx = o.context ?? 'lbctl-harness'
    return stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{
        name: ctx,
        // client-node refuses http:// servers unless insecure-skip-tls-verify is set; kubectl accepts either
        cluster: ca ? {server: url, 'certificate-authority-data': Buffer.from(ca).toString('base64')} : {server: url, 'insecure-skip-tls-verify': true},
      }],
      users: [{name: ctx, user: {token: auth.tokens[0]}}],
      contexts: [{name: ctx, context: {cluster: ctx, user: ctx, namespace: o.namespace ?? 'default'}}],
      'current-context': ctx,
      preferences: {},
    })
  }

  return {
    url,
    kubeconfigYaml,
    async writeKubeconfig(path, o) {
      await mkdir(dirname(path), {recursive: true})
      await writeFile(path, kubeconfigYaml(o), {mode: 0o600})
    },
    faults,
    requests,
    store: {
      get(apiVersion, kind, namespace, name) {
        const rt = typeOf(apiVersion, kind)
        const obj = store.get(grKey(rt), rt.namespaced ? namespace : undefined, name)
        return obj && api.output(rt, obj)
      },
      put: (obj) => api.put(obj),
      delete(apiVersion, kind, namespace, name) {
        api.forceDelete(typeOf(apiVersion, kind), namespace, name)
      },
      list(apiVersion, kind) {
        const rt = typeOf(apiVersion, kind)
        return store.list(grKey(rt)).map((o) => api.output(rt, clone(o)))
      },
      get resourceVersion() {
        return String(store.rv)
      },
    },
    registerPod: (ns, name, reg) => workloads.registerPod(ns, name, reg),
    appendPodLog: (ns, pod, container, lines) => logs.append(ns, pod, container, lines),
    restartContainer: (ns, pod, container) => logs.restart(ns, pod, container),
    get openWatches() {
      return watches.count
    },
    acceptTokens(list) {
      if (list.length === 0) throw new Error('acceptTokens: name at least one token')
      auth.tokens = [...list]
    },
    issueToken: (ns, sa, o) => tokens.issue(ns, sa, o),
    advanceClock: (ms) => tokens.advance(ms),
    now: () => tokens.now(),
    enforceRbac(on) {
      rbac.enforce = on
    },
    ca,
    async stop() {
      await stop()
    },
    async restart() {
      await stop()
      store.forgetHistory()
      await start()
    },
  }
}

export {projectServiceAccountToken, type ProjectedToken, type ProjectedTokenOptions} from './projected.js'
