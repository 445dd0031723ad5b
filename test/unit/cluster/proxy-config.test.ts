import {execFileSync} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {parse} from 'yaml'
import {unifiedDiff} from '../../../src/lib/cluster/diff.js'
import {editProxyConfig, ProxyConfigError, readProxyConfig} from '../../../src/lib/cluster/proxy-config.js'
import {EDITED_CONFIG_CONF, KUBEADM_CONFIG_CONF} from './fixtures.js'

const IPVS = {mode: 'ipvs', strictARP: true} as const

/** Lines that differ between two texts of equal line count. */
function changedLines(a: string, b: string): Array<[string, string]> {
  const x = a.split('\n')
  const y = b.split('\n')
  expect(y.length).toBe(x.length)
  return x.map((l, i) => [l, y[i]] as [string, string]).filter(([l, r]) => l !== r)
}

describe('editProxyConfig on what kubeadm writes', () => {
  it('changes exactly the mode and ipvs.strictARP lines, every other byte kept', () => {
    const r = editProxyConfig(KUBEADM_CONFIG_CONF, IPVS)
    expect(r.method).toBe('surgical')
    expect(changedLines(KUBEADM_CONFIG_CONF, r.text)).toEqual([['  strictARP: false', '  strictARP: true'], ['mode: ""', 'mode: "ipvs"']])
    expect(r.changes).toEqual([{field: 'mode', from: '', to: 'ipvs'}, {field: 'ipvs.strictARP', from: false, to: true}])
    const before = parse(KUBEADM_CONFIG_CONF)
    const after = parse(r.text)
    expect(after).toEqual({...before, mode: 'ipvs', ipvs: {...before.ipvs, strictARP: true}})
  })

  it('is idempotent: a second edit changes nothing', () => {
    const once = editProxyConfig(KUBEADM_CONFIG_CONF, IPVS).text
    const twice = editProxyConfig(once, IPVS)
    expect(twice).toMatchObject({method: 'unchanged', changes: [], text: once})
  })

  it('keeps comments, Go-style lists and the quoting of an edited file', () => {
    const r = editProxyConfig(EDITED_CONFIG_CONF, IPVS)
    expect(changedLines(EDITED_CONFIG_CONF, r.text)).toEqual([
      ['  strictARP: false # MetalLB docs say true', '  strictARP: true # MetalLB docs say true'],
      ['mode: "iptables"  # set during the 2023 upgrade', 'mode: "ipvs"  # set during the 2023 upgrade'],
    ])
    expect(r.text).toContain('# pod network of the flannel install, do not change\nclusterCIDR')
    expect(r.text).toContain('nodePortAddresses:\n- 10.0.0.0/8\n- 192.168.0.0/16')
  })

  it('--no-strict-arp changes only the mode', () => {
    const r = editProxyConfig(KUBEADM_CONFIG_CONF, {mode: 'ipvs'})
    expect(changedLines(KUBEADM_CONFIG_CONF, r.text)).toEqual([['mode: ""', 'mode: "ipvs"']])
    expect(readProxyConfig(r.text).settings).toEqual({mode: 'ipvs', effectiveMode: 'ipvs', strictARP: false})
  })

  it('appends missing keys to their mapping with the file\'s indentation, keeping trailing comments in place', () => {
    const text = 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nipvs:\n    scheduler: rr # round robin\nclusterCIDR: 10.1.0.0/16 # pods\n'
    const r = editProxyConfig(text, IPVS)
    expect(r.method).toBe('surgical')
    expect(r.text).toBe('apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nipvs:\n    scheduler: rr # round robin\n    strictARP: true\nclusterCIDR: 10.1.0.0/16 # pods\nmode: ipvs\n')
  })

  it('adds an ipvs section when there is none, and fills an empty `mode:`', () => {
    const text = 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode:\n'
    const r = editProxyConfig(text, IPVS)
    expect(r.text).toBe('apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ipvs\nipvs:\n  strictARP: true\n')
  })

  it('re-serialises JSON and flow style (still keeping every setting), and says so', () => {
    const json = '{"apiVersion": "kubeproxy.config.k8s.io/v1alpha1", "kind": "KubeProxyConfiguration", "mode": "iptables", "clusterCIDR": "10.1.0.0/16"}'
    const r = editProxyConfig(json, IPVS)
    expect(r.method).toBe('reformatted')
    expect(parse(r.text)).toEqual({...JSON.parse(json), mode: 'ipvs', ipvs: {strictARP: true}})
  })

  it.each([
    ['empty', '', 'CONFIG_UNPARSABLE', /empty/],
    ['broken YAML', 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: [KubeProxyConfiguration\n', 'CONFIG_UNPARSABLE', /not valid YAML/],
    ['two documents', 'kind: KubeProxyConfiguration\n---\nkind: KubeProxyConfiguration\n', 'CONFIG_UNPARSABLE', /2 YAML documents/],
    ['a list', '- mode: ipvs\n', 'NOT_KUBE_PROXY_CONFIGURATION', /not a YAML mapping/],
    ['a KubeletConfiguration', 'apiVersion: kubelet.config.k8s.io/v1beta1\nkind: KubeletConfiguration\n', 'NOT_KUBE_PROXY_CONFIGURATION', /a KubeletConfiguration \(kubelet.config.k8s.io\/v1beta1\), not a KubeProxyConfiguration/],
    ['duplicate keys', 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\nmode: ipvs\nmode: iptables\n', 'CONFIG_UNPARSABLE', /not valid YAML/],
  ])('refuses %s', (_name, text, code, message) => {
    let err: unknown
    try {
      editProxyConfig(text, IPVS)
    } catch (e) {
      err = e
    }
    expect(err).toBeInstanceOf(ProxyConfigError)
    expect((err as ProxyConfigError).code).toBe(code)
    expect((err as Error).message).toMatch(message)
  })
})

describe('unifiedDiff', () => {
  const diffAvailable = (() => {
    try {
      execFileSync('diff', ['--version'])
      return true
    } catch {
      return false
    }
  })()

  it('prints what `diff -u` prints (hunks and ranges) for the kubeadm edit', () => {
    const after = editProxyConfig(EDITED_CONFIG_CONF, IPVS).text
    const ours = unifiedDiff(EDITED_CONFIG_CONF + '\n', after + '\n', {from: 'a', to: 'b'})
    expect(ours).toContain('-  strictARP: false # MetalLB docs say true\n+  strictARP: true # MetalLB docs say true')
    if (!diffAvailable) return
    const dir = mkdtempSync(join(tmpdir(), 'lbctl-diff-'))
    try {
      writeFileSync(join(dir, 'a'), EDITED_CONFIG_CONF + '\n')
      writeFileSync(join(dir, 'b'), after + '\n')
      let gnu = ''
      try {
        execFileSync('diff', ['-u', join(dir, 'a'), join(dir, 'b')], {encoding: 'utf8'})
      } catch (e) {
        gnu = (e as {stdout: string}).stdout
      }
      const body = (s: string) => s.split('\n').filter((l) => !l.startsWith('---') && !l.startsWith('+++')).join('\n')
      expect(body(ours)).toBe(body(gnu))
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('is empty for equal texts and handles pure additions at the start', () => {
    expect(unifiedDiff('a\nb\n', 'a\nb\n')).toBe('')
    expect(unifiedDiff('b\n', 'a\nb\n', {from: 'x', to: 'y'})).toBe('--- x\n+++ y\n@@ -1 +1,2 @@\n+a\n b\n')
    expect(unifiedDiff('b\n', 'a\nb\n', {context: 0})).toContain('@@ -0,0 +1 @@\n+a\n')
  })
})

describe('readProxyConfig: YAML that kube-proxy would read differently, or that explodes', () => {
  const head = 'apiVersion: kubeproxy.config.k8s.io/v1alpha1\nkind: KubeProxyConfiguration\n'
  it('an alias bomb is CONFIG_UNPARSABLE (bad data in the cluster), not a crash', () => {
    const bomb = `${head}a: &a ["x","x","x","x","x","x","x","x","x"]\nb: &b [*a,*a,*a,*a,*a,*a,*a,*a,*a]\nc: &c [*b,*b,*b,*b,*b,*b,*b,*b,*b]\nd: &d [*c,*c,*c,*c,*c,*c,*c,*c,*c]\ne: [*d,*d,*d,*d,*d,*d,*d,*d,*d]\nmode: ipvs\n`
    expect(() => readProxyConfig(bomb)).toThrow(expect.objectContaining({code: 'CONFIG_UNPARSABLE', message: expect.stringMatching(/aliases/)}))
  })
  it('!!binary is refused, naming the tag, rather than read as something else', () => {
    expect(() => readProxyConfig(`${head}mode: !!binary aXB2cw==\n`)).toThrow(expect.objectContaining({code: 'CONFIG_UNPARSABLE', message: expect.stringMatching(/!!binary/)}))
  })
  it('plain aliases still work, as in Go', () => {
    expect(readProxyConfig(`${head}x: &m ipvs\nmode: *m\n`).settings.mode).toBe('ipvs')
  })
})
