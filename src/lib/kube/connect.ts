// Connecting a daemon to the API server: the lean REST transport when the kubeconfig allows it (token, client
// certificates, in-cluster); @kubernetes/client-node, loaded only then, for what needs it (exec plugins, auth
// providers, proxies, merged KUBECONFIG lists), since it alone costs ~110 MB of RSS.
import {type KubeApi, loadRestTarget, RestKube} from './rest.js'

export interface ConnectOptions {
  kubeconfig?: string
  context?: string
  /** Use the pod's service account when no kubeconfig is given (default true: daemons). */
  inCluster?: boolean
  attempts?: number
  timeoutMs?: number
}

/** The API seam for a daemon; `transport` says which client serves it (logged at start). */
export async function connectApi(o: ConnectOptions): Promise<{kube: KubeApi; transport: 'rest' | 'client-node'}> {
  const opts = {attempts: o.attempts ?? 4, timeoutMs: o.timeoutMs ?? 15_000}
  const target = {kubeconfig: o.kubeconfig, context: o.context, inCluster: (o.inCluster ?? true) && !o.kubeconfig}
  const rest = loadRestTarget(target)
  if (rest) return {kube: new RestKube(rest, opts), transport: 'rest'}
  const [{Kube}, {loadKubeConfig}] = await Promise.all([import('./client.js'), import('./config.js')])
  return {kube: new Kube(loadKubeConfig(target), opts), transport: 'client-node'}
}
