// Planted faults, one per test: each makes doctor fail exactly the check that names it, with evidence and a fix; where
// the fix changes something, running it as printed makes that check pass.
import {afterEach, describe, expect, it} from 'vitest'
import {applyFix, doctorJson, endpointSlice, failed, failedIds, healthyLab, l2Adv, type Lab, lbService, NS, OWNER_MAC, pool, TOKEN, ipvsConf} from './fixture.js'
import {kubeProxyConfigMap} from '../../harness/fixtures/clusters.js'

let lab: Lab | undefined
afterEach(async () => {
  await lab?.close()
  lab = undefined
})

/** Plant, diagnose, and return the single failed check of that id. */
async function plant(id: string, change: (l: Lab) => void, args: string[] = ['-A', '--no-probe']) {
  lab = await healthyLab()
  change(lab)
  const r = await doctorJson(lab, args)
  expect(r.code, r.stderr).toBe(1)
  expect(failedIds(r.json)).toEqual([id])
  const [first] = failed(r.json, id)
  expect(first.fix, 'every failed check carries a fix').toMatch(/^(lbctl|kubectl) /)
  expect(first.fix).not.toMatch(/<|>|\bNAME\b|\bNAMESPACE\b/)
  return {r, check: first}
}

/** A fix that only shows more must still run as printed (exit 0) and change nothing (it sends only reads). */
async function showsMore(fix: string): Promise<string> {
  const from = lab!.c.server.requests.length
  const applied = await applyFix(lab!, fix)
  expect(applied.code, applied.output).toBe(0)
  const sent = lab!.c.server.requests.slice(from)
  expect(sent.length).toBeGreaterThan(0)
  expect(sent.filter((r) => r.method !== 'GET').map((r) => `${r.method} ${r.path}`)).toEqual([])
  return applied.output
}

async function fixPasses(id: string, fix: string, args: string[] = ['-A', '--no-probe']) {
  const applied = await applyFix(lab!, fix)
  expect(applied.code, applied.output).toBe(0)
  const after = await doctorJson(lab!, args)
  expect(failed(after.json, id)).toEqual([])
  return after
}

describe('lbctl doctor: planted faults', () => {
  it('strict ARP off with kube-proxy in IPVS mode → kube-proxy.strict-arp; `lbctl prepare --ipvs --yes` fixes it', async () => {
    const {check} = await plant('kube-proxy.strict-arp', (l) => l.put(kubeProxyConfigMap(ipvsConf(false))))
    expect(check.message).toContain('IPVS mode without strict ARP')
    expect(check.evidence).toEqual(expect.arrayContaining(['strictARP: false']))
    expect(check.fix).toBe('lbctl prepare --ipvs --yes')
    const after = await fixPasses('kube-proxy.strict-arp', check.fix!)
    expect(after.code).toBe(0)
  })

  it('a pool no advertisement selects → advertisement.pool-selected; the printed `lbctl pool set` fixes it', async () => {
    const {check} = await plant('advertisement.pool-selected', (l) => l.put(pool('spare', ['203.0.113.64/28'])))
    expect(check.message).toContain('pool spare is selected by no L2Advertisement or BGPAdvertisement')
    expect(check.fix).toBe('lbctl pool set 203.0.113.64/28 --name spare --advertise l2')
    expect((await fixPasses('advertisement.pool-selected', check.fix!)).code).toBe(0)
  })

  it('a requested address in no pool → allocation.requested-address; the printed `lbctl pool add` fixes that check', async () => {
    const {r, check} = await plant('allocation.requested-address', (l) => l.put(lbService('web', 'api', undefined, {annotations: {'metallb.io/loadBalancerIPs': '203.0.113.200'}})))
    expect(check.message).toBe('pending: requested address 203.0.113.200 is not in any IPAddressPool')
    expect(r.json.services.find((s: any) => s.name === 'api').brokenAt).toBe('allocation')
    expect(check.fix).toBe('lbctl pool add requested-web-api 203.0.113.200/32 --no-auto-assign')
    const after = await fixPasses('allocation.requested-address', check.fix!)
    // The address is in a pool now; the controller (not running here) has yet to assign it, and doctor says so.
    expect(failed(after.json, 'allocation.assigned')[0].message).toContain('pool requested-web-api has room')
  })

  it('an exhausted pool → allocation.pool-exhausted, naming the holders', async () => {
    const {check} = await plant('allocation.pool-exhausted', (l) => {
      l.put(pool('default', ['203.0.113.1/32']))
      l.put(lbService('web', 'api', undefined))
    })
    expect(check.message).toBe('pending: no IPv4 address left in pool default')
    expect(check.evidence[0]).toBe('pool default: 1 of 1 in use by web/shop')
    expect(check.fix).toBe('lbctl pool show default')
    expect(await showsMore(check.fix!)).toMatch(/web\/shop\s+203\.0\.113\.1/)
  })

  it('externalTrafficPolicy Local with no ready endpoint on the announcing node → endpoints.local-on-announcer', async () => {
    const {check} = await plant('endpoints.local-on-announcer', (l) => {
      l.put(lbService('web', 'shop', '203.0.113.1', {etp: 'Local'}))
      l.put(endpointSlice('web', 'shop', [{node: 'node-b', ready: true}, {node: 'node-a', ready: false}]))
    })
    expect(check.message).toContain('node-a announces the address but has no ready endpoint')
    expect(check.evidence).toEqual(['announcing: node-a', 'nodes with a ready endpoint: node-b'])
    expect(await showsMore(check.fix!)).toContain('shop-x1')
  })

  it('an L2Advertisement whose nodeSelectors match no node → advertisement.nodes', async () => {
    const {r, check} = await plant('advertisement.nodes', (l) => l.put(l2Adv('default', {ipAddressPools: ['default'], nodeSelectors: [{matchLabels: {rack: 'r9'}}]})))
    expect(check.message).toBe('L2Advertisement default: its nodeSelectors match no node, so nothing announces its pools')
    expect(check.evidence[0]).toBe('nodeSelectors: [{"matchLabels":{"rack":"r9"}}]')
    expect(r.json.services[0].brokenAt).toBe('advertisement')
    expect(await showsMore(check.fix!)).toContain('kubernetes.io/hostname=node-a')
  })

  it('a BGP peer with the wrong ASN → bgp.sessions, with the NOTIFICATION received', async () => {
    const {check} = await plant('bgp.sessions', (l) => {
      l.put({apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: {name: 'tor', namespace: NS}, spec: {myASN: 64512, peerASN: 64999, peerAddress: '198.18.0.1'}})
      l.put({apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: {name: 'bgp', namespace: NS}, spec: {ipAddressPools: ['default']}})
      for (const n of ['node-a', 'node-b', 'node-c']) {
        l.put({apiVersion: 'lbctl.io/v1alpha1', kind: 'BGPPeerSession', metadata: {name: `${n}-tor`, namespace: NS, labels: {'lbctl.io/node': n, 'lbctl.io/peer': 'tor'}},
          status: {node: n, peer: 'tor', peerAddress: '198.18.0.1', state: 'Active', lastError: {time: '2026-12-04T20:00:00Z', code: 2, subcode: 2, direction: 'received', message: 'peer expects AS 64512'}, prefixesAdvertised: 0}})
      }
    })
    expect(check.subject).toBe('BGPPeer metallb-system/tor')
    expect(check.message).toContain('received NOTIFICATION 2/2 Bad Peer AS')
    expect(check.evidence[0]).toBe('peerAddress 198.18.0.1, peerASN 64999, myASN 64512')
    expect(await showsMore(check.fix!)).toContain('peer expects AS 64512')
  })

  it('two MACs answering for a service address → wire.single-mac, naming both (from the diagnostics endpoint)', async () => {
    const {check} = await plant('wire.single-mac', (l) => l.answers.set('203.0.113.1', [OWNER_MAC, '02:00:00:00:00:99']), ['-A'])
    expect(check.message).toBe(`conflict: 2 MACs answer for 203.0.113.1: ${OWNER_MAC} (node-a/eth0, the announcer), 02:00:00:00:00:99 (no node of the cluster: another machine on the segment) — another machine on the segment uses the address`)
    expect(check.evidence).toEqual([
      `${OWNER_MAC} (node-a/eth0, the announcer) seen from node-b/eth0, node-c/eth0`,
      '02:00:00:00:00:99 (no node of the cluster: another machine on the segment) seen from node-b/eth0, node-c/eth0',
      'node-a reports announcing 203.0.113.1 on eth0',
      `node-a's MACs: ${OWNER_MAC} (eth0)`,
    ])
    expect(await showsMore(check.fix!)).toContain('l2-web-shop')
  })

  it('a speaker not running on the node that announces → speakers.running', async () => {
    const {r, check} = await plant('speakers.running', (l) => {
      const p = l.c.server.store.get('v1', 'Pod', NS, 'lbctl-speaker-node-a')
      p.status = {phase: 'Pending', conditions: [{type: 'Ready', status: 'False'}]}
      l.put(p)
    })
    expect(check.message).toContain('speaker not running on node-a')
    expect(check.fix).toBe('kubectl -n metallb-system describe pod lbctl-speaker-node-a')
    expect(await showsMore(check.fix!)).toMatch(/Status:\s+Pending/)
    const svc = failed(r.json, 'speakers.running').find((x) => x.subject === 'Service web/shop')!
    expect(svc.message).toContain('the speaker on node-a is not running')
    expect(r.json.services[0].brokenAt).toBe('announcement')
  })

  it('a stale MetalLB webhook configuration → leftovers.webhook; the printed kubectl delete fixes it', async () => {
    const {check} = await plant('leftovers.webhook', (l) => l.put({
      apiVersion: 'admissionregistration.k8s.io/v1', kind: 'ValidatingWebhookConfiguration', metadata: {name: 'metallb-webhook-configuration'},
      webhooks: [{name: 'ipaddresspoolvalidationwebhook.metallb.io', admissionReviewVersions: ['v1'], sideEffects: 'None', failurePolicy: 'Fail',
        clientConfig: {service: {name: 'metallb-webhook-service', namespace: NS, path: '/validate-metallb-io-v1beta1-ipaddresspool'}},
        rules: [{apiGroups: ['metallb.io'], apiVersions: ['v1beta1'], operations: ['CREATE', 'UPDATE'], resources: ['ipaddresspools']}]}],
    }))
    expect(check.message).toContain('Service metallb-system/metallb-webhook-service, which does not exist')
    expect(check.fix).toBe('kubectl delete validatingwebhookconfiguration metallb-webhook-configuration')
    expect((await fixPasses('leftovers.webhook', check.fix!)).code).toBe(0)
  })
})

describe('lbctl doctor: access and reachability', () => {
  it('says what the caller may not read (403) and skips what needs it', async () => {
    lab = await healthyLab()
    lab.c.server.faults.failFor(60_000, 403, {path: /\/events\b/})
    const r = await doctorJson(lab, ['-A', '--no-probe'])
    const access = r.json.checks.find((c: any) => c.id === 'access.read')
    expect(access.status).toBe('warn')
    expect(access.message).toContain('you may not read events (all namespaces)')
    expect(r.code).toBe(0)
  })

  it('exits 3 when the cluster cannot be reached', async () => {
    lab = await healthyLab()
    await lab.c.server.stop()
    const r = await doctorJson(lab, ['-A', '--no-probe'])
    expect(r.code).toBe(3)
    expect(r.json.error.code).toBe('UNREACHABLE')
  })

  it('skips the wire stage, saying why, when the diagnostics endpoints refuse the token', async () => {
    lab = await healthyLab()
    lab.c.server.acceptTokens([TOKEN, 'another'])
    const kc = lab.c.server.kubeconfigYaml().replace(TOKEN, 'another')
    const {writeFileSync} = await import('node:fs')
    writeFileSync(lab.c.kubeconfig, kc)
    const r = await doctorJson(lab, ['web/shop'])
    expect(r.code).toBe(0)
    const wire = r.json.services[0].stages.find((s: any) => s.stage === 'wire').checks[0]
    expect(wire.status).toBe('skip')
    expect(wire.evidence.join('\n')).toContain('answered HTTP 403: not allowed to get speakers/diagnostics')
  })
})
