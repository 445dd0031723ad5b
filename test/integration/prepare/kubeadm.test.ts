import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'
import {inspectKubeProxy, prepareIpvs} from '../../../src/lib/cluster/prepare.js'
import type {PrepareResult} from '../../../src/lib/cluster/types.js'
import {Kube} from '../../../src/lib/kube/client.js'
import {RESTARTED_AT} from '../../../src/lib/kube/rollout.js'
import {type CliResult, runBin, runInProcess} from '../helpers.js'
import {EDITED_CONFIG_CONF, KUBEADM_CONFIG_CONF, KUBEADM_KUBECONFIG_CONF} from '../../unit/cluster/fixtures.js'
import {getCM, getDS, kubeadmObjects, startTestCluster, type TestCluster} from './setup.js'

const runners: Array<[string, (args: string[], kc: string) => Promise<CliResult>]> = [
  ['built binary', (args, kc) => runBin(['prepare', ...args, '--kubeconfig', kc])],
  ['in process', (args, kc) => runInProcess(['prepare', ...args, '--kubeconfig', kc])],
]

/** Lines that differ between two texts of equal line count. */
const changedLines = (a: string, b: string) => {
  const x = a.split('\n')
  const y = b.split('\n')
  expect(y.length).toBe(x.length)
  return x.flatMap((l, i) => (l === y[i] ? [] : [[l, y[i]]]))
}

describe.each(runners)('lbctl prepare --ipvs on a kubeadm cluster (%s)', (_name, lbctl) => {
  let c: TestCluster
  beforeAll(async () => {
    c = await startTestCluster(kubeadmObjects())
  })
  afterAll(() => c.close())

  it('--check before: not ready (exit 1), naming mode and where it comes from', async () => {
    const r = await lbctl(['--check', '--json'], c.kubeconfig)
    expect(r.code, r.stderr).toBe(1)
    expect(r.json.error.code).toBe('KUBE_PROXY_NOT_READY')
    expect(r.json.error.message).toContain('mode iptables, strictARP false (from ConfigMap kube-system/kube-proxy, key config.conf)')
    expect(r.json.error.details).toMatchObject({distribution: 'kubeadm', ready: false, arpHazard: false})
  })

  it('--dry-run shows the exact diff and writes nothing', async () => {
    const rv = getCM(c).metadata.resourceVersion
    const r = await lbctl(['--ipvs', '--dry-run', '--json'], c.kubeconfig)
    expect(r.code, r.stderr).toBe(0)
    const res = r.json as PrepareResult
    expect(res.action).toBe('would-change')
    expect(res.diff).toContain('-  strictARP: false\n+  strictARP: true')
    expect(res.diff).toContain('-mode: ""\n+mode: "ipvs"')
    expect(getCM(c).metadata.resourceVersion).toBe(rv)
  })

  it('without a terminal and without --yes: refuses (exit 2) with a hint, writes nothing', async () => {
    const rv = getCM(c).metadata.resourceVersion
    const r = await lbctl(['--ipvs', '--json'], c.kubeconfig)
    expect(r.code).toBe(2)
    expect(r.json.error).toMatchObject({code: 'CONFIRMATION_REQUIRED'})
    expect(r.json.error.hint).toContain('--yes')
    expect(getCM(c).metadata.resourceVersion).toBe(rv)
  })

  it('--yes changes exactly the two fields, restarts the DaemonSet, waits and verifies', async () => {
    const before = getCM(c)
    const dsBefore = getDS(c)
    const r = await lbctl(['--ipvs', '--yes', '--json', '--timeout', '30s'], c.kubeconfig)
    expect(r.code, r.stderr).toBe(0)
    const res = r.json as PrepareResult
    expect(res).toMatchObject({action: 'changed', ready: true, verified: true, restart: {daemonSet: 'kube-system/kube-proxy', desired: 3, updated: 3, available: 3}})
    expect(res.changes.map((x) => [x.field, x.from, x.to])).toEqual([['mode', '', 'ipvs'], ['ipvs.strictARP', false, true]])
    const after = getCM(c)
    expect(changedLines(before.data['config.conf'], after.data['config.conf'])).toEqual([['  strictARP: false', '  strictARP: true'], ['mode: ""', 'mode: "ipvs"']])
    // The rest of the ConfigMap is untouched: the other key, labels, kubeadm's annotation.
    expect(after.data['kubeconfig.conf']).toBe(KUBEADM_KUBECONFIG_CONF)
    expect(after.metadata.annotations).toEqual(before.metadata.annotations)
    expect(after.metadata.labels).toEqual(before.metadata.labels)
    const ds = getDS(c)
    expect(ds.spec.template.metadata.annotations[RESTARTED_AT]).toBe(res.restart!.restartedAt)
    expect(ds.metadata.generation).toBe(dsBefore.metadata.generation + 1)
    expect(ds.status.observedGeneration).toBe(ds.metadata.generation)
    expect(res.warnings.join('\n')).toMatch(/iptables mode's rules behind/)
    expect(res.warnings.join('\n')).toMatch(/ip_vs/)
  })

  it('a second run changes nothing and restarts nothing', async () => {
    const cm = getCM(c).metadata.resourceVersion
    const ds = getDS(c).metadata.resourceVersion
    const r = await lbctl(['--ipvs', '--yes', '--json'], c.kubeconfig)
    expect(r.code, r.stderr).toBe(0)
    expect(r.json).toMatchObject({action: 'unchanged', ready: true, changes: []})
    expect(getCM(c).metadata.resourceVersion).toBe(cm)
    expect(getDS(c).metadata.resourceVersion).toBe(ds)
  })

  it('--check after: ready (exit 0)', async () => {
    const r = await lbctl(['--check', '--json'], c.kubeconfig)
    expect(r.code, r.stderr).toBe(0)
    expect(r.json).toMatchObject({action: 'checked', ready: true, current: {mode: 'ipvs', strictARP: true}})
  })
})

describe('lbctl prepare --ipvs, human output', () => {
  it('prints current, wanted and the diff on stdout, progress on stderr', async () => {
    const c = await startTestCluster(kubeadmObjects(EDITED_CONFIG_CONF))
    try {
      const r = await runBin(['prepare', '--ipvs', '--yes', '--kubeconfig', c.kubeconfig])
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toContain('Distribution:  kubeadm')
      expect(r.stdout).toContain('Current:       mode iptables, strictARP false')
      expect(r.stdout).toContain('-mode: "iptables"  # set during the 2023 upgrade\n+mode: "ipvs"  # set during the 2023 upgrade')
      expect(r.stdout).toContain('verified: the configuration reads back as wanted')
      expect(r.stderr).toContain('restarting DaemonSet kube-system/kube-proxy')
      expect(r.stderr).toMatch(/kube-proxy rollout: 3 of 3 pods updated, 3 available/)
      expect(getCM(c).data['config.conf']).toContain('# pod network of the flannel install, do not change')
    } finally {
      await c.close()
    }
  })
})

describe('prepareIpvs: a concurrent change during the prompt', () => {
  let c: TestCluster
  afterEach(() => c.close())

  it('is detected: re-read, re-diffed, asked again, and both changes survive', async () => {
    c = await startTestCluster(kubeadmObjects())
    const plans: PrepareResult[] = []
    const questions: string[] = []
    const kube = Kube.connect({kubeconfig: c.kubeconfig})
    const res = await prepareIpvs(kube, {strictARP: true, timeoutMs: 30_000}, {
      plan: (p) => plans.push(structuredClone(p)),
      confirm: async (q) => {
        questions.push(q)
        if (questions.length === 1) {
          // Someone edits the ConfigMap while the user reads the diff.
          const cm = getCM(c)
          cm.data['config.conf'] = cm.data['config.conf'].replace('  scheduler: ""', '  scheduler: lc')
          c.server.store.put(cm)
        }
        return true
      },
    })
    expect(questions).toHaveLength(2)
    expect(plans).toHaveLength(2)
    expect(plans[0].diff).toContain('\n   scheduler: ""\n')
    expect(plans[1].diff).toContain('\n   scheduler: lc\n')
    expect(res).toMatchObject({action: 'changed', verified: true})
    const text = getCM(c).data['config.conf']
    expect(changedLines(KUBEADM_CONFIG_CONF.replace('  scheduler: ""', '  scheduler: lc'), text)).toEqual([['  strictARP: false', '  strictARP: true'], ['mode: ""', 'mode: "ipvs"']])
  })

  it('declining writes nothing (exit 1)', async () => {
    c = await startTestCluster(kubeadmObjects())
    const rv = getCM(c).metadata.resourceVersion
    const kube = Kube.connect({kubeconfig: c.kubeconfig})
    await expect(prepareIpvs(kube, {strictARP: true, timeoutMs: 30_000}, {confirm: async () => false})).rejects.toMatchObject({code: 'DECLINED', category: 'problems'})
    expect(getCM(c).metadata.resourceVersion).toBe(rv)
  })
})

describe('inspectKubeProxy (what the doctor calls)', () => {
  it('reports IPVS without strict ARP as the ARP hazard, without throwing or writing', async () => {
    const c = await startTestCluster(kubeadmObjects(KUBEADM_CONFIG_CONF.replace('mode: ""', 'mode: ipvs')))
    try {
      const rv = getCM(c).metadata.resourceVersion
      const res = await inspectKubeProxy(Kube.connect({kubeconfig: c.kubeconfig}))
      expect(res).toMatchObject({action: 'checked', ready: false, arpHazard: true, current: {mode: 'ipvs', strictARP: false}})
      expect(res.changes.map((x) => x.field)).toEqual(['ipvs.strictARP'])
      expect(getCM(c).metadata.resourceVersion).toBe(rv)
    } finally {
      await c.close()
    }
  })
})
