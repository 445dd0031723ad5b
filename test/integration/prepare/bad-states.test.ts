import {afterEach, describe, expect, it} from 'vitest'
import {runBin} from '../helpers.js'
import {kubeProxyConfigMap} from '../../unit/cluster/fixtures.js'
import {getCM, getDS, kubeadmObjects, startTestCluster, type TestCluster} from './setup.js'

// The DaemonSet's resourceVersion moves with its status (the harness plays kubelet), so compare its spec.
const snapshot = (c: TestCluster) => ({cm: getCM(c)?.metadata.resourceVersion, ds: getDS(c)?.metadata.generation, template: JSON.stringify(getDS(c)?.spec.template)})

describe('lbctl prepare --ipvs refuses bad states clearly and writes nothing', () => {
  let c: TestCluster
  afterEach(() => c.close())

  const withoutCM = () => kubeadmObjects().filter((o) => !((o as {kind: string}).kind === 'ConfigMap' && (o as {metadata: {name: string}}).metadata.name === 'kube-proxy'))

  it.each([
    ['the ConfigMap is missing', withoutCM(), 5, 'CONFIGMAP_MISSING', /ConfigMap kube-system\/kube-proxy does not exist/],
    ['config.conf is missing', [...withoutCM(), {...kubeProxyConfigMap(), data: {'kubeconfig.conf': 'x'}}], 5, 'CONFIG_KEY_MISSING', /has no key config.conf/],
    ['config.conf is unparsable', kubeadmObjects('apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: [ipvs\n'), 2, 'CONFIG_UNPARSABLE', /not valid YAML/],
    ['config.conf is not a KubeProxyConfiguration', kubeadmObjects('apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n'), 2, 'NOT_KUBE_PROXY_CONFIGURATION', /a KubeletConfiguration/],
  ])('%s', async (_n, objects, exit, code, message) => {
    c = await startTestCluster(objects)
    const before = snapshot(c)
    const r = await runBin(['prepare', '--ipvs', '--yes', '--json', '--kubeconfig', c.kubeconfig])
    expect(r.code, r.stderr).toBe(exit)
    expect(r.json.error.code).toBe(code)
    expect(r.json.error.message).toMatch(message)
    expect(r.json.error.message).toContain('nothing was changed')
    expect(r.json.error.hint).toContain('kubectl -n kube-system')
    expect(snapshot(c)).toEqual(before)
  })

  it('forbidden to update the ConfigMap: names the verb and resource (exit 3)', async () => {
    c = await startTestCluster(kubeadmObjects())
    const before = snapshot(c)
    c.server.faults.failNext(1, 403, {method: 'PUT', path: /\/configmaps\/kube-proxy/})
    const r = await runBin(['prepare', '--ipvs', '--yes', '--json', '--kubeconfig', c.kubeconfig])
    expect(r.code).toBe(3)
    expect(r.json.error.code).toBe('FORBIDDEN')
    expect(r.json.error.message).toContain('update configmaps in namespace kube-system')
    expect(r.json.error.hint).toContain('kubectl auth can-i update configmaps -n kube-system')
    expect(snapshot(c)).toEqual(before)
  })

  it('forbidden to read the DaemonSet: names it, nothing written (exit 3)', async () => {
    c = await startTestCluster(kubeadmObjects())
    const before = snapshot(c)
    c.server.faults.failNext(1, 403, {method: 'GET', path: /\/daemonsets\/kube-proxy/})
    const r = await runBin(['prepare', '--ipvs', '--yes', '--json', '--kubeconfig', c.kubeconfig])
    expect(r.code).toBe(3)
    expect(r.json.error.message).toContain('get daemonsets.apps in namespace kube-system')
    expect(snapshot(c)).toEqual(before)
  })

  it('forbidden to restart the DaemonSet after the write: says what was done and how to finish', async () => {
    c = await startTestCluster(kubeadmObjects())
    c.server.faults.failNext(1, 403, {method: 'PATCH', path: /\/daemonsets\/kube-proxy/})
    const r = await runBin(['prepare', '--ipvs', '--yes', '--json', '--kubeconfig', c.kubeconfig])
    expect(r.code).toBe(3)
    expect(r.json.error.message).toMatch(/ConfigMap kube-system\/kube-proxy was updated, but restarting DaemonSet kube-system\/kube-proxy failed: forbidden/)
    expect(r.json.error.hint).toContain('kubectl -n kube-system rollout restart daemonset/kube-proxy')
  })

  it('a rollout that does not finish in --timeout fails with PROBLEMS (exit 1), naming the progress', async () => {
    c = await startTestCluster(kubeadmObjects(), {workloadReadyDelayMs: -1})
    const r = await runBin(['prepare', '--ipvs', '--yes', '--json', '--timeout', '1s', '--kubeconfig', c.kubeconfig])
    expect(r.code).toBe(1)
    expect(r.json.error.code).toBe('ROLLOUT_TIMEOUT')
    expect(r.json.error.message).toMatch(/did not finish in 1 s/)
    expect(r.json.error.hint).toContain('kubectl -n kube-system rollout status daemonset/kube-proxy')
  })

  it('a bad --timeout is refused before anything is read (exit 2)', async () => {
    c = await startTestCluster(kubeadmObjects())
    const r = await runBin(['prepare', '--ipvs', '--yes', '--json', '--timeout', 'soon', '--kubeconfig', c.kubeconfig])
    expect(r.code).toBe(2)
    expect(r.json.error.code).toBe('BAD_DURATION')
    expect(c.server.requests.length).toBe(0)
  })

  it('prepare without --ipvs or --check says what to do (exit 2)', async () => {
    c = await startTestCluster([])
    const r = await runBin(['prepare', '--json', '--kubeconfig', c.kubeconfig])
    expect(r.code).toBe(2)
    expect(r.json.error).toMatchObject({code: 'NOTHING_TO_PREPARE'})
  })
})
