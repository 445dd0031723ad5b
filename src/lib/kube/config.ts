import {existsSync, readFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {delimiter, join} from 'node:path'
import {KubeConfig} from '@kubernetes/client-node'
import {badInput, unreachable} from '../errors.js'
import {inClusterServer, SERVICE_ACCOUNT_DIR} from './rest.js'

import type {KubeTarget} from './connect.js'

export type {KubeTarget}

export interface LoadedConfig {
  kc: KubeConfig
  context: string
  server: string
  /** Where the configuration came from, for messages. */
  source: string
}

/** Paths of the kubeconfig lbctl would read, in kubectl's order: --kubeconfig, $KUBECONFIG, ~/.kube/config. */
export function kubeconfigPaths(target: KubeTarget, env = process.env): string[] {
  if (target.kubeconfig) return [target.kubeconfig]
  if (env.KUBECONFIG) return env.KUBECONFIG.split(delimiter).filter(Boolean)
  return [join(env.HOME ?? homedir(), '.kube', 'config')]
}

/** True when a kubeconfig exists where kubectl would look (used by the demo to decide where to run). */
export function hasKubeconfig(target: KubeTarget = {}, env = process.env): boolean {
  return kubeconfigPaths(target, env).some((p) => existsSync(p))
}

/**
 * Whether the pod's service account can be used, as client-go decides (rest.InClusterConfig): both service variables
 * set and the token mounted. `root` prefixes the mount path (tests).
 */
export function inClusterPossible(env = process.env, root = ''): boolean {
  return Boolean(env.KUBERNETES_SERVICE_HOST && env.KUBERNETES_SERVICE_PORT && existsSync(`${root}${SERVICE_ACCOUNT_TOKEN}`))
}

const SERVICE_ACCOUNT_TOKEN = `${SERVICE_ACCOUNT_DIR}/token`

/**
 * client-node's loadFromCluster, reading `env` instead of process.env. The token goes through client-node's tokenFile
 * provider, which re-reads the file every minute, as client-go does (the kubelet rotates it).
 */
function loadInCluster(kc: KubeConfig, env: NodeJS.ProcessEnv, root: string): void {
  const sa = `${root}${SERVICE_ACCOUNT_DIR}`
  const nsFile = `${sa}/namespace`
  kc.loadFromOptions({
    clusters: [{name: 'in-cluster', server: inClusterServer(env), caFile: `${sa}/ca.crt`, skipTLSVerify: false}],
    users: [{name: 'in-cluster', authProvider: {name: 'tokenFile', config: {tokenFile: `${sa}/token`}}}],
    contexts: [{name: 'in-cluster', cluster: 'in-cluster', user: 'in-cluster', namespace: existsSync(nsFile) ? readFileSync(nsFile, 'utf8').trim() : undefined}],
    currentContext: 'in-cluster',
  })
}

/**
 * Load a kubeconfig like kubectl does: --kubeconfig, $KUBECONFIG, ~/.kube/config, and, when none of them exists, the
 * pod's service account (so `lbctl` works in a pod as kubectl does). Daemons (`inCluster`) prefer the service account
 * to $KUBECONFIG. `root` prefixes the service account's mount path (tests). Errors say what to fix.
 */
export function loadKubeConfig(target: KubeTarget, env = process.env, root = ''): LoadedConfig {
  const kc = new KubeConfig()
  let source: string
  if (target.kubeconfig) {
    if (!existsSync(target.kubeconfig)) {
      throw badInput('KUBECONFIG_NOT_FOUND', `kubeconfig ${target.kubeconfig} does not exist`, 'Give the path of an existing kubeconfig.')
    }
    kc.loadFromFile(target.kubeconfig)
    source = target.kubeconfig
  } else if (target.inCluster && env.KUBERNETES_SERVICE_HOST) {
    loadInCluster(kc, env, root)
    source = 'in-cluster service account'
  } else if (kubeconfigPaths(target, env).every((p) => !existsSync(p)) && inClusterPossible(env, root)) {
    loadInCluster(kc, env, root)
    source = 'in-cluster service account'
  } else {
    const paths = kubeconfigPaths(target, env).filter((p) => existsSync(p))
    if (paths.length === 0) {
      throw unreachable(
        'NO_KUBECONFIG',
        `no cluster is configured: none of ${kubeconfigPaths(target, env).join(', ')} exists`,
        'Set KUBECONFIG to a kubeconfig (try it without a cluster: `npm run harness -- --kubeconfig /tmp/kc --crds`).',
      )
    }
    try {
      loadMerged(kc, paths)
    } catch (err) {
      throw badInput('KUBECONFIG_INVALID', `cannot read kubeconfig: ${(err as Error).message}`, 'Fix the file, or use another kubeconfig.')
    }
    source = paths.join(delimiter)
  }
  if (target.context) {
    const names = kc.getContexts().map((c) => c.name)
    if (!names.includes(target.context)) {
      throw badInput('CONTEXT_NOT_FOUND', `context "${target.context}" is not in ${source}`, `Use one of: ${names.join(', ') || '(none)'}.`)
    }
    kc.setCurrentContext(target.context)
  }
  const cluster = kc.getCurrentCluster()
  if (!cluster) {
    throw badInput('NO_CURRENT_CONTEXT', `${source} has no current context with a cluster`, 'Choose a context: `kubectl config use-context NAME`.')
  }
  return {kc, context: kc.getCurrentContext(), server: cluster.server, source}
}

/**
 * Merge kubeconfig files as kubectl does (clientcmd): files that do not exist are skipped; for clusters, users and
 * contexts the first file that names one wins, as does the first current-context set. (client-node's loadFromDefault
 * fails on a missing file, naming the wrong one, and on names that occur in two files.)
 */
function loadMerged(kc: KubeConfig, paths: string[]): void {
  const clusters = new Map<string, KubeConfig['clusters'][number]>()
  const users = new Map<string, KubeConfig['users'][number]>()
  const contexts = new Map<string, KubeConfig['contexts'][number]>()
  let currentContext = ''
  for (const p of paths) {
    const one = new KubeConfig()
    try {
      one.loadFromFile(p)
    } catch (err) {
      throw new Error(`${p}: ${(err as Error).message}`)
    }
    for (const c of one.getClusters()) if (!clusters.has(c.name)) clusters.set(c.name, c)
    for (const u of one.getUsers()) if (!users.has(u.name)) users.set(u.name, u)
    for (const c of one.getContexts()) if (!contexts.has(c.name)) contexts.set(c.name, c)
    if (!currentContext && one.getCurrentContext()) currentContext = one.getCurrentContext()
  }
  kc.loadFromOptions({clusters: [...clusters.values()], users: [...users.values()], contexts: [...contexts.values()], currentContext})
}
