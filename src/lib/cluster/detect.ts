import {readDaemonSetFlags} from './daemonset-flags.js'
import {disablesKubeProxy, kubeProxyArgs, NODE_ARGS_ANNOTATION, nodeRoleFromArgs, parseNodeArgs, settingsFromProxyArgs} from './node-args.js'
import {effectiveMode, ProxyConfigError, readProxyConfig} from './proxy-config.js'
import type {ClusterObservation, DaemonSetLike, Detection, Distribution, NodeLike, NodeRole, ProxyRunsAs, ProxyState} from './types.js'

/** Charm names of Charmed Kubernetes' kube-proxy-running applications (kubernetes-master before 1.24). */
export const CHARMED_CHARMS = ['kubernetes-control-plane', 'kubernetes-worker', 'kubernetes-master'] as const
export const DEFAULT_JUJU_APPS = ['kubernetes-control-plane', 'kubernetes-worker']

const labels = (n: NodeLike): Record<string, string> => n.metadata.labels ?? {}
const annotations = (n: NodeLike): Record<string, string> => n.metadata.annotations ?? {}
const kubelet = (n: NodeLike): string => n.status?.nodeInfo?.kubeletVersion ?? ''
const isControlPlane = (n: NodeLike): boolean =>
  'node-role.kubernetes.io/control-plane' in labels(n) || 'node-role.kubernetes.io/master' in labels(n)

/**
 * Which distribution runs this cluster and how its kube-proxy is configured, from what the API shows: node labels,
 * annotations and versions, the kube-proxy DaemonSet and its ConfigMap. Pure: the caller reads, this decides.
 */
export function detectCluster(obs: ClusterObservation): Detection {
  const evidence: string[] = []
  const warnings: string[] = []
  const distribution = detectDistribution(obs, evidence)
  const nodes = obs.nodes.map((n) => nodeRole(n, distribution))
  const det: Detection = {distribution, evidence, kubeProxy: {runs: 'not-found', description: ''}, nodes, warnings}

  const kpr = ciliumReplacesKubeProxy(obs)
  if (obs.kubeProxyDaemonSet) {
    const ds = obs.kubeProxyDaemonSet
    const where = `DaemonSet ${ds.metadata.namespace ?? 'kube-system'}/${ds.metadata.name}`
    det.daemonSetRef = {namespace: ds.metadata.namespace ?? 'kube-system', name: ds.metadata.name}
    const flags = readDaemonSetFlags(ds)
    if (flags?.shell) {
      det.kubeProxy = {runs: 'daemonset', description: `${where}, started by a shell command line that lbctl does not edit`}
      det.current = {source: `the shell command of ${where}, container ${flags.container}`}
      warnings.push(`${where} starts kube-proxy through a shell (\`sh -c "kube-proxy …"\`), so lbctl can neither read nor change its flags`)
    } else if (flags && !flags.hasConfig) {
      det.kubeProxy = {runs: 'daemonset', description: `${where}, configured by command-line flags (no --config file)`}
      det.proxyFlags = {container: flags.container}
      det.current = {mode: flags.mode, effectiveMode: effectiveMode(flags.mode), strictARP: flags.strictARP, source: `command-line flags of ${where}, container ${flags.container}`}
    } else {
      det.kubeProxy = {runs: 'daemonset', description: `${where}, configured by a ConfigMap`}
      det.configRef = configRefOf(ds)
      readConfigMap(obs, det)
      if (flags?.written.length)
        warnings.push(`${where} passes ${flags.written.join(' ')} to kube-proxy, which ignores it because it reads --config: the ConfigMap decides; remove the flag so nobody is misled`)
    }
    if (kpr) warnings.push(`Cilium is configured to replace kube-proxy (kube-proxy-replacement=${kpr}), yet the kube-proxy DaemonSet still exists`)
    if (distribution === 'k3s' || distribution === 'rke2') warnings.push(`a kube-proxy DaemonSet runs on a ${distribution} cluster, next to ${distribution}'s own kube-proxy`)
  } else if (distribution === 'k3s' || distribution === 'rke2') {
    fromNodeArgs(obs, det, distribution)
  } else if (distribution === 'microk8s') {
    det.kubeProxy = {runs: 'kubelite', description: 'inside MicroK8s\' kubelite service on each node, with flags from /var/snap/microk8s/current/args/kube-proxy'}
    det.current = {source: 'the file /var/snap/microk8s/current/args/kube-proxy on each node (not visible through the API)'}
  } else if (distribution === 'charmed-kubernetes') {
    det.kubeProxy = {runs: 'snap', description: 'the kube-proxy snap on each machine, configured by the Juju option proxy-extra-config'}
    det.jujuApps = jujuApps(obs.nodes)
    det.current = {source: `juju config ${det.jujuApps.join(' / ')} proxy-extra-config`}
  } else if (kpr) {
    det.kubeProxy = {runs: 'none', description: `Cilium replaces kube-proxy (kube-system/cilium-config kube-proxy-replacement=${kpr})`, replacedBy: 'cilium'}
    evidence.push(`ConfigMap kube-system/cilium-config has kube-proxy-replacement=${kpr}`)
  } else {
    det.kubeProxy = {runs: 'not-found', description: 'no kube-proxy DaemonSet in kube-system, and no distribution lbctl knows runs it elsewhere'}
  }
  return det
}

function detectDistribution(obs: ClusterObservation, evidence: string[]): Distribution {
  const nodes = obs.nodes
  const byAnn = (key: string) => nodes.find((n) => key in annotations(n))
  const byVersion = (re: RegExp) => nodes.find((n) => re.test(kubelet(n)))
  const found = (d: Distribution, n: NodeLike | undefined, what: (n: NodeLike) => string): Distribution | undefined => {
    if (!n) return undefined
    evidence.push(`node ${n.metadata.name}: ${what(n)}`)
    return d
  }
  const version = (n: NodeLike) => `kubelet version ${kubelet(n)}`
  // RKE2 first: it is built on k3s, and its clues are the more specific ones.
  const d =
    found('rke2', byAnn(NODE_ARGS_ANNOTATION.rke2), () => `annotation ${NODE_ARGS_ANNOTATION.rke2}`) ??
    found('rke2', byVersion(/\+rke2/), version) ??
    found('k3s', byAnn(NODE_ARGS_ANNOTATION.k3s), () => `annotation ${NODE_ARGS_ANNOTATION.k3s}`) ??
    found('k3s', byVersion(/\+k3s/), version) ??
    found('microk8s', nodes.find((n) => 'microk8s.io/cluster' in labels(n)), () => 'label microk8s.io/cluster')
  if (d) return d
  const juju = nodes.find((n) => isCharmedNode(n))
  if (juju) {
    const l = labels(juju)
    evidence.push(`node ${juju.metadata.name}: label juju-application=${l['juju-application']}${l['juju-charm'] ? `, juju-charm=${l['juju-charm']}` : ''}`)
    return 'charmed-kubernetes'
  }
  if (obs.kubeadmConfig) {
    evidence.push('ConfigMap kube-system/kubeadm-config exists')
    return 'kubeadm'
  }
  if (obs.kubeProxyConfigMap?.metadata.annotations?.['kubeadm.kubernetes.io/component-config.hash']) {
    evidence.push(`ConfigMap kube-system/${obs.kubeProxyConfigMap.metadata.name} carries kubeadm's component-config hash`)
    return 'kubeadm'
  }
  const cri = nodes.find((n) => 'kubeadm.alpha.kubernetes.io/cri-socket' in annotations(n))
  if (cri) {
    evidence.push(`node ${cri.metadata.name}: annotation kubeadm.alpha.kubernetes.io/cri-socket`)
    return 'kubeadm'
  }
  return 'unknown'
}

/** Charmed Kubernetes' charms label their nodes juju-application (and, since the ops rewrite, juju-charm). */
function isCharmedNode(n: NodeLike): boolean {
  const l = labels(n)
  if (!l['juju-application']) return false
  const charm = l['juju-charm']
  // Older reactive charms set only juju-application; Canonical K8s (the k8s snap charms) is another product.
  return charm === undefined ? true : (CHARMED_CHARMS as readonly string[]).includes(charm)
}

function jujuApps(nodes: NodeLike[]): string[] {
  const apps = [...new Set(nodes.filter(isCharmedNode).map((n) => labels(n)['juju-application']))].sort()
  return apps.length ? apps : DEFAULT_JUJU_APPS
}

function nodeRole(n: NodeLike, distribution: Distribution): NodeRole {
  const key = distribution === 'k3s' || distribution === 'rke2' ? NODE_ARGS_ANNOTATION[distribution] : undefined
  const args = key ? parseNodeArgs(annotations(n)[key]) : undefined
  const fromArgs = args ? nodeRoleFromArgs(args) : undefined
  const role: NodeRole['role'] = key
    ? (fromArgs ?? (isControlPlane(n) ? 'server' : 'agent'))
    : isControlPlane(n) || 'node.kubernetes.io/microk8s-controlplane' in labels(n) || /control-plane|master/.test(labels(n)['juju-application'] ?? '')
      ? 'control-plane'
      : 'worker'
  return {name: n.metadata.name, role, kubeletVersion: kubelet(n) || undefined, ...(args ? {kubeProxyArgs: kubeProxyArgs(args)} : {})}
}

function ciliumReplacesKubeProxy(obs: ClusterObservation): string | undefined {
  const v = obs.ciliumConfig?.data?.['kube-proxy-replacement']
  // "true" since Cilium 1.14; "strict" before. "partial"/"probe" still need kube-proxy.
  return v === 'true' || v === 'strict' ? v : undefined
}

/** The ConfigMap and key behind the DaemonSet's --config flag (kubeadm: kube-proxy / config.conf). */
export function configRefOf(ds: DaemonSetLike): {namespace: string; name: string; key: string} {
  const namespace = ds.metadata.namespace ?? 'kube-system'
  const fallback = {namespace, name: 'kube-proxy', key: 'config.conf'}
  const spec = ds.spec?.template?.spec
  for (const c of spec?.containers ?? []) {
    const argv = [...(c.command ?? []), ...(c.args ?? [])]
    const i = argv.findIndex((a) => a === '--config' || a.startsWith('--config='))
    if (i === -1) continue
    const path = argv[i] === '--config' ? argv[i + 1] : argv[i].slice('--config='.length)
    if (!path) continue
    for (const m of c.volumeMounts ?? []) {
      const dir = m.mountPath.replace(/\/$/, '')
      const vol = spec?.volumes?.find((v) => v.name === m.name)
      if (!vol?.configMap) continue
      if (m.subPath && path === dir) return {namespace, name: vol.configMap.name, key: m.subPath}
      if (!m.subPath && path.startsWith(dir + '/')) return {namespace, name: vol.configMap.name, key: path.slice(dir.length + 1)}
    }
  }
  return fallback
}

function readConfigMap(obs: ClusterObservation, det: Detection): void {
  const ref = det.configRef!
  const where = `ConfigMap ${ref.namespace}/${ref.name}`
  const cm = obs.kubeProxyConfigMap
  if (!cm) {
    det.configProblem = {code: 'CONFIGMAP_MISSING', message: `${where} does not exist, yet the kube-proxy DaemonSet reads its configuration from it`}
    return
  }
  const text = cm.data?.[ref.key]
  if (text === undefined) {
    det.configProblem = {code: 'CONFIG_KEY_MISSING', message: `${where} has no key ${ref.key} (it has: ${Object.keys(cm.data ?? {}).join(', ') || 'nothing'})`}
    return
  }
  try {
    const {settings} = readProxyConfig(text)
    det.current = {mode: settings.mode, effectiveMode: settings.effectiveMode, strictARP: settings.strictARP, source: `${where}, key ${ref.key}`}
  } catch (err) {
    if (!(err instanceof ProxyConfigError)) throw err
    det.configProblem = {code: err.code, message: `${where} key ${ref.key} cannot be used: ${err.message}`}
  }
}

function fromNodeArgs(obs: ClusterObservation, det: Detection, dist: 'k3s' | 'rke2'): void {
  const key = NODE_ARGS_ANNOTATION[dist]
  const withArgs = obs.nodes.map((n) => ({n, args: parseNodeArgs(annotations(n)[key])}))
  const disabled = withArgs.filter((x) => x.args && disablesKubeProxy(x.args))
  if (disabled.length) {
    det.kubeProxy = {runs: 'none', description: `${dist} runs without kube-proxy (--disable-kube-proxy on ${disabled.map((x) => x.n.metadata.name).join(', ')})`, replacedBy: ciliumReplacesKubeProxy(obs) ? 'cilium' : 'the CNI'}
    return
  }
  const runs: ProxyRunsAs = dist === 'k3s' ? 'embedded' : 'static-pod'
  det.kubeProxy = {
    runs,
    description: dist === 'k3s' ? 'inside the k3s process on each node, with flags from --kube-proxy-arg' : 'as a static pod on each node, with flags from rke2\'s --kube-proxy-arg',
  }
  const perNode = withArgs.map(({n, args}) => ({node: n.metadata.name, ...settingsFromProxyArgs(args ? kubeProxyArgs(args) : [])}))
  const unknown = withArgs.filter((x) => !x.args).map((x) => x.n.metadata.name)
  if (unknown.length) det.warnings.push(`node${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')} show${unknown.length > 1 ? '' : 's'} no readable ${key} annotation; their kube-proxy flags are unknown`)
  const same = perNode.every((p) => p.mode === perNode[0]?.mode && p.strictARP === perNode[0]?.strictARP)
  const state: ProxyState = {source: `--kube-proxy-arg in each node's ${key} annotation`}
  if (perNode.length && same && !unknown.length) Object.assign(state, {mode: perNode[0].mode, effectiveMode: perNode[0].mode || 'iptables', strictARP: perNode[0].strictARP})
  else state.perNode = perNode.map((p) => ({node: p.node, mode: p.mode || 'iptables', strictARP: p.strictARP}))
  det.current = state
}
