// Connecting to the API server. The kubeconfig (or the pod's service account) is read by rest.ts's loadRestTarget
// when it can (tokens, client certificates, in-cluster); for what only @kubernetes/client-node reads (exec plugins,
// auth providers, proxies, merged KUBECONFIG lists, a pod's account for the CLI), client-node is loaded then, and
// only to load the configuration and add credentials per request: every call still goes through RestKube.
import type {KubeApi} from './api.js'
import type {LoadedConfig} from './config.js'
import {loadRestTarget, RestKube, type RestOptions, type RestTarget} from './rest.js'

export interface KubeTarget {
  kubeconfig?: string
  context?: string
  /** Use the pod's service account when no kubeconfig is given (daemons). */
  inCluster?: boolean
}

export type Transport = 'rest' | 'client-node'

/** Where to send requests and how to authenticate them. Errors (LbctlError) say what to fix in the kubeconfig. */
export async function resolveTarget(t: KubeTarget): Promise<{target: RestTarget; transport: Transport}> {
  const rest = loadRestTarget(t)
  if (rest) return {target: rest, transport: 'rest'}
  const [{loadKubeConfig}, {reuseConnections}] = await Promise.all([import('./config.js'), import('./agent.js')])
  const loaded = loadKubeConfig(t)
  reuseConnections(loaded.kc)
  return {transport: 'client-node', target: targetFromKubeConfig(loaded)}
}

/** A configuration client-node loaded: its kubeconfig handling adds the credentials and the agent to each request. */
export function targetFromKubeConfig(loaded: LoadedConfig): RestTarget {
  return {
    server: loaded.server.replace(/\/+$/, ''), context: loaded.context, source: loaded.source, tls: {rejectUnauthorized: true},
    auth: () => undefined,
    prepare: (opts) => loaded.kc.applyToHTTPSOptions(opts),
    namespace: loaded.kc.getContextObject(loaded.context)?.namespace,
    execCommand: loaded.kc.getCurrentUser()?.exec?.command,
  }
}

export interface ConnectOptions extends KubeTarget, RestOptions {}

/** The API seam for a daemon (in-cluster unless a kubeconfig is given); `transport` says how it authenticates. */
export async function connectApi(o: ConnectOptions): Promise<{kube: KubeApi; transport: Transport}> {
  const {target, transport} = await resolveTarget({kubeconfig: o.kubeconfig, context: o.context, inCluster: (o.inCluster ?? true) && !o.kubeconfig})
  return {kube: new RestKube(target, {attempts: o.attempts ?? 4, timeoutMs: o.timeoutMs ?? 15_000, fieldManager: o.fieldManager}), transport}
}
