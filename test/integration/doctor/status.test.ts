import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {runInProcess} from '../helpers.js'
import {healthyLab, type Lab, NS} from './fixture.js'

const session = (node: string, state: string, extra: Record<string, unknown> = {}) => ({
  apiVersion: 'lbctl.io/v1alpha1', kind: 'BGPPeerSession', metadata: {name: `${node}-tor`, namespace: NS, labels: {'lbctl.io/node': node, 'lbctl.io/peer': 'tor'}},
  status: {node, peer: 'tor', peerAddress: '198.18.0.1', state, ...extra},
})

describe('lbctl status and lbctl bgp status', () => {
  let lab: Lab
  beforeAll(async () => {
    lab = await healthyLab()
    lab.put(session('node-a', 'Established', {establishedSince: new Date(Date.now() - 3_725_000).toISOString(), prefixesAdvertised: 2, bfdState: 'Up'}))
    lab.put(session('node-b', 'Active', {lastError: {time: '2026-12-04T20:00:00Z', code: 6, subcode: 2, direction: 'received', message: 'maintenance'}}))
  })
  afterAll(() => lab.close())
  const run = (args: string[]) => runInProcess([...args, '--kubeconfig', lab.c.kubeconfig])

  it('status --json: components and versions, mode, pools with usage, sessions, what each node announces, configuration', async () => {
    const r = await run(['status', '--json'])
    expect(r.code, r.stderr).toBe(0)
    const s = r.json
    expect(s).toMatchObject({implementation: 'lbctl', mode: 'l2', version: 'dev', ready: true})
    expect(s.components.map((c: any) => [c.component, c.workload, `${c.ready}/${c.desired}`, c.versions])).toEqual([
      ['controller', 'Deployment/lbctl-controller', '1/1', ['dev']],
      ['speaker', 'DaemonSet/lbctl-speaker', '3/3', ['dev']],
    ])
    expect(s.pools).toEqual([expect.objectContaining({name: 'default', size: 16, inUse: 1, free: 15, advertisedBy: ['L2Advertisement/default']})])
    expect(s.announced).toEqual([{node: 'node-a', services: [{service: 'web/shop', addresses: ['203.0.113.1'], protocol: 'layer2'}]}])
    expect(s.configuration.map((c: any) => `${c.name}=${c.result}`)).toEqual(['controller=Valid', 'speaker-node-a=Valid', 'speaker-node-b=Valid', 'speaker-node-c=Valid'])
    expect(s.sessions.map((x: any) => [x.node, x.state, x.uptime])).toEqual([['node-a', 'Established', '1h2m'], ['node-b', 'Active', undefined]])
  })

  it('status prints one screen', async () => {
    const r = await run(['status'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/^lbctl dev in metallb-system, mode l2: ready/)
    expect(r.stdout).toMatch(/speaker\s+DaemonSet\/lbctl-speaker\s+3\/3\s+dev/)
    expect(r.stdout).toMatch(/node-a\s+web\/shop 203\.0\.113\.1 \(layer2\)/)
  })

  it('bgp status: state, uptime, prefixes and the last error decoded', async () => {
    const r = await run(['bgp', 'status', '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json.sessions).toEqual([
      expect.objectContaining({node: 'node-a', peer: 'tor', state: 'Established', uptime: '1h2m', prefixes: 2, bfd: 'Up'}),
      expect.objectContaining({node: 'node-b', peer: 'tor', state: 'Active', lastError: 'received NOTIFICATION 6/2 Cease: Administrative Shutdown — maintenance — at 2026-12-04T20:00:00Z'}),
    ])
    const t = await run(['bgp', 'status'])
    expect(t.stdout.split('\n')[0]).toMatch(/^NODE\s+PEER\s+ADDRESS\s+STATE\s+UPTIME\s+PREFIXES\s+LAST ERROR$/)
  })

  it('status --wait returns once a speaker that was not ready becomes ready', async () => {
    const pod = lab.c.server.store.get('v1', 'Pod', NS, 'lbctl-speaker-node-c')
    lab.put({...pod, status: {...pod.status, phase: 'Pending', conditions: [{type: 'Ready', status: 'False'}]}})
    const later = setTimeout(() => lab.put(pod), 1500)
    try {
      const r = await run(['status', '--wait', '--timeout', '30s', '--json'])
      expect(r.code, r.stderr).toBe(0)
      expect(r.json.ready).toBe(true)
    } finally {
      clearTimeout(later)
    }
  })

  it('status --wait fails with exit 1 naming what is not ready after the timeout', async () => {
    const pod = lab.c.server.store.get('v1', 'Pod', NS, 'lbctl-speaker-node-c')
    lab.put({...pod, status: {...pod.status, phase: 'Pending', conditions: [{type: 'Ready', status: 'False'}]}})
    try {
      const r = await run(['status', '--wait', '--timeout', '1s', '--json'])
      expect(r.code).toBe(1)
      expect(r.json.error.code).toBe('NOT_READY')
      expect(r.json.error.message).toContain('speaker 2/3 ready')
    } finally {
      lab.put(pod)
    }
  })
})
