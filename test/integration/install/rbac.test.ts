// The controller and speaker work with exactly the access install gives them, and need every bit of it: for each verb
// of each rule install renders, a case runs the real daemon with its own ServiceAccount token under the harness's
// enforced RBAC with that one verb taken out, and the daemon is refused for it (a 403 the harness logged for that very
// request, and the daemon's own log or a missing write saying so). With all rules, both daemons do their whole job
// without one refusal, using every verb they were given. See rbac-lab.ts for the setting. The grants only some
// situations reach are reached on purpose: a repeated Event (the service's request toggled away and back; the L2
// advertisement taken away and back) is patched; another client's write lands before the controller's first status
// write (a real 409, then the controller reads the Service again); a BGPAdvertisement makes the speaker write
// ServiceBGPStatus (for the peers a service is configured to be advertised to: no session needs to be up).
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {crdManifests} from '../../../src/lib/api/crds.js'
import type {Component} from '../../../src/lib/install/names.js'
import {type ApiServer, startApiServer} from '../../harness/apiserver/index.js'
import {Lab, type LabNode, missingBuild, missingNative, requireLab} from '../../harness/lab/index.js'
import {forbidden, forwardInto, label, NODE, type Permission, permissions, type Proc, raceFirstStatusWrite, renderedAccess, seedCase, startDaemon, tmp,
  tokenKubeconfig, used, waitUntil, withoutPermission} from './rbac-lab.js'

interface Case {
  ns: string
  component: Component
  /** The verb taken out; none for the baseline. */
  without?: Permission
  proc?: Proc
  /**
   * The harness it runs against. Speakers share one; each controller gets its own, because a controller clears the
   * status of a Service of another class that carries the pool annotation (a class change), and every case's
   * controller writes that annotation.
   */
  server?: ApiServer
  /** What the speaker's diagnostics endpoint answered (GET /v1/l2 with a valid token). */
  diagnostics?: {status: number; body: string}
  /** Its ServiceBGPStatus objects once it had its chance to restore their labels (before the service goes away). */
  bgpStatuses?: any[]
}

const ALL = permissions()
const CASES: Case[] = [
  {ns: 'base-controller', component: 'controller'},
  {ns: 'base-speaker', component: 'speaker'},
  ...ALL.map((p, i) => ({ns: `rbac-${i}`, component: p.component, without: p})),
]
/** A request no pool can serve: the controller's decision goes to AllocationFailed and back when it is dropped. */
const NO_POOL_HAS = '203.0.113.250'
const IPS_ANNOTATION = 'metallb.io/loadBalancerIPs'
const SA = (c: Component) => `lbctl-${c}`
const ADMIN_TOKEN = 'lbctl-harness-token'
const BATCH = 12
/** How the daemons log a refused request. */
const REFUSAL_LOGGED = /forbidden|HTTP 403/i
/** Refusals a daemon does not log by design: the test looks at what is missing instead (the Event, the diagnostics answer). */
const NAMED_ELSEWHERE = new Set(['events', 'tokenreviews', 'subjectaccessreviews'])

describe.runIf(requireLab(['curl'], [...missingNative(), ...missingBuild()]))('install\'s RBAC, enforced: every verb it grants is needed, and enough', () => {
  let server: ApiServer
  let lab: Lab
  let node: LabNode
  let fwd: {url: string; close(): Promise<void>} | undefined
  const t = tmp()

  const refusedFor = (c: Case, p: Permission) => forbidden(c.server!, c.ns, SA(c.component)).filter((f) => f.verb === p.verb && f.group === p.group && f.resource === p.resource)
  const objectsIn = (apiVersion: string, kind: string, ns: string) => server.store.list(apiVersion, kind).filter((o) => o.metadata.namespace === ns)
  const l2Statuses = (ns: string) => objectsIn('metallb.io/v1beta1', 'ServiceL2Status', ns)
  const sessions = (ns: string) => objectsIn('lbctl.io/v1alpha1', 'BGPPeerSession', ns)
  const bgpStatuses = (ns: string) => objectsIn('metallb.io/v1beta1', 'ServiceBGPStatus', ns)
  /** The Events a case's daemon recorded on its Service, with `reason` (and a message matching `about`). */
  const eventsOf = (c: Case, reason: string, about = /./) => c.server!.store.list('v1', 'Event').filter((e) => e.involvedObject?.name === c.ns && e.reason === reason && about.test(e.message))
  const repeated = (c: Case, reason: string, about?: RegExp) => eventsOf(c, reason, about).some((e) => e.count >= 2)
  const statusObjects = (ns: string) => [...l2Statuses(ns), ...sessions(ns), ...bgpStatuses(ns)]
  /** As install runs the controller with more replicas (a Lease): the baseline and the Lease cases. */
  const leaderElect = (c: Case) => !c.without || c.without.resource === 'leases'

  beforeAll(async () => {
    server = await startApiServer({crds: crdManifests(), workloadReadyDelayMs: -1})
    lab = await Lab.create('rbac')
    node = await lab.addNode('sp')
    fwd = await forwardInto(node, server, t.dir)
    server.store.put({apiVersion: 'v1', kind: 'Node', metadata: {name: NODE, labels: {'kubernetes.io/hostname': NODE}},
      status: {conditions: [{type: 'Ready', status: 'True'}], addresses: [{type: 'InternalIP', address: '127.0.0.1'}]}})
    // A few daemons at a time: one harness answering sixty of them at once on a small machine times out.
    for (let b = 0; b < CASES.length; b += BATCH) await runBatch(CASES.slice(b, b + BATCH), b)
  }, 600_000)

  async function runBatch(batch: Case[], first: number): Promise<void> {
    const speakers = batch.filter((c) => c.component === 'speaker')
    /** Each case has shown its refusal, or got as far as `reached` says: either way, the next step may come. */
    const settled = (reached: (c: Case) => boolean) => () => batch.every((c) => (c.without && refusedFor(c, c.without).length > 0) || c.proc?.child.exitCode !== null || reached(c))
    await Promise.all(batch.map(async (c, j) => {
      const i = first + j
      c.server = c.component === 'speaker' ? server : await startApiServer({crds: crdManifests(), workloadReadyDelayMs: -1})
      const access = renderedAccess(c.ns)
      seedCase(c.server, c.ns, c.without ? withoutPermission(access, c.without) : access, c.component, `203.0.113.${i + 1}`)
      if (c.component === 'controller') raceFirstStatusWrite(c.server, c.ns)
      const token = c.server.issueToken(c.ns, SA(c.component)).token
      const kubeconfig = tokenKubeconfig(t.dir, c.ns, c.component === 'controller' ? c.server.url : fwd!.url, token)
      c.proc = startDaemon(c.component, c.ns, kubeconfig, node, i, leaderElect(c))
    }))
    // 1. The controller assigns and records; the speaker announces the service and opens (tries) its BGP session.
    const renewed = (l?: {spec?: {acquireTime?: string; renewTime?: string}}) => !!l?.spec?.renewTime && l.spec.renewTime !== l.spec.acquireTime
    const controllerDone = (c: Case) => {
      const get = (apiVersion: string, kind: string, ns: string | undefined, name: string) => c.server!.store.get(apiVersion, kind, ns, name)
      const svc = get('v1', 'Service', 'default', c.ns)
      return svc?.status?.loadBalancer?.ingress?.length > 0 && svc.metadata.annotations?.['metallb.io/ip-allocated-from-pool'] &&
        get('metallb.io/v1beta1', 'IPAddressPool', c.ns, 'pool')?.status?.assignedIPv4 === 1 && get('metallb.io/v1beta1', 'ConfigurationState', c.ns, 'controller')?.status &&
        (!leaderElect(c) || renewed(get('coordination.k8s.io/v1', 'Lease', c.ns, 'lbctl-controller')))
    }
    const announced = (c: Case) => (c.component === 'controller' ? controllerDone(c) : [l2Statuses, sessions, bgpStatuses].every((of) => of(c.ns).some((s) => s.status?.node === NODE)))
    await waitUntil(settled(announced), 60_000, 'every case to be refused or to announce').catch(() => undefined)
    // 2. Ask every speaker's diagnostics endpoint (TokenReview, SubjectAccessReview); tamper with the labels of its
    //    status objects (it patches them back).
    await Promise.all(speakers.map(async (c) => {
      const port = c.proc!.lines.map((l) => /"diagnosticsPort":(\d+)/.exec(l)?.[1]).find(Boolean)
      if (!port) return
      const r = await node.exec('curl', ['-sk', '-m', '5', '-w', '\n%{http_code}', '-H', `Authorization: Bearer ${ADMIN_TOKEN}`, `https://127.0.0.1:${port}/v1/l2`])
      const lines = r.stdout.trim().split('\n')
      c.diagnostics = {status: Number(lines.pop()), body: lines.join('\n')}
      for (const s of statusObjects(c.ns)) {
        const labels = {...s.metadata.labels}
        delete labels['metallb.io/service-name']
        delete labels['lbctl.io/peer']
        server.store.put({...s, metadata: {...s.metadata, labels}})
      }
    }))
    const relabelled = (c: Case) => c.component === 'controller' || statusObjects(c.ns).every((s) => s.metadata.labels?.['metallb.io/service-name'] || s.metadata.labels?.['lbctl.io/peer'])
    await waitUntil(settled(relabelled), 30_000, 'every case to be refused or to restore its labels').catch(() => undefined)
    for (const c of speakers) c.bgpStatuses = bgpStatuses(c.ns)
    await repeatEvents(batch, settled)
    // 3. The service and the peer go away: the speaker deletes what it wrote for them.
    for (const c of speakers) {
      server.store.delete('v1', 'Service', 'default', c.ns)
      server.store.delete('metallb.io/v1beta2', 'BGPPeer', c.ns, 'router')
    }
    const cleaned = (c: Case) => c.component === 'controller' || (l2Statuses(c.ns).length === 0 && sessions(c.ns).length === 0)
    await waitUntil(settled(cleaned), 30_000, 'every case to be refused or to clean up').catch(() => undefined)
    // The refusal reached the harness; let the daemons' log lines about it arrive before they are killed.
    const logged = (c: Case) => !c.without || NAMED_ELSEWHERE.has(c.without.resource) || refusedFor(c, c.without).length === 0 || REFUSAL_LOGGED.test(c.proc!.lines.join('\n'))
    await waitUntil(() => batch.every(logged), 5000, 'the daemons to log their refusals').catch(() => undefined)
    await stop(batch)
    await Promise.all(batch.filter((c) => c.server !== server).map((c) => c.server!.stop()))
  }

  /**
   * Make each daemon record an Event it recorded before, so it patches the Event's count: the controller's service asks
   * for an address no pool has and then stops asking (IPAllocated again); the speaker's L2Advertisement goes away and
   * comes back (nodeAssigned again).
   */
  async function repeatEvents(batch: Case[], settled: (reached: (c: Case) => boolean) => () => boolean): Promise<void> {
    const setRequest = (c: Case, ip?: string) => {
      const svc = c.server!.store.get('v1', 'Service', 'default', c.ns)
      const annotations = {...svc.metadata.annotations}
      if (ip) annotations[IPS_ANNOTATION] = ip
      else delete annotations[IPS_ANNOTATION]
      c.server!.store.put({...svc, metadata: {...svc.metadata, annotations}})
    }
    const l2 = (c: Case) => server.store.get('metallb.io/v1beta1', 'L2Advertisement', c.ns, 'l2')
    const saved = new Map(batch.filter((c) => c.component === 'speaker').map((c) => [c, l2(c)]))
    for (const c of batch) {
      if (c.component === 'controller') setRequest(c, NO_POOL_HAS)
      else server.store.delete('metallb.io/v1beta1', 'L2Advertisement', c.ns, 'l2')
    }
    const away = (c: Case) => (c.component === 'controller' ? eventsOf(c, 'AllocationFailed').length > 0 : l2Statuses(c.ns).length === 0)
    await waitUntil(settled(away), 30_000, 'every case to be refused or to stop serving the service').catch(() => undefined)
    for (const c of batch) {
      if (c.component === 'controller') setRequest(c)
      else {
        const {metadata: {name, namespace}, spec} = saved.get(c)!
        server.store.put({apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: {name, namespace}, spec})
      }
    }
    const again = (c: Case) => (c.component === 'controller' ? repeated(c, 'IPAllocated') : repeated(c, 'nodeAssigned', /"layer2"/))
    await waitUntil(settled(again), 30_000, 'every case to be refused or to count a repeated event').catch(() => undefined)
  }

  /** SIGKILL: what they did is recorded; an orderly shutdown (tested elsewhere) would only cost time here. */
  async function stop(batch: Case[]): Promise<void> {
    const procs = batch.flatMap((c) => (c.proc && c.proc.child.exitCode === null && c.proc.child.signalCode === null ? [c.proc] : []))
    for (const p of procs) p.child.kill('SIGKILL')
    await Promise.all(procs.map((p) => p.exited))
  }

  afterAll(async () => {
    await stop(CASES)
    await Promise.all(CASES.filter((c) => c.server && c.server !== server).map((c) => c.server!.stop().catch(() => undefined)))
    await fwd?.close()
    await lab?.destroy()
    await server?.stop()
    t.remove()
  }, 60_000)

  it('lists a case for every verb of every rule install renders', () => {
    expect(ALL.length).toBeGreaterThan(40)
    for (const p of ALL) expect(CASES.filter((c) => c.without === p), label(p)).toHaveLength(1)
  })

  it('the controller, with all of it: assigns, records its configuration and pool status, holds its lease, never refused', () => {
    const c = CASES[0]
    const ns = c.ns
    expect(forbidden(c.server!, ns, SA('controller'))).toEqual([])
    expect(c.server!.store.get('v1', 'Service', 'default', ns).status?.loadBalancer?.ingress).toEqual([{ip: '203.0.113.1'}])
    expect(c.server!.store.get('v1', 'Service', 'default', ns).metadata.annotations?.['metallb.io/ip-allocated-from-pool']).toBe('pool')
    expect(c.server!.store.get('metallb.io/v1beta1', 'ConfigurationState', ns, 'controller').status.result).toBe('Valid')
    expect(c.server!.store.get('metallb.io/v1beta1', 'IPAddressPool', ns, 'pool').status).toMatchObject({assignedIPv4: 1})
    // Held and renewed (the baseline waited for a second generation).
    expect(c.server!.store.get('coordination.k8s.io/v1', 'Lease', ns, 'lbctl-controller').spec).toMatchObject({holderIdentity: expect.any(String), acquireTime: expect.any(String)})
    // Its first status write met another client's write (a real 409), and it read the Service again.
    const status = `/api/v1/namespaces/default/services/${ns}/status`
    const conflict = c.server!.requests.findIndex((r) => r.method === 'PATCH' && r.path === status && r.status === 409)
    expect(conflict).toBeGreaterThanOrEqual(0)
    expect(c.server!.requests.slice(conflict).some((r) => r.method === 'GET' && r.path === `/api/v1/namespaces/default/services/${ns}` && r.status === 200)).toBe(true)
    // The request toggled away and back: one IPAllocated Event, its count raised by a patch.
    expect(eventsOf(c, 'IPAllocated')).toHaveLength(1)
    expect(eventsOf(c, 'IPAllocated')[0].count).toBeGreaterThanOrEqual(2)
  })

  it('the speaker, with all of it: announces, reports, answers diagnostics, cleans up, never refused', () => {
    const ns = 'base-speaker'
    expect(forbidden(server, ns, SA('speaker'))).toEqual([])
    expect(CASES[1].diagnostics?.status).toBe(200)
    expect(JSON.parse(CASES[1].diagnostics!.body)).toMatchObject({node: NODE})
    expect(server.store.get('metallb.io/v1beta1', 'ConfigurationState', ns, `speaker-${NODE}`).status.result).toBe('Valid')
    // One Event per protocol; layer 2's announced again after the advertisement came back, its count patched.
    expect(eventsOf(CASES[1], 'nodeAssigned', /"layer2"/).map((e) => e.count)).toEqual([expect.any(Number)])
    expect(repeated(CASES[1], 'nodeAssigned', /"layer2"/)).toBe(true)
    expect(eventsOf(CASES[1], 'nodeAssigned', /"bgp"/)).toHaveLength(1)
    // Configured to be advertised to the peer: its ServiceBGPStatus, labels restored after tampering, with a status.
    expect(CASES[1].bgpStatuses).toEqual([expect.objectContaining({
      metadata: expect.objectContaining({labels: expect.objectContaining({'metallb.io/service-name': ns, 'metallb.io/node': NODE})}),
      status: expect.objectContaining({node: NODE, serviceName: ns, peers: ['router']}),
    })])
    // Announced, then (service and peer gone) removed.
    for (const plural of ['servicel2statuses', 'servicebgpstatuses']) {
      expect(server.requests.some((r) => r.method === 'POST' && r.path === `/apis/metallb.io/v1beta1/namespaces/${ns}/${plural}` && r.status === 201), plural).toBe(true)
    }
    expect(l2Statuses(ns)).toEqual([])
    expect(sessions(ns)).toEqual([])
    expect(bgpStatuses(ns)).toEqual([])
  })

  it.each(['controller', 'speaker'] as const)('the %s used every verb it was given', (c) => {
    const granted = ALL.filter((p) => p.component === c).map((p) => `${p.verb} ${p.group} ${p.resource}`)
    const u = used(CASES.find((x) => x.ns === `base-${c}`)!.server!, `base-${c}`, SA(c))
    expect(granted.filter((g) => !u.has(g))).toEqual([])
  })

  it.each(CASES.filter((c) => c.without).map((c) => [label(c.without!), c] as const))('without %s: refused, and it shows', (_, c) => {
    const p = c.without!
    const refused = refusedFor(c, p)
    expect(refused, `${label(p)}: no 403 for it; the daemon's last lines:\n${c.proc!.lines.slice(-15).join('\n')}`).not.toEqual([])
    // Only the verb taken out was refused.
    expect(forbidden(c.server!, c.ns, SA(c.component)).filter((f) => !(f.verb === p.verb && f.group === p.group && f.resource === p.resource))).toEqual([])
    // It shows: the daemon's log names the refusal; where the daemon stays quiet by design, the Event is missing, or the
    // diagnostics endpoint turns a valid token away.
    if (p.resource === 'events' && p.verb === 'create') expect(c.server!.store.list('v1', 'Event').filter((e) => e.involvedObject?.name === c.ns)).toEqual([])
    else if (p.resource === 'events') {
      // Recorded once, repeated, and the repeat never counted.
      const ev = c.component === 'controller' ? eventsOf(c, 'IPAllocated') : eventsOf(c, 'nodeAssigned', /"layer2"/)
      expect(ev.map((e) => e.count)).toEqual([1])
    } else if (p.resource === 'tokenreviews' || p.resource === 'subjectaccessreviews') {
      expect(c.diagnostics?.status, JSON.stringify(c.diagnostics)).toBeGreaterThanOrEqual(400)
      expect(JSON.parse(c.diagnostics!.body).error.code).toBeTruthy()
    } else expect(c.proc!.lines.join('\n'), c.proc!.lines.join('\n')).toMatch(REFUSAL_LOGGED)
    // After the conflict it could not read the Service again, and said so (the watch brought the change instead).
    if (p.resource === 'services' && p.verb === 'get') expect(c.proc!.lines.join('\n')).toMatch(/forbidden.*re-reading the service after a conflict failed/)
    // The ServiceBGPStatus is missing, or stale.
    const bgp = c.bgpStatuses ?? []
    const created = server.requests.some((r) => r.method === 'POST' && r.path === `/apis/metallb.io/v1beta1/namespaces/${c.ns}/servicebgpstatuses` && r.status === 201)
    if (p.resource === 'servicebgpstatuses' && p.verb === 'create') expect([created, bgp]).toEqual([false, []])
    if (p.resource === 'servicebgpstatuses' && p.verb === 'patch') expect(bgp.map((s) => s.metadata.labels?.['metallb.io/service-name'] ?? 'label gone')).toEqual(['label gone'])
    if (p.resource === 'servicebgpstatuses/status') expect(bgp.map((s) => s.status?.node ?? 'no status')).toEqual(['no status'])
    // The service is gone; its status object stays.
    if (p.resource === 'servicebgpstatuses' && p.verb === 'delete') expect(bgpStatuses(c.ns)).toHaveLength(1)
  })
})
