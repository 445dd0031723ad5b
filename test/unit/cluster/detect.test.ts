import {describe, expect, it} from 'vitest'
import {configRefOf, detectCluster} from '../../../src/lib/cluster/detect.js'
import {EDITED_CONFIG_CONF, charmedNodes, ciliumConfigCM, k3sNodes, kubeProxyConfigMap, kubeProxyDaemonSet, kubeadmCluster, kubeadmConfigCM, kubeadmNodes, microk8sNodes, rke2Nodes} from './fixtures.js'

describe('detectCluster, per distribution', () => {
  it('kubeadm: DaemonSet + ConfigMap, mode and strictARP read from config.conf', () => {
    const d = detectCluster(kubeadmCluster())
    expect(d.distribution).toBe('kubeadm')
    expect(d.evidence).toEqual(['ConfigMap kube-system/kubeadm-config exists'])
    expect(d.kubeProxy.runs).toBe('daemonset')
    expect(d.configRef).toEqual({namespace: 'kube-system', name: 'kube-proxy', key: 'config.conf'})
    expect(d.current).toEqual({mode: '', effectiveMode: 'iptables', strictARP: false, source: 'ConfigMap kube-system/kube-proxy, key config.conf'})
    expect(d.nodes.map((n) => [n.name, n.role])).toEqual([['cp-1', 'control-plane'], ['worker-1', 'worker'], ['worker-2', 'worker']])
    expect(d.configProblem).toBeUndefined()
  })

  it('kubeadm without the kubeadm-config ConfigMap (not allowed to read it): the component-config hash still says kubeadm', () => {
    const d = detectCluster({...kubeadmCluster(EDITED_CONFIG_CONF), kubeadmConfig: undefined})
    expect(d.distribution).toBe('kubeadm')
    expect(d.evidence[0]).toMatch(/component-config hash/)
    expect(d.current).toMatchObject({mode: 'iptables', effectiveMode: 'iptables', strictARP: false})
  })

  it('a kube-proxy DaemonSet from another installer is still managed through its ConfigMap', () => {
    const cm = kubeProxyConfigMap()
    delete cm.metadata.annotations
    const nodes = kubeadmNodes().map((n) => ({...n, metadata: {...n.metadata, annotations: {}}}))
    const d = detectCluster({nodes, kubeProxyDaemonSet: kubeProxyDaemonSet(), kubeProxyConfigMap: cm})
    expect(d).toMatchObject({distribution: 'unknown', kubeProxy: {runs: 'daemonset'}, current: {effectiveMode: 'iptables'}})
  })

  it.each([
    ['missing', undefined, 'CONFIGMAP_MISSING'],
    ['without config.conf', {...kubeProxyConfigMap(), data: {'kubeconfig.conf': 'x'}}, 'CONFIG_KEY_MISSING'],
    ['unparsable', kubeProxyConfigMap('mode: [ipvs'), 'CONFIG_UNPARSABLE'],
    ['not a KubeProxyConfiguration', kubeProxyConfigMap('apiVersion: v1\nkind: Config\n'), 'NOT_KUBE_PROXY_CONFIGURATION'],
  ])('kubeadm with the ConfigMap %s: a config problem, no state', (_n, cm, code) => {
    const d = detectCluster({...kubeadmCluster(), kubeProxyConfigMap: cm as never})
    expect(d.configProblem?.code).toBe(code)
    expect(d.current).toBeUndefined()
  })

  it('k3s: embedded kube-proxy, state from --kube-proxy-arg in k3s.io/node-args, roles from the first arg', () => {
    const d = detectCluster({nodes: k3sNodes()})
    expect(d.distribution).toBe('k3s')
    expect(d.evidence).toEqual(['node k3s-server-1: annotation k3s.io/node-args'])
    expect(d.kubeProxy.runs).toBe('embedded')
    expect(d.current).toMatchObject({mode: '', effectiveMode: 'iptables', strictARP: false})
    expect(d.nodes.map((n) => n.role)).toEqual(['server', 'agent', 'agent'])
  })

  it('k3s already in IPVS with strict ARP (both arg spellings)', () => {
    const d = detectCluster({nodes: k3sNodes(
      ['server', '--kube-proxy-arg', 'proxy-mode=ipvs', '--kube-proxy-arg=ipvs-strict-arp=true'],
      ['agent', '--server', 'https://198.18.0.10:6443', '--kube-proxy-arg', '--proxy-mode=ipvs', '--kube-proxy-arg', 'ipvs-strict-arp'],
    )})
    expect(d.current).toMatchObject({mode: 'ipvs', effectiveMode: 'ipvs', strictARP: true})
  })

  it('k3s nodes that disagree are reported per node', () => {
    const d = detectCluster({nodes: k3sNodes(['server', '--kube-proxy-arg', 'proxy-mode=ipvs'], ['agent'])})
    expect(d.current?.effectiveMode).toBeUndefined()
    expect(d.current?.perNode).toEqual([
      {node: 'k3s-server-1', mode: 'ipvs', strictARP: false},
      {node: 'k3s-agent-1', mode: 'iptables', strictARP: false},
      {node: 'k3s-agent-2', mode: 'iptables', strictARP: false},
    ])
  })

  it('k3s only by its version suffix (annotations hidden): detected, kube-proxy flags unknown', () => {
    const nodes = k3sNodes().map((n) => ({...n, metadata: {...n.metadata, annotations: {}}}))
    const d = detectCluster({nodes})
    expect(d.distribution).toBe('k3s')
    expect(d.evidence).toEqual(['node k3s-server-1: kubelet version v1.28.5+k3s1'])
    expect(d.warnings.join()).toMatch(/no readable k3s.io\/node-args/)
  })

  it('k3s with --disable-kube-proxy and Cilium: nothing to prepare', () => {
    const d = detectCluster({nodes: k3sNodes(['server', '--flannel-backend', 'none', '--disable-kube-proxy']), ciliumConfig: ciliumConfigCM()})
    expect(d.kubeProxy).toMatchObject({runs: 'none', replacedBy: 'cilium'})
  })

  it('RKE2: static pods, rke2.io/node-args, checked before k3s', () => {
    const d = detectCluster({nodes: rke2Nodes()})
    expect(d.distribution).toBe('rke2')
    expect(d.kubeProxy.runs).toBe('static-pod')
    expect(d.nodes[0]).toMatchObject({name: 'rke2-server-1', role: 'server', kubeProxyArgs: ['metrics-bind-address=0.0.0.0']})
    expect(d.nodes[1]).toMatchObject({role: 'agent', kubeProxyArgs: []})
  })

  it('MicroK8s: kubelite, state not visible through the API', () => {
    const d = detectCluster({nodes: microk8sNodes()})
    expect(d).toMatchObject({distribution: 'microk8s', kubeProxy: {runs: 'kubelite'}})
    expect(d.current?.effectiveMode).toBeUndefined()
    expect(d.nodes.map((n) => n.role)).toEqual(['control-plane', 'worker'])
  })

  it('Charmed Kubernetes: the snap, the Juju applications from the nodes\' labels', () => {
    const d = detectCluster({nodes: charmedNodes()})
    expect(d).toMatchObject({distribution: 'charmed-kubernetes', kubeProxy: {runs: 'snap'}, jujuApps: ['kubernetes-control-plane', 'kubernetes-worker']})
    expect(d.evidence[0]).toBe('node juju-8a3f1e-0: label juju-application=kubernetes-control-plane, juju-charm=kubernetes-control-plane')
  })

  it('Charmed Kubernetes with renamed applications uses their names', () => {
    const nodes = charmedNodes().map((n) => ({...n, metadata: {...n.metadata, labels: {...n.metadata.labels, 'juju-application': n.metadata.labels!['juju-application'].replace('kubernetes', 'k8s')}}}))
    expect(detectCluster({nodes}).jujuApps).toEqual(['k8s-control-plane', 'k8s-worker'])
  })

  it('Canonical K8s (the k8s snap charms) is not Charmed Kubernetes', () => {
    const nodes = charmedNodes().map((n) => ({...n, metadata: {...n.metadata, labels: {...n.metadata.labels, 'juju-charm': 'k8s-worker'}}}))
    expect(detectCluster({nodes}).distribution).toBe('unknown')
  })

  it('kubeadm cluster where Cilium replaced kube-proxy: nothing to do', () => {
    const d = detectCluster({nodes: kubeadmNodes(), kubeadmConfig: kubeadmConfigCM(), ciliumConfig: ciliumConfigCM()})
    expect(d).toMatchObject({distribution: 'kubeadm', kubeProxy: {runs: 'none', replacedBy: 'cilium'}})
  })

  it('Cilium in "partial" mode still needs kube-proxy: not found is reported, not "replaced"', () => {
    const d = detectCluster({nodes: kubeadmNodes(), ciliumConfig: ciliumConfigCM('partial')})
    expect(d.kubeProxy.runs).toBe('not-found')
  })
})

describe('configRefOf', () => {
  it('follows --config to the mounted ConfigMap and key', () => {
    const ds = kubeProxyDaemonSet()
    ds.spec!.template!.spec!.containers![0].command = ['kube-proxy', '--config', '/etc/kp/proxy.yaml']
    ds.spec!.template!.spec!.containers![0].volumeMounts = [{name: 'cfg', mountPath: '/etc/kp/'}]
    ds.spec!.template!.spec!.volumes = [{name: 'cfg', configMap: {name: 'kube-proxy-config'}}]
    expect(configRefOf(ds)).toEqual({namespace: 'kube-system', name: 'kube-proxy-config', key: 'proxy.yaml'})
  })

  it('handles subPath mounts and falls back to kubeadm\'s names', () => {
    const ds = kubeProxyDaemonSet()
    ds.spec!.template!.spec!.containers![0].volumeMounts = [{name: 'kube-proxy', mountPath: '/var/lib/kube-proxy/config.conf', subPath: 'custom.conf'}]
    expect(configRefOf(ds).key).toBe('custom.conf')
    ds.spec!.template!.spec!.containers![0].command = ['kube-proxy']
    expect(configRefOf(ds)).toEqual({namespace: 'kube-system', name: 'kube-proxy', key: 'config.conf'})
  })
})
