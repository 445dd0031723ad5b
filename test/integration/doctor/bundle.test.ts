import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {extract} from 'tar'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runBin, runInProcess} from '../helpers.js'
import {healthyLab, type Lab, NS} from './fixture.js'

const SECRET = 'c2VjcmV0LW1lbWJlcmxpc3Qta2V5LWRvLW5vdC1sZWFr'
const PEER_PASSWORD = 'tor-md5-Pa55'
const LEGACY_PASSWORD = 'legacy-Pa55'

function listFiles(dir: string, prefix = ''): string[] {
  return readdirSync(join(dir, prefix), {withFileTypes: true}).flatMap((e) => (e.isDirectory() ? listFiles(dir, join(prefix, e.name)) : [join(prefix, e.name)]))
}

describe('lbctl doctor --bundle', () => {
  let lab: Lab
  let dir: string
  beforeAll(async () => {
    lab = await healthyLab()
    dir = mkdtempSync(join(tmpdir(), 'lbctl-bundle-test-'))
    lab.put({apiVersion: 'v1', kind: 'Secret', type: 'Opaque', metadata: {name: 'memberlist', namespace: NS}, data: {secretkey: SECRET}})
    lab.put({apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: {name: 'tor', namespace: NS}, spec: {myASN: 64512, peerASN: 64513, peerAddress: '198.18.0.1', password: PEER_PASSWORD}})
    lab.put({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'config', namespace: NS}, data: {config: `peers:\n- peer-address: 198.18.0.1\n  peer-asn: 64513\n  my-asn: 64512\n  password: ${LEGACY_PASSWORD}\n`}})
    lab.put({apiVersion: 'v1', kind: 'Event', metadata: {name: 'shop.1', namespace: 'web'}, involvedObject: {kind: 'Service', name: 'shop', namespace: 'web'}, reason: 'nodeAssigned', message: 'announcing from node "node-a" with protocol "layer2"', type: 'Normal'})
  })
  afterAll(async () => {
    await lab.close()
    rmSync(dir, {recursive: true, force: true})
  })

  it('writes one archive with the objects, events, diagnostics and kube-proxy config, redacted, and lists it', async () => {
    const file = join(dir, 'bundle.tar.gz')
    const r = await runInProcess(['doctor', '--bundle', file, '--json', '--kubeconfig', lab.c.kubeconfig])
    expect(r.code, r.stderr).toBe(0)
    const out = join(dir, 'x')
    const {mkdirSync} = await import('node:fs')
    mkdirSync(out)
    await extract({file, cwd: out})
    const files = listFiles(out).sort()
    expect(files).toEqual(expect.arrayContaining([
      'lbctl-doctor/README.txt', 'lbctl-doctor/doctor.json',
      'lbctl-doctor/metallb.io/ipaddresspools.yaml', 'lbctl-doctor/metallb.io/l2advertisements.yaml', 'lbctl-doctor/metallb.io/bgppeers.yaml',
      'lbctl-doctor/metallb.io/servicel2statuses.yaml', 'lbctl-doctor/metallb.io/configurationstates.yaml',
      'lbctl-doctor/services/services.yaml', 'lbctl-doctor/services/events.yaml', 'lbctl-doctor/services/endpointslices.yaml',
      'lbctl-doctor/kube-proxy/objects.yaml', 'lbctl-doctor/metallb-system/secrets.yaml', 'lbctl-doctor/metallb-system/configmaps.yaml',
      'lbctl-doctor/diagnostics/node-a-l2.json', 'lbctl-doctor/diagnostics/node-b-bgp.json',
    ]))
    expect(r.json.entries.map((e: any) => e.path).sort()).toEqual(files)
    const all = files.map((f) => readFileSync(join(out, f), 'utf8')).join('\n')
    for (const secret of [SECRET, PEER_PASSWORD, LEGACY_PASSWORD]) expect(all).not.toContain(secret)
    expect(readFileSync(join(out, 'lbctl-doctor/metallb-system/secrets.yaml'), 'utf8')).toContain('secretkey: <redacted>')
    expect(r.json.redacted).toEqual(expect.arrayContaining(['Secret/metallb-system/memberlist: data', 'BGPPeer/metallb-system/tor: spec.password', 'ConfigMap/metallb-system/config: data.config (password lines)']))
    expect(readFileSync(join(out, 'lbctl-doctor/services/events.yaml'), 'utf8')).toContain('announcing from node "node-a"')
    expect(JSON.parse(readFileSync(join(out, 'lbctl-doctor/diagnostics/node-a-l2.json'), 'utf8')).owned[0].address).toBe('203.0.113.1')
    // Component logs come through pods/log: each container's log is in the archive or listed with the reason it is not.
    for (const pod of ['lbctl-controller-7d9f-abcde', 'lbctl-speaker-node-a', 'lbctl-speaker-node-b', 'lbctl-speaker-node-c']) {
      const inArchive = files.some((f) => f.startsWith(`lbctl-doctor/logs/${pod}/`))
      const listed = r.json.notCollected.some((n: any) => n.what.startsWith(`log of ${pod}/`) && n.why.length > 0)
      expect(inArchive || listed, pod).toBe(true)
    }
  })

  it('prints what it collected (the built binary)', async () => {
    const file = join(dir, 'b2.tar.gz')
    const r = await runBin(['doctor', '--bundle', file, '--no-probe', '--kubeconfig', lab.c.kubeconfig])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(new RegExp(`^Wrote ${file} \\(\\d+ bytes, \\d+ files; doctor: 1 failed`))
    expect(r.stdout).toMatch(/ {2}lbctl-doctor\/metallb\.io\/ipaddresspools\.yaml +\d+ B/)
    expect(r.stdout).toContain('Redacted:')
  })

  it('refuses to overwrite a file, before reading the cluster', async () => {
    const file = join(dir, 'taken.tar.gz')
    writeFileSync(file, 'mine')
    const before = lab.c.server.requests.length
    const r = await runInProcess(['doctor', '--bundle', file, '--kubeconfig', lab.c.kubeconfig])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('already exists')
    expect(readFileSync(file, 'utf8')).toBe('mine')
    expect(lab.c.server.requests.length).toBe(before)
    expect(existsSync(join(dir, 'nodir', 'x.tar.gz'))).toBe(false)
  })
})
