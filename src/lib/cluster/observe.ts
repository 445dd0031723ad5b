import {Kinds} from '../api/constants.js'
import type {Kube} from '../kube/client.js'
import {DaemonSetKind} from '../kube/rollout.js'
import {configRefOf} from './detect.js'
import type {ClusterObservation, ConfigMapLike, DaemonSetLike, NodeLike} from './types.js'

export const KUBE_SYSTEM = 'kube-system'

/** Reads everything detection looks at. Clues that only add evidence may be forbidden; the kube-proxy objects may not. */
export async function observeCluster(kube: Kube, warnings: string[] = []): Promise<ClusterObservation> {
  const optional = async <T>(what: string, p: Promise<T>): Promise<T | undefined> => {
    try {
      return await p
    } catch (err) {
      if ((err as {code?: string}).code !== 'FORBIDDEN') throw err
      warnings.push(`lbctl may not read ${what} (forbidden), so distribution detection has less to go on`)
      return undefined
    }
  }
  const [nodes, ds, kubeadmConfig, ciliumConfig] = await Promise.all([
    optional('nodes', kube.list<NodeLike & {apiVersion?: string}>(Kinds.Node)),
    kube.get<DaemonSetLike>(DaemonSetKind, 'kube-proxy', KUBE_SYSTEM),
    optional('ConfigMap kube-system/kubeadm-config', kube.get<ConfigMapLike>(Kinds.ConfigMap, 'kubeadm-config', KUBE_SYSTEM)),
    optional('ConfigMap kube-system/cilium-config', kube.get<ConfigMapLike>(Kinds.ConfigMap, 'cilium-config', KUBE_SYSTEM)),
  ])
  const obs: ClusterObservation = {nodes: nodes?.items ?? [], kubeProxyDaemonSet: ds, kubeadmConfig, ciliumConfig}
  if (ds) {
    const ref = configRefOf(ds)
    obs.kubeProxyConfigMap = await kube.get<ConfigMapLike>(Kinds.ConfigMap, ref.name, ref.namespace)
  } else {
    // Without the DaemonSet the ConfigMap is only a clue (kubeadm leaves it behind when Cilium replaced kube-proxy).
    obs.kubeProxyConfigMap = await optional('ConfigMap kube-system/kube-proxy', kube.get<ConfigMapLike>(Kinds.ConfigMap, 'kube-proxy', KUBE_SYSTEM))
  }
  return obs
}

/** Re-read only the kube-proxy ConfigMap (after a conflict, and to verify). */
export async function readKubeProxyConfigMap(kube: Kube, ref: {namespace: string; name: string}): Promise<ConfigMapLike | undefined> {
  return kube.get<ConfigMapLike>(Kinds.ConfigMap, ref.name, ref.namespace)
}
