/**
 * What clusters' APIs show, per distribution. Shapes follow what each one writes:
 * - kubeadm: the ConfigMap and DaemonSet templates of cmd/kubeadm/app/phases/addons/proxy/manifests.go; config.conf is
 *   kubeadm's marshalled KubeProxyConfiguration defaults (v1.31: every field, sorted, empty mode, strictARP false,
 *   no comments — kubeadm writes none), and kubeadm's component-config hash annotation.
 * - k3s / RKE2: node annotations <dist>.io/node-args (a JSON array: command line and config.yaml merged, token
 *   redacted), <dist>.io/hostname, internal-ip, node-config-hash, node-env; kubelet versions v1.x.y+k3s1 / +rke2r1.
 * - MicroK8s: labels microk8s.io/cluster=true and node.kubernetes.io/microk8s-controlplane|worker.
 * - Charmed Kubernetes: labels juju-application and juju-charm, set by the charms, and juju.io/cloud on clouds.
 * - Cilium without kube-proxy: kubeadm init --skip-phases=addon/kube-proxy, cilium-config kube-proxy-replacement.
 */
import type {ClusterObservation, ConfigMapLike, DaemonSetLike, NodeLike} from '../../../src/lib/cluster/types.js'

export const KUBEADM_CONFIG_CONF = `apiVersion: kubeproxy.config.k8s.io/v1alpha1
bindAddress: 0.0.0.0
bindAddressHardFail: false
clientConnection:
  acceptContentTypes: ""
  burst: 0
  contentType: ""
  kubeconfig: /var/lib/kube-proxy/kubeconfig.conf
  qps: 0
clusterCIDR: 10.244.0.0/16
configSyncPeriod: 0s
conntrack:
  maxPerCore: null
  min: null
  tcpBeLiberal: false
  tcpCloseWaitTimeout: null
  tcpEstablishedTimeout: null
  udpStreamTimeout: 0s
  udpTimeout: 0s
detectLocal:
  bridgeInterface: ""
  interfaceNamePrefix: ""
detectLocalMode: ""
enableProfiling: false
healthzBindAddress: ""
hostnameOverride: ""
iptables:
  localhostNodePorts: null
  masqueradeAll: false
  masqueradeBit: null
  minSyncPeriod: 0s
  syncPeriod: 0s
ipvs:
  excludeCIDRs: null
  minSyncPeriod: 0s
  scheduler: ""
  strictARP: false
  syncPeriod: 0s
  tcpFinTimeout: 0s
  tcpTimeout: 0s
  udpTimeout: 0s
kind: KubeProxyConfiguration
logging:
  flushFrequency: 0
  options:
    json:
      infoBufferSize: "0"
    text:
      infoBufferSize: "0"
  verbosity: 0
metricsBindAddress: ""
mode: ""
nftables:
  masqueradeAll: false
  masqueradeBit: null
  minSyncPeriod: 0s
  syncPeriod: 0s
nodePortAddresses: null
oomScoreAdj: null
portRange: ""
showHiddenMetricsForVersion: ""
winkernel:
  enableDSR: false
  forwardHealthCheckVip: false
  networkName: ""
  rootHnsEndpointName: ""
  sourceVip: ""`

/** The same after an administrator's `kubectl edit`: comments, a list written Go-style, and a real mode. */
export const EDITED_CONFIG_CONF = KUBEADM_CONFIG_CONF
  .replace('clusterCIDR: 10.244.0.0/16', '# pod network of the flannel install, do not change\nclusterCIDR: 10.244.0.0/16')
  .replace('  strictARP: false', '  strictARP: false # MetalLB docs say true')
  .replace('mode: ""', 'mode: "iptables"  # set during the 2023 upgrade')
  .replace('nodePortAddresses: null', 'nodePortAddresses:\n- 10.0.0.0/8\n- 192.168.0.0/16')

export const KUBEADM_KUBECONFIG_CONF = `apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority: /var/run/secrets/kubernetes.io/serviceaccount/ca.crt
    server: https://192.168.56.10:6443
  name: default
contexts:
- context:
    cluster: default
    namespace: default
    user: default
  name: default
current-context: default
users:
- name: default
  user:
    tokenFile: /var/run/secrets/kubernetes.io/serviceaccount/token`

export function kubeProxyConfigMap(configConf = KUBEADM_CONFIG_CONF): ConfigMapLike {
  return {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: {
      name: 'kube-proxy', namespace: 'kube-system', labels: {app: 'kube-proxy'},
      annotations: {'kubeadm.kubernetes.io/component-config.hash': 'sha256:0170d1ad858aa448a39af17f6b908e5183fce93e7fe2bcb2a48ec149be7de37e'},
    },
    data: {'config.conf': configConf, 'kubeconfig.conf': KUBEADM_KUBECONFIG_CONF},
  }
}

export function kubeProxyDaemonSet(): DaemonSetLike & Record<string, any> {
  return {
    apiVersion: 'apps/v1', kind: 'DaemonSet',
    metadata: {name: 'kube-proxy', namespace: 'kube-system', labels: {'k8s-app': 'kube-proxy'}} as any,
    spec: {
      selector: {matchLabels: {'k8s-app': 'kube-proxy'}},
      updateStrategy: {type: 'RollingUpdate'},
      template: {
        metadata: {labels: {'k8s-app': 'kube-proxy'}},
        spec: {
          priorityClassName: 'system-node-critical',
          containers: [{
            name: 'kube-proxy', image: 'registry.k8s.io/kube-proxy:v1.31.0', imagePullPolicy: 'IfNotPresent',
            command: ['/usr/local/bin/kube-proxy', '--config=/var/lib/kube-proxy/config.conf', '--hostname-override=$(NODE_NAME)'],
            securityContext: {privileged: true},
            volumeMounts: [{mountPath: '/var/lib/kube-proxy', name: 'kube-proxy'}, {mountPath: '/run/xtables.lock', name: 'xtables-lock', readOnly: false}, {mountPath: '/lib/modules', name: 'lib-modules', readOnly: true}],
            env: [{name: 'NODE_NAME', valueFrom: {fieldRef: {fieldPath: 'spec.nodeName'}}}],
          }],
          hostNetwork: true,
          serviceAccountName: 'kube-proxy',
          volumes: [
            {name: 'kube-proxy', configMap: {name: 'kube-proxy'}},
            {name: 'xtables-lock', hostPath: {path: '/run/xtables.lock', type: 'FileOrCreate'}},
            {name: 'lib-modules', hostPath: {path: '/lib/modules'}},
          ],
          tolerations: [{operator: 'Exists'}],
          nodeSelector: {'kubernetes.io/os': 'linux'},
        },
      },
    } as any,
  }
}

const baseLabels = (name: string) => ({'beta.kubernetes.io/arch': 'amd64', 'beta.kubernetes.io/os': 'linux', 'kubernetes.io/arch': 'amd64', 'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux'})
const node = (name: string, labels: Record<string, string>, annotations: Record<string, string>, kubeletVersion: string): NodeLike & {apiVersion: string; kind: string} => ({
  apiVersion: 'v1', kind: 'Node',
  metadata: {name, labels: {...baseLabels(name), ...labels}, annotations: {'node.alpha.kubernetes.io/ttl': '0', 'volumes.kubernetes.io/controller-managed-attach-detach': 'true', ...annotations}},
  status: {nodeInfo: {kubeletVersion, kubeProxyVersion: kubeletVersion, osImage: 'Ubuntu 22.04.4 LTS'}},
})

export const kubeadmNodes = () => [
  node('cp-1', {'node-role.kubernetes.io/control-plane': '', 'node.kubernetes.io/exclude-from-external-load-balancers': ''}, {'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock'}, 'v1.31.0'),
  node('worker-1', {}, {'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock'}, 'v1.31.0'),
  node('worker-2', {}, {'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock'}, 'v1.31.0'),
]

const rancher = (dist: 'k3s' | 'rke2', name: string, ip: string, args: string[], server: boolean) =>
  node(name,
    {'node.kubernetes.io/instance-type': dist, ...(dist === 'k3s' ? {'beta.kubernetes.io/instance-type': 'k3s'} : {}), ...(server ? {'node-role.kubernetes.io/control-plane': 'true', 'node-role.kubernetes.io/master': 'true', 'node-role.kubernetes.io/etcd': 'true'} : {})},
    {
      [`${dist}.io/hostname`]: name, [`${dist}.io/internal-ip`]: ip, [`${dist}.io/node-args`]: JSON.stringify(args),
      [`${dist}.io/node-config-hash`]: 'MLFMUCBMRVINLJJKSG32TOUFWB4CN55GMSNY25AZPESQXZCYRN2A====', [`${dist}.io/node-env`]: '{}',
      ...(dist === 'k3s' ? {'flannel.alpha.coreos.com/backend-type': 'vxlan', 'flannel.alpha.coreos.com/kube-subnet-manager': 'true', 'flannel.alpha.coreos.com/public-ip': ip} : {}),
    },
    dist === 'k3s' ? 'v1.28.5+k3s1' : 'v1.28.5+rke2r1')

export const k3sNodes = (serverArgs: string[] = ['server', '--cluster-init', '--tls-san', 'k3s.example.lan'], agentArgs: string[] = ['agent', '--server', 'https://198.18.0.10:6443', '--token', '********']) => [
  rancher('k3s', 'k3s-server-1', '198.18.0.10', serverArgs, true),
  rancher('k3s', 'k3s-agent-1', '198.18.0.11', agentArgs, false),
  rancher('k3s', 'k3s-agent-2', '198.18.0.12', agentArgs, false),
]

export const rke2Nodes = (serverArgs: string[] = ['server', '--cni', 'canal', '--kube-proxy-arg', 'metrics-bind-address=0.0.0.0'], agentArgs: string[] = ['agent', '--server', 'https://198.18.0.20:9345', '--token', '********']) => [
  rancher('rke2', 'rke2-server-1', '198.18.0.20', serverArgs, true),
  rancher('rke2', 'rke2-agent-1', '198.18.0.21', agentArgs, false),
]

export const microk8sNodes = () => [
  node('mk8s-1', {'microk8s.io/cluster': 'true', 'node.kubernetes.io/microk8s-controlplane': 'microk8s-controlplane'}, {}, 'v1.32.3'),
  node('mk8s-2', {'microk8s.io/cluster': 'true', 'node.kubernetes.io/microk8s-worker': 'microk8s-worker'}, {}, 'v1.32.3'),
]

export const charmedNodes = () => [
  node('juju-8a3f1e-0', {'juju-application': 'kubernetes-control-plane', 'juju-charm': 'kubernetes-control-plane', 'juju.io/cloud': 'openstack', 'node-role.kubernetes.io/control-plane': ''}, {}, 'v1.29.4'),
  node('juju-8a3f1e-1', {'juju-application': 'kubernetes-worker', 'juju-charm': 'kubernetes-worker', 'juju.io/cloud': 'openstack'}, {}, 'v1.29.4'),
  node('juju-8a3f1e-2', {'juju-application': 'kubernetes-worker', 'juju-charm': 'kubernetes-worker', 'juju.io/cloud': 'openstack'}, {}, 'v1.29.4'),
]

export const kubeadmConfigCM = (): ConfigMapLike => ({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'kubeadm-config', namespace: 'kube-system'}, data: {ClusterConfiguration: 'apiVersion: kubeadm.k8s.io/v1beta4\nkind: ClusterConfiguration\nkubernetesVersion: v1.31.0\n'}})
export const ciliumConfigCM = (kpr = 'true'): ConfigMapLike => ({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'cilium-config', namespace: 'kube-system'}, data: {'kube-proxy-replacement': kpr, 'tunnel-protocol': 'vxlan', 'ipam': 'kubernetes'}})

export const kubeadmCluster = (configConf?: string): ClusterObservation => ({
  nodes: kubeadmNodes(), kubeProxyDaemonSet: kubeProxyDaemonSet(), kubeProxyConfigMap: kubeProxyConfigMap(configConf), kubeadmConfig: kubeadmConfigCM(),
})
