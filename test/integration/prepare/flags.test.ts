import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {prepareIpvs} from '../../../src/lib/cluster/prepare.js'
import type {PrepareResult} from '../../../src/lib/cluster/types.js'
import {Kube} from '../../../src/lib/kube/client.js'
import {kubeadmNodes, kubeProxyDaemonSet} from '../../unit/cluster/fixtures.js'
import {runBin} from '../helpers.js'
import {getDS, startTestCluster, type TestCluster} from './setup.js'

const KP = '/usr/local/bin/kube-proxy'
/** A kube-proxy DaemonSet configured by flags only (no --config, no ConfigMap), as hand-made installs have it. */
const flagsDaemonSet = (command: string[]) => {
  const ds: any = kubeProxyDaemonSet()
  const spec = ds.spec.template.spec
  spec.containers[0].command = command
  spec.containers[0].volumeMounts = spec.containers[0].volumeMounts.filter((m: any) => m.name !== 'kube-proxy')
  spec.volumes = spec.volumes.filter((v: any) => v.name !== 'kube-proxy')
  return ds
}
const command = (c: TestCluster): string[] => getDS(c).spec.template.spec.containers[0].command

describe('lbctl prepare --ipvs on a DaemonSet configured by flags (built binary)', () => {
  let c: TestCluster
  beforeAll(async () => {
    c = await startTestCluster([...kubeadmNodes(), flagsDaemonSet([KP, '--proxy-mode=iptables', '--hostname-override=$(NODE_NAME)', '--v=2'])])
  })
  afterAll(() => c.close())

  it('--check: not ready, naming the flags as the source', async () => {
    const r = await runBin(['prepare', '--check', '--json', '--kubeconfig', c.kubeconfig])
    expect(r.code, r.stderr).toBe(1)
    expect(r.json.error.message).toContain('mode iptables, strictARP false (from command-line flags of DaemonSet kube-system/kube-proxy, container kube-proxy)')
  })

  it('--dry-run shows the command-line diff and writes nothing', async () => {
    const rv = getDS(c).metadata.resourceVersion
    const r = await runBin(['prepare', '--ipvs', '--dry-run', '--json', '--kubeconfig', c.kubeconfig])
    expect(r.code, r.stderr).toBe(0)
    const res = r.json as PrepareResult
    expect(res.action).toBe('would-change')
    expect(res.changes.map((x) => [x.target, x.field, x.from, x.to])).toEqual([
      ['DaemonSet kube-system/kube-proxy container kube-proxy', '--proxy-mode', 'iptables', 'ipvs'],
      ['DaemonSet kube-system/kube-proxy container kube-proxy', '--ipvs-strict-arp', false, true],
    ])
    expect(res.diff).toContain('-- "--proxy-mode=iptables"\n+- "--proxy-mode=ipvs"')
    expect(res.diff).toContain('+- "--ipvs-strict-arp=true"')
    expect(getDS(c).metadata.resourceVersion).toBe(rv)
  })

  it('--yes edits only those flags, waits for the rollout the template change starts, and verifies', async () => {
    const before = getDS(c)
    const r = await runBin(['prepare', '--ipvs', '--yes', '--json', '--timeout', '30s', '--kubeconfig', c.kubeconfig])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json).toMatchObject({action: 'changed', ready: true, verified: true, restart: {daemonSet: 'kube-system/kube-proxy', desired: 3, updated: 3, available: 3}})
    expect(command(c)).toEqual([KP, '--proxy-mode=ipvs', '--hostname-override=$(NODE_NAME)', '--v=2', '--ipvs-strict-arp=true'])
    const after = getDS(c)
    expect(after.metadata.generation).toBe(before.metadata.generation + 1)
    // everything else in the DaemonSet is as it was (the write also brings the apiserver's defaults in)
    const strip = (ds: any) => ({...ds.spec, template: {...ds.spec.template, spec: {...ds.spec.template.spec, containers: ds.spec.template.spec.containers.map(({command: _, ...x}: any) => x)}}})
    expect(strip(after)).toMatchObject(strip(before))
    expect(r.json.warnings.join('\n')).toMatch(/iptables mode's rules behind/)
  })

  it('a second run changes nothing', async () => {
    const rv = getDS(c).metadata.resourceVersion
    const r = await runBin(['prepare', '--ipvs', '--yes', '--json', '--kubeconfig', c.kubeconfig])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json).toMatchObject({action: 'unchanged', ready: true, changes: []})
    expect(getDS(c).metadata.resourceVersion).toBe(rv)
  })
})

describe('prepareIpvs on a flags DaemonSet: a concurrent change during the prompt', () => {
  it('is detected by the resourceVersion precondition, re-read and asked again; the other change survives', async () => {
    const c = await startTestCluster([...kubeadmNodes(), flagsDaemonSet([KP, '--v=2'])])
    try {
      const questions: string[] = []
      const kube = Kube.connect({kubeconfig: c.kubeconfig})
      const res = await prepareIpvs(kube, {strictARP: true, timeoutMs: 30_000}, {
        confirm: async (q) => {
          questions.push(q)
          if (questions.length === 1) {
            const ds = getDS(c)
            ds.spec.template.spec.containers[0].command.push('--metrics-bind-address=0.0.0.0:10249')
            c.server.store.put(ds)
          }
          return true
        },
      })
      // At least once more: the harness's workload stand-in also updates the DaemonSet's status after that change (a
      // new resourceVersion, as a real DaemonSet controller would), which may cost one more round under load.
      expect(questions.length).toBeGreaterThanOrEqual(2)
      expect(new Set(questions.slice(1)).size).toBe(1)
      expect(res.action).toBe('changed')
      expect(command(c)).toEqual([KP, '--v=2', '--metrics-bind-address=0.0.0.0:10249', '--proxy-mode=ipvs', '--ipvs-strict-arp=true'])
    } finally {
      await c.close()
    }
  })
})

describe('lbctl prepare --ipvs on a DaemonSet that starts kube-proxy through a shell', () => {
  it('changes nothing and says what to edit', async () => {
    const c = await startTestCluster([...kubeadmNodes(), flagsDaemonSet(['/bin/sh', '-c', 'exec kube-proxy --proxy-mode=iptables --v=2'])])
    try {
      const before = getDS(c)
      const r = await runBin(['prepare', '--ipvs', '--yes', '--json', '--kubeconfig', c.kubeconfig])
      expect(r.code, r.stderr).toBe(0)
      expect(r.json).toMatchObject({action: 'manual', ready: 'unknown'})
      expect(r.json.instructions[0].commands[0]).toContain('kubectl -n kube-system edit daemonset kube-proxy   # add --proxy-mode=ipvs --ipvs-strict-arp=true')
      // (the workload stand-in moves the status along, so the spec and generation are what must not change)
      expect(getDS(c).spec).toEqual(before.spec)
      expect(getDS(c).metadata.generation).toBe(before.metadata.generation)
    } finally {
      await c.close()
    }
  })
})
