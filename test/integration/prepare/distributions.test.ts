import {afterEach, describe, expect, it} from 'vitest'
import type {PrepareResult} from '../../../src/lib/cluster/types.js'
import {runBin} from '../helpers.js'
import {ciliumConfigCM, k3sNodes, kubeadmConfigCM, kubeadmNodes, microk8sNodes, rke2Nodes} from '../../unit/cluster/fixtures.js'
import {startTestCluster, type TestCluster} from './setup.js'

describe('lbctl prepare on distributions whose kube-proxy is configured on the machines', () => {
  let c: TestCluster
  afterEach(() => c.close())
  const lbctl = (args: string[]) => runBin(['prepare', ...args, '--kubeconfig', c.kubeconfig])

  it('k3s: prints the config.yaml lines and the restart per role; --check exits 1', async () => {
    c = await startTestCluster(k3sNodes())
    const r = await lbctl(['--ipvs'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('Distribution:  k3s')
    expect(r.stdout).toContain('On k3s-server-1 (server):\n  /etc/rancher/k3s/config.yaml must contain:\n    kube-proxy-arg:\n      - proxy-mode=ipvs\n      - ipvs-strict-arp=true\n  then run:\n    sudo systemctl restart k3s\n')
    expect(r.stdout).toContain('On k3s-agent-1, k3s-agent-2 (agent):')
    expect(r.stdout).toContain('sudo systemctl restart k3s-agent')
    expect(r.stdout).toMatch(/leaves the iptables mode's rules behind|lbctl cannot make this change from here/)
    const check = await lbctl(['--check', '--json'])
    expect(check.code).toBe(1)
    expect(check.json.error.details.current.source).toContain('k3s.io/node-args')
  })

  it('k3s already in IPVS with strict ARP: nothing to change, --check exits 0', async () => {
    const ipvs = ['--kube-proxy-arg', 'proxy-mode=ipvs', '--kube-proxy-arg', 'ipvs-strict-arp=true']
    c = await startTestCluster(k3sNodes(['server', ...ipvs], ['agent', '--server', 'https://198.18.0.10:6443', ...ipvs]))
    const r = await lbctl(['--ipvs', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json).toMatchObject({action: 'unchanged', ready: true})
    expect((await lbctl(['--check', '--json'])).code).toBe(0)
  })

  it('RKE2: keeps the node\'s other kube-proxy args and restarts rke2-server / rke2-agent', async () => {
    c = await startTestCluster(rke2Nodes())
    const r = await lbctl(['--ipvs', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const res = r.json as PrepareResult
    expect(res).toMatchObject({distribution: 'rke2', action: 'manual', kubeProxy: {runs: 'static-pod'}})
    expect(res.instructions).toEqual([
      {where: ['rke2-server-1'], role: 'server', file: '/etc/rancher/rke2/config.yaml', content: 'kube-proxy-arg:\n  - proxy-mode=ipvs\n  - ipvs-strict-arp=true\n  - metrics-bind-address=0.0.0.0', commands: ['sudo systemctl restart rke2-server']},
      {where: ['rke2-agent-1'], role: 'agent', file: '/etc/rancher/rke2/config.yaml', content: 'kube-proxy-arg:\n  - proxy-mode=ipvs\n  - ipvs-strict-arp=true', commands: ['sudo systemctl restart rke2-agent']},
    ])
  })

  it('MicroK8s: prints the args-file edit and the kubelite restart; --check cannot verify (exit 1)', async () => {
    c = await startTestCluster(microk8sNodes())
    const r = await lbctl(['--ipvs'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain("echo '--proxy-mode=ipvs' | sudo tee -a /var/snap/microk8s/current/args/kube-proxy")
    expect(r.stdout).toContain('sudo snap restart microk8s.daemon-kubelite')
    const check = await lbctl(['--check', '--json'])
    expect(check.code).toBe(1)
    expect(check.json.error.code).toBe('KUBE_PROXY_UNVERIFIED')
    expect(check.json.error.hint).toContain('curl -s http://127.0.0.1:10249/proxyMode')
  })

  it('Cilium replacing kube-proxy: nothing to prepare, --check exits 0', async () => {
    c = await startTestCluster([...kubeadmNodes(), kubeadmConfigCM(), ciliumConfigCM()])
    const r = await lbctl(['--ipvs'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toContain('no kube-proxy runs (Cilium replaces kube-proxy (kube-system/cilium-config kube-proxy-replacement=true)): nothing to prepare')
    const check = await lbctl(['--check', '--json'])
    expect(check.code, check.stderr).toBe(0)
    expect(check.json).toMatchObject({ready: true, kubeProxy: {runs: 'none', replacedBy: 'cilium'}})
  })

  it('no kube-proxy anywhere lbctl can see: generic instructions, --check cannot verify', async () => {
    c = await startTestCluster(kubeadmNodes().map((n) => ({...n, metadata: {...n.metadata, annotations: {}}})))
    const r = await lbctl(['--ipvs', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json).toMatchObject({distribution: 'unknown', action: 'manual', ready: 'unknown', kubeProxy: {runs: 'not-found'}})
    expect((await lbctl(['--check', '--json'])).json.error.code).toBe('KUBE_PROXY_UNVERIFIED')
  })
})
