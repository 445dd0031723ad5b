import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'
import {detectCluster} from '../../../src/lib/cluster/detect.js'
import {k3sInstructions, microk8sInstructions, modeChangeWarnings} from '../../../src/lib/cluster/instructions.js'
import {jujuCommandLine, mergeExtraConfig, shellQuote} from '../../../src/lib/cluster/juju.js'
import {kubeProxyArgs, settingsFromProxyArgs, wantedProxyArgs} from '../../../src/lib/cluster/node-args.js'
import {arpHazard, readiness} from '../../../src/lib/cluster/prepare.js'
import {rolloutProgress} from '../../../src/lib/kube/rollout.js'
import {k3sNodes, microk8sNodes, rke2Nodes} from './fixtures.js'

describe('mergeExtraConfig (Charmed Kubernetes proxy-extra-config)', () => {
  it.each([
    ['the charm default', '{}'],
    ['an empty value', ''],
  ])('%s becomes the seed\'s value exactly', (_n, current) => {
    const m = mergeExtraConfig('kubernetes-worker', current, {strictARP: true})
    expect(m).toMatchObject({value: '{mode: ipvs, ipvs: {strictARP: true}}', changed: true, current: {}})
  })

  it('keeps every existing key, in order, and merges into an existing ipvs map', () => {
    const m = mergeExtraConfig('kubernetes-worker', '{clusterCIDR: 10.1.0.0/16, ipvs: {scheduler: lc}, conntrack: {maxPerCore: 0}}', {strictARP: true})
    expect(m.value).toBe('{clusterCIDR: 10.1.0.0/16, ipvs: {scheduler: lc, strictARP: true}, conntrack: {maxPerCore: 0}, mode: ipvs}')
    expect(parse(m.value)).toEqual({clusterCIDR: '10.1.0.0/16', ipvs: {scheduler: 'lc', strictARP: true}, conntrack: {maxPerCore: 0}, mode: 'ipvs'})
  })

  it('accepts block style and reports the current settings', () => {
    const m = mergeExtraConfig('kubernetes-control-plane', 'mode: iptables\nipvs:\n  strictARP: false\n', {strictARP: true})
    expect(m.current).toEqual({mode: 'iptables', strictARP: false})
    expect(parse(m.value)).toEqual({mode: 'ipvs', ipvs: {strictARP: true}})
  })

  it('is idempotent and leaves strict ARP alone with --no-strict-arp', () => {
    const done = '{mode: ipvs, ipvs: {strictARP: true}}'
    expect(mergeExtraConfig('a', done, {strictARP: true})).toMatchObject({changed: false, value: done})
    expect(mergeExtraConfig('a', '{ipvs: {strictARP: false}}', {})).toMatchObject({changed: true, value: '{ipvs: {strictARP: false}, mode: ipvs}'})
  })

  it('refuses a value that is not a mapping, naming the application', () => {
    expect(() => mergeExtraConfig('kubernetes-worker', '[mode, ipvs]', {strictARP: true})).toThrow(/proxy-extra-config of kubernetes-worker is not a YAML mapping/)
    expect(() => mergeExtraConfig('kubernetes-worker', '{mode: ipvs', {strictARP: true})).toThrow(/not a YAML mapping/)
  })

  it('prints juju commands a shell runs as they are', () => {
    expect(jujuCommandLine(['config', '-m', 'k8s', 'kubernetes-worker', 'proxy-extra-config={mode: ipvs, ipvs: {strictARP: true}}']))
      .toBe("juju config -m k8s kubernetes-worker proxy-extra-config='{mode: ipvs, ipvs: {strictARP: true}}'")
    expect(shellQuote("it's")).toBe(`'it'\\''s'`)
  })
})

describe('k3s / RKE2 kube-proxy args', () => {
  it('reads both spellings; the last value wins', () => {
    const args = kubeProxyArgs(['server', '--kube-proxy-arg', 'proxy-mode=iptables', '--kube-proxy-arg=proxy-mode=ipvs', '--kube-proxy-arg', 'ipvs-strict-arp=false'])
    expect(args).toEqual(['proxy-mode=iptables', 'proxy-mode=ipvs', 'ipvs-strict-arp=false'])
    expect(settingsFromProxyArgs(args)).toEqual({mode: 'ipvs', strictARP: false})
  })

  it('the wanted list keeps the node\'s other args', () => {
    expect(wantedProxyArgs(['metrics-bind-address=0.0.0.0', 'proxy-mode=iptables'], {strictARP: true})).toEqual(['proxy-mode=ipvs', 'ipvs-strict-arp=true', 'metrics-bind-address=0.0.0.0'])
  })

  it('k3s instructions: one per role and arg list, with the right file and service', () => {
    const list = k3sInstructions(detectCluster({nodes: k3sNodes()}), 'k3s', {strictARP: true})
    expect(list).toEqual([
      {where: ['k3s-server-1'], role: 'server', file: '/etc/rancher/k3s/config.yaml', content: 'kube-proxy-arg:\n  - proxy-mode=ipvs\n  - ipvs-strict-arp=true', commands: ['sudo systemctl restart k3s']},
      {where: ['k3s-agent-1', 'k3s-agent-2'], role: 'agent', file: '/etc/rancher/k3s/config.yaml', content: 'kube-proxy-arg:\n  - proxy-mode=ipvs\n  - ipvs-strict-arp=true', commands: ['sudo systemctl restart k3s-agent']},
    ])
  })

  it('RKE2 instructions keep existing kube-proxy args and use rke2-server / rke2-agent', () => {
    const [server, agent] = k3sInstructions(detectCluster({nodes: rke2Nodes()}), 'rke2', {strictARP: true})
    expect(server).toMatchObject({file: '/etc/rancher/rke2/config.yaml', commands: ['sudo systemctl restart rke2-server']})
    expect(server.content).toBe('kube-proxy-arg:\n  - proxy-mode=ipvs\n  - ipvs-strict-arp=true\n  - metrics-bind-address=0.0.0.0')
    expect(agent.commands).toEqual(['sudo systemctl restart rke2-agent'])
  })

  it('MicroK8s instructions edit args/kube-proxy idempotently and restart kubelite', () => {
    const [i] = microk8sInstructions(detectCluster({nodes: microk8sNodes()}), {strictARP: true})
    expect(i.where).toEqual(['mk8s-1', 'mk8s-2'])
    expect(i.commands).toEqual([
      "sudo sed -i '/^--proxy-mode/d;/^--ipvs-strict-arp/d' /var/snap/microk8s/current/args/kube-proxy",
      "echo '--proxy-mode=ipvs' | sudo tee -a /var/snap/microk8s/current/args/kube-proxy",
      "echo '--ipvs-strict-arp=true' | sudo tee -a /var/snap/microk8s/current/args/kube-proxy",
      'sudo snap restart microk8s.daemon-kubelite',
    ])
  })

  it('mode-change warnings name the cleanup and the kernel modules', () => {
    const [rules, modules] = modeChangeWarnings('', 'daemonset')
    expect(rules).toMatch(/iptables mode's rules behind.*reboot the nodes.*kube-proxy --cleanup/)
    expect(modules).toMatch(/ip_vs, ip_vs_rr, ip_vs_wrr, ip_vs_sh, nf_conntrack/)
    expect(modeChangeWarnings('iptables', 'juju')[0]).toMatch(/juju status.*reboot the machines/)
  })
})

describe('readiness', () => {
  const s = (effectiveMode: string, strictARP: boolean) => ({mode: effectiveMode, effectiveMode, strictARP, source: 'x'})
  it.each([
    [s('ipvs', true), {mode: 'ipvs', strictARP: true}, true, false],
    [s('ipvs', false), {mode: 'ipvs', strictARP: true}, false, true],
    [s('ipvs', false), {mode: 'ipvs'}, true, true],
    [s('iptables', false), {mode: 'ipvs'}, false, false],
    [{source: 'args file'}, {mode: 'ipvs'}, 'unknown', false],
  ] as const)('%j wanted %j → ready %s, ARP hazard %s', (state, want, ready, hazard) => {
    expect(readiness(state, want as never)).toBe(ready)
    expect(arpHazard(state)).toBe(hazard)
  })
})

describe('rolloutProgress', () => {
  it('a rollout is done when the new generation is observed and every pod is updated and available', () => {
    const ds = (observedGeneration: number, updated: number, available: number) => ({status: {observedGeneration, desiredNumberScheduled: 3, updatedNumberScheduled: updated, numberAvailable: available}})
    expect(rolloutProgress(ds(1, 3, 3), 2).done).toBe(false)
    expect(rolloutProgress(ds(2, 2, 3), 2).done).toBe(false)
    expect(rolloutProgress(ds(2, 3, 2), 2).done).toBe(false)
    expect(rolloutProgress(ds(2, 3, 3), 2)).toEqual({desired: 3, updated: 3, available: 3, observed: true, done: true})
  })
})
