// `lbctl install` for real (issue 14, "Done when"): the built images run as pods by the kubelet stand-in in a 3-node
// lab, with their own service-account tokens under the harness's RBAC. Layer 2: a LoadBalancer service is reachable
// from the client. Upgrade to another version tag: no address changes and the service stays reachable while a client
// polls it every 50 ms. Uninstall: refused while the service holds an address, with --force everything lbctl made is
// gone. BGP: FRR holds the service's route from all three nodes.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {PodLab} from '../../harness/kubelet/lab.js'
import type {Frr} from '../../harness/lab/frr.js'
import {missingBuild, missingFrr, missingPodman, missingTools, requireLab} from '../../harness/lab/prereq.js'
import {poll} from '../../harness/poll.js'
import {podman} from '../images/bases.js'
import {LAB_REGISTRY, LAB_TAG, labImage, labImages} from '../images/build.js'
import {InstallLab, NODE_ASN, NS, ROUTER_ASN, ROUTER_IP} from './install-lab.js'

// Per process: suites of other checkouts may run at the same time and remove their own tag afterwards.
const NEXT = `${LAB_TAG}-next-${process.pid}`
const POOL = '203.0.113.10-203.0.113.20'
/** The longest the upgrade may leave the service unanswered: a behaviour bound, not a benchmark. */
const MAX_GAP_MS = 5000

const missing = [...missingPodman(), ...missingTools(['mmdebstrap', 'npm', 'curl']), ...missingFrr(), ...missingBuild()]

/** Objects install makes that uninstall must take away (their kinds, and the label every one of them carries). */
const KINDS: Array<[string, string]> = [['v1', 'ServiceAccount'], ['v1', 'Secret'], ['v1', 'ConfigMap'], ['apps/v1', 'Deployment'], ['apps/v1', 'DaemonSet'],
  ['rbac.authorization.k8s.io/v1', 'ClusterRole'], ['rbac.authorization.k8s.io/v1', 'ClusterRoleBinding'], ['rbac.authorization.k8s.io/v1', 'Role'],
  ['rbac.authorization.k8s.io/v1', 'RoleBinding'], ['v1', 'Namespace']]

describe.runIf(requireLab(['curl'], missing))('lbctl install, upgrade and uninstall with the images run as pods', () => {
  let lab: InstallLab
  let frr: Frr | undefined
  let address = ''
  let bgpAddress = ''
  const events = () => PodLab.events.slice(-25).join('\n')
  const install = (args: string[]) => lab.lbctl(['install', '--image-registry', LAB_REGISTRY, '--wait', '--timeout', '3m', '--yes', ...args])
  const lbctlObjects = () => KINDS.flatMap(([v, k]) => lab.store.list(v, k).filter((o) => o.metadata.labels?.['app.kubernetes.io/part-of'] === 'lbctl')
    .map((o) => `${k}/${o.metadata.name}`))
  const lbctlPods = () => lab.store.list('v1', 'Pod').filter((p) => p.metadata.namespace === NS)

  beforeAll(async () => {
    const built = await labImages()
    for (const c of ['controller', 'speaker'] as const) {
      const r = await podman(['tag', labImage(c), labImage(c, NEXT)])
      if (r.exitCode !== 0) throw new Error(`podman tag: ${r.stderr}`)
    }
    process.stderr.write(`install lab: images ${built.reused ? 'reused' : `built (${built.images.map((i) => `${i.target} ${i.seconds} s`).join(', ')})`}\n`)
    lab = await InstallLab.create('ins')
  }, 30 * 60_000)
  afterAll(async () => {
    await frr?.stop()
    await lab?.destroy()
    for (const c of ['controller', 'speaker'] as const) await podman(['rmi', labImage(c, NEXT)])
  }, 120_000)

  it('install --mode l2 --wait returns once the controller and three speakers run, and the service is reachable from the client', async () => {
    const r = await install(['--mode', 'l2', '--pool', POOL, '--version', LAB_TAG])
    expect(r.exitCode, `${r.stderr}\n${events()}`).toBe(0)
    // --wait returned: the status the kubelet stand-in keeps from the containers' readiness probes says ready.
    const ds = lab.store.get('apps/v1', 'DaemonSet', NS, 'lbctl-speaker')
    expect(ds.status).toMatchObject({numberReady: 3, updatedNumberScheduled: 3, desiredNumberScheduled: 3})
    expect(lab.store.get('apps/v1', 'Deployment', NS, 'lbctl-controller').status).toMatchObject({readyReplicas: 1, updatedReplicas: 1})
    const running = (await lab.pods.kubelet.containers()).filter((c) => c.State === 'running')
    expect(running).toHaveLength(4)

    lab.addService('web')
    address = await lab.assigned('web')
    expect(address).toMatch(/^203\.0\.113\.(1\d|20)$/)
    const answer = await poll(() => lab.httpGet(address), {timeoutMs: 30_000, what: `an HTTP answer from ${address}`})
      .catch(async (e) => {
        throw new Error(`${(e as Error).message}\n${await lab.logs()}\n${JSON.stringify(lab.store.list('metallb.io/v1beta1', 'ServiceL2Status'))}`)
      })
    expect(['n1', 'n2', 'n3']).toContain(answer)
    // Both daemons talked to the API server as their own service accounts, and RBAC refused them nothing.
    const byDaemons = lab.pods.server.requests.filter((q) => q.user?.startsWith(`system:serviceaccount:${NS}:`))
    expect(new Set(byDaemons.map((q) => q.user))).toEqual(new Set([`system:serviceaccount:${NS}:lbctl-controller`, `system:serviceaccount:${NS}:lbctl-speaker`]))
    expect(byDaemons.filter((q) => q.status === 403 || q.status === 401).map((q) => `${q.user} ${q.method} ${q.path} ${q.status}`)).toEqual([])
    const owners = lab.store.list('metallb.io/v1beta1', 'ServiceL2Status').filter((s) => s.metadata.labels?.['metallb.io/service-name'] === 'web')
    expect(owners.map((o) => o.status?.node)).toHaveLength(1)
  }, 5 * 60_000)

  it('install --version NEXT upgrades every pod while the service keeps its address and answers', async () => {
    expect(address).not.toBe('')
    const poller = lab.startPoller(address)
    const seen = new Set<string>()
    // The rollout's shape, sampled: speakers one node at a time (2 of 3 ready at least), the controller new-then-old.
    let minSpeakers = 3
    let minControllers = 1
    const sampler = setInterval(() => {
      seen.add(lab.serviceIP('web') ?? 'none')
      minSpeakers = Math.min(minSpeakers, lab.store.get('apps/v1', 'DaemonSet', NS, 'lbctl-speaker')?.status?.numberReady ?? 0)
      minControllers = Math.min(minControllers, lab.store.get('apps/v1', 'Deployment', NS, 'lbctl-controller')?.status?.readyReplicas ?? 0)
    }, 50)
    let r
    try {
      await poll(() => poller.records.some((x) => x.ok), {timeoutMs: 10_000, what: 'the poller\'s first answer'})
      r = await install(['--mode', 'l2', '--version', NEXT])
      // Announcements settle after the last speaker restarted: keep polling a little past the end.
      await new Promise((res) => setTimeout(res, 2000))
    } finally {
      clearInterval(sampler)
      await poller.stop()
    }
    expect(r.exitCode, `${r.stderr}\n${events()}`).toBe(0)
    expect([...seen]).toEqual([address])
    const pods = lbctlPods()
    expect(pods.map((p) => p.spec.containers[0].image).sort()).toEqual([labImage('controller', NEXT), ...Array(3).fill(labImage('speaker', NEXT))])
    expect(lab.pods.kubelet.started.filter((s) => s.kind === 'DaemonSet')).toHaveLength(6)
    expect(lab.pods.kubelet.started.filter((s) => s.kind === 'Deployment')).toHaveLength(2)
    expect({minSpeakers, minControllers}).toEqual({minSpeakers: 2, minControllers: 1})

    const oks = poller.records.filter((x) => x.ok)
    let gap = 0
    for (let i = 1; i < oks.length; i++) gap = Math.max(gap, oks[i].t - oks[i - 1].t)
    const failed = poller.records.length - oks.length
    const answeredBy = [...new Set(oks.map((x) => x.body))].join(' → ')
    process.stderr.write(`upgrade: ${poller.records.length} polls, ${failed} failed, longest gap between answers ${gap} ms, answered by ${answeredBy}\n`)
    expect(oks.length).toBeGreaterThan(0)
    expect(gap).toBeLessThan(MAX_GAP_MS)
    expect(poller.records.at(-1)?.ok).toBe(true)
  }, 5 * 60_000)

  it('uninstall refuses while the service holds an address (exit 4, nothing removed); --force removes every object and container', async () => {
    const before = lbctlObjects()
    const refused = await lab.lbctl(['uninstall'])
    expect(refused.exitCode, refused.stderr).toBe(4)
    expect(refused.stderr).toContain('web')
    expect(lbctlObjects()).toEqual(before)
    expect((await lab.pods.kubelet.containers()).length).toBe(4)

    const r = await lab.lbctl(['uninstall', '--force'])
    expect(r.exitCode, r.stderr).toBe(0)
    await poll(async () => lbctlObjects().length === 0 && lbctlPods().length === 0 && (await lab.pods.kubelet.containers()).length === 0,
      {timeoutMs: 60_000, what: `every lbctl object and container gone (left: ${lbctlObjects().join(', ')})`})
    expect(lab.store.list('apiextensions.k8s.io/v1', 'CustomResourceDefinition').filter((c) => c.spec?.group === 'metallb.io')).toEqual([])
  }, 3 * 60_000)

  it('install --mode bgp: FRR holds the service\'s route from all three nodes', async () => {
    frr = await lab.startRouter()
    const r = await install(['--mode', 'bgp', '--pool', POOL, '--version', LAB_TAG,
      '--peer-address', ROUTER_IP, '--peer-asn', String(ROUTER_ASN), '--my-asn', String(NODE_ASN)])
    expect(r.exitCode, `${r.stderr}\n${events()}`).toBe(0)
    const ip = await lab.assigned('web')
    const paths = await poll(async () => (await frr!.rib('ipv4'))[`${ip}/32`] ?? [], {timeoutMs: 60_000, ok: (p) => p.length === 3,
      what: `three paths to ${ip}/32 in FRR\n${events()}`})
    const peers = paths.map((p: any) => lab.nodeOf(p.peerId ?? p.nexthops?.[0]?.ip)).sort()
    expect(peers).toEqual(['n1', 'n2', 'n3'])
    expect(paths.filter((p: any) => p.multipath || p.bestpath)).toHaveLength(3)
    bgpAddress = ip
  }, 5 * 60_000)

  it('an upgrade to an image that does not exist: --wait fails naming the controller, the old pods keep running and the routes stay', async () => {
    expect(bgpAddress).not.toBe('')
    const before = (await lab.pods.kubelet.containers()).map((c) => c.Names[0]).sort()
    const r = await lab.lbctl(['install', '--image-registry', LAB_REGISTRY, '--wait', '--timeout', '15s', '--yes', '--mode', 'bgp', '--version', 'no-such-tag'])
    expect(r.exitCode, r.stderr).toBe(1)
    expect(r.stderr).toMatch(/not ready after 15 s: controller: 1\/1 ready, 1 updated, 1 old/)
    // The new controller pod waits (its image is not there); the old one serves; the speakers were never touched.
    const waiting = lbctlPods().filter((p) => p.spec.containers[0].image === labImage('controller', 'no-such-tag'))
    expect(waiting).toHaveLength(1)
    expect(waiting[0].status.containerStatuses[0].state.waiting.message).toMatch(/podman run/)
    const running = (await lab.pods.kubelet.containers()).filter((c) => c.State === 'running').map((c) => c.Names[0]).sort()
    expect(running).toEqual(before)
    expect((await frr!.rib('ipv4'))[`${bgpAddress}/32`]).toHaveLength(3)
  }, 2 * 60_000)
})
