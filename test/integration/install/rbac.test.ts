// The controller and speaker work with exactly the access install gives them, and need every bit of it: for each verb
// of each rule install renders, a case runs the real daemon with its own ServiceAccount token under the harness's
// enforced RBAC with that one verb taken out, and the daemon is refused for it (a 403 the harness logged for that very
// request, and the daemon's own log or a missing write saying so). With all rules, both daemons do their whole job
// without one refusal, using every verb they were given. See rbac-lab.ts for the setting.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {crdManifests} from '../../../src/lib/api/crds.js'
import type {Component} from '../../../src/lib/install/names.js'
import {type ApiServer, startApiServer} from '../../harness/apiserver/index.js'
import {Lab, type LabNode, missingBuild, missingNative, requireLab} from '../../harness/lab/index.js'
import {forbidden, forwardInto, label, NODE, type Permission, permissions, type Proc, renderedAccess, seedCase, startDaemon, tmp,
  tokenKubeconfig, used, waitUntil, withoutPermission} from './rbac-lab.js'

/**
 * Verbs install grants that a run of seconds cannot reach, and why. The baseline asserts it used every other granted
 * verb and none of these, so this list cannot hide an unused grant.
 */
const NOT_EXERCISED: Record<string, string> = {
  'controller cluster get services': 'read again only after a write conflict (a stale cache), which no run can be sure to meet',
  'controller cluster patch events': 'a repeated event\'s count is written at most once a minute (EventRecorder countEveryMs)',
  'speaker cluster patch events': 'a repeated event\'s count is written at most once a minute (EventRecorder countEveryMs)',
  ...Object.fromEntries(['create servicebgpstatuses', 'patch servicebgpstatuses', 'delete servicebgpstatuses', 'patch servicebgpstatuses/status'].map((v) => [
    `speaker namespaced ${v.replace(/ (\S+)$/, ' $1.metallb.io')}`,
    'written only for routes advertised over an established BGP session (a router): test/lab/speaker\'s BGP suites write them',
  ])),
}

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
}

const ALL = permissions()
const CASES: Case[] = [
  {ns: 'base-controller', component: 'controller'},
  {ns: 'base-speaker', component: 'speaker'},
  ...ALL.filter((p) => !(label(p) in NOT_EXERCISED)).map((p, i) => ({ns: `rbac-${i}`, component: p.component, without: p})),
]
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
    const announced = (c: Case) => (c.component === 'controller' ? controllerDone(c) : l2Statuses(c.ns).some((s) => s.status?.node === NODE) && sessions(c.ns).some((s) => s.status?.node === NODE))
    await waitUntil(settled(announced), 60_000, 'every case to be refused or to announce').catch(() => undefined)
    // 2. Ask every speaker's diagnostics endpoint (TokenReview, SubjectAccessReview); tamper with the labels of its
    //    status objects (it patches them back).
    await Promise.all(speakers.map(async (c) => {
      const port = c.proc!.lines.map((l) => /"diagnosticsPort":(\d+)/.exec(l)?.[1]).find(Boolean)
      if (!port) return
      const r = await node.exec('curl', ['-sk', '-m', '5', '-w', '\n%{http_code}', '-H', `Authorization: Bearer ${ADMIN_TOKEN}`, `https://127.0.0.1:${port}/v1/l2`])
      const lines = r.stdout.trim().split('\n')
      c.diagnostics = {status: Number(lines.pop()), body: lines.join('\n')}
      for (const s of [...l2Statuses(c.ns), ...sessions(c.ns)]) {
        const labels = {...s.metadata.labels}
        delete labels['metallb.io/service-name']
        delete labels['lbctl.io/peer']
        server.store.put({...s, metadata: {...s.metadata, labels}})
      }
    }))
    const relabelled = (c: Case) => c.component === 'controller' || [...l2Statuses(c.ns), ...sessions(c.ns)].every((s) => s.metadata.labels?.['metallb.io/service-name'] || s.metadata.labels?.['lbctl.io/peer'])
    await waitUntil(settled(relabelled), 30_000, 'every case to be refused or to restore its labels').catch(() => undefined)
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

  it('lists a case for every verb of every rule install renders, or says why it cannot be reached', () => {
    expect(ALL.length).toBeGreaterThan(40)
    for (const p of ALL) expect(label(p) in NOT_EXERCISED || CASES.some((c) => c.without === p), label(p)).toBe(true)
    for (const k of Object.keys(NOT_EXERCISED)) expect(ALL.map(label), k).toContain(k)
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
  })

  it('the speaker, with all of it: announces, reports, answers diagnostics, cleans up, never refused', () => {
    const ns = 'base-speaker'
    expect(forbidden(server, ns, SA('speaker'))).toEqual([])
    expect(CASES[1].diagnostics?.status).toBe(200)
    expect(JSON.parse(CASES[1].diagnostics!.body)).toMatchObject({node: NODE})
    expect(server.store.get('metallb.io/v1beta1', 'ConfigurationState', ns, `speaker-${NODE}`).status.result).toBe('Valid')
    expect(server.store.list('v1', 'Event').filter((e) => e.involvedObject?.name === ns && e.reason === 'nodeAssigned')).toHaveLength(1)
    // Announced, then (service and peer gone) removed.
    expect(server.requests.some((r) => r.method === 'POST' && r.path === `/apis/metallb.io/v1beta1/namespaces/${ns}/servicel2statuses` && r.status === 201)).toBe(true)
    expect(l2Statuses(ns)).toEqual([])
    expect(sessions(ns)).toEqual([])
  })

  it.each(['controller', 'speaker'] as const)('the %s used every verb it was given (but the unreachable ones)', (c) => {
    const granted = ALL.filter((p) => p.component === c && !(label(p) in NOT_EXERCISED)).map((p) => `${p.verb} ${p.group} ${p.resource}`)
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
    if (p.resource === 'events') expect(c.server!.store.list('v1', 'Event').filter((e) => e.involvedObject?.name === c.ns)).toEqual([])
    else if (p.resource === 'tokenreviews' || p.resource === 'subjectaccessreviews') {
      expect(c.diagnostics?.status, JSON.stringify(c.diagnostics)).toBeGreaterThanOrEqual(400)
      expect(JSON.parse(c.diagnostics!.body).error.code).toBeTruthy()
    } else expect(c.proc!.lines.join('\n'), c.proc!.lines.join('\n')).toMatch(REFUSAL_LOGGED)
  })
})
