// The speaker loop against the API server harness over HTTP (real client, real informers), two speakers in one
// process with recording engines: elections follow liveness, exactly one ServiceL2Status names the owner (a dead
// node's is removed by the cleaner), ConfigurationState names problems, and the owner records nodeAssigned.
import {pino} from 'pino'
import {afterEach, describe, expect, it} from 'vitest'
import {Kinds} from '../../../src/lib/api/constants.js'
import {crdManifests} from '../../../src/lib/api/crds.js'
import {loadRestTarget, RestKube} from '../../../src/lib/kube/rest.js'
import {ApiLiveness} from './api-liveness.js'
import {L2Manager, type L2EngineLike} from '../../../src/speaker/l2/manager.js'
import {SpeakerMetrics} from '../../../src/speaker/metrics.js'
import {Speaker} from '../../../src/speaker/speaker.js'
import {harness, type Harness, waitFor} from '../../harness/apiserver/test-helpers.js'

const NS = 'metallb-system'
const VIP = '203.0.113.10'

class Recorder implements L2EngineLike {
  owned = new Set<string>()
  own(a: string): void {
    this.owned.add(a)
  }
  release(a: string): boolean {
    return this.owned.delete(a)
  }
  setInterfaces(): void {}
}

let h: Harness | undefined
const speakers: Speaker[] = []
afterEach(async () => {
  for (const s of speakers.splice(0)) await s.stop(false)
  await h?.close()
  h = undefined
})

async function world(): Promise<{kube: RestKube; put: (o: any) => Promise<void>; status: (ref: any, name: string, status: unknown, ns?: string) => Promise<void>}> {
  h = await harness({crds: crdManifests()})
  const kube = new RestKube(loadRestTarget({kubeconfig: h.kubeconfigPath})!)
  const put = async (o: any): Promise<void> => void (await kube.create(o))
  const status = async (ref: any, name: string, s: unknown, ns?: string): Promise<void> => void (await kube.mergePatch(ref, name, ns, {status: s}, {subresource: 'status'}))
  await put({apiVersion: 'v1', kind: 'Namespace', metadata: {name: NS}})
  for (const n of ['n1', 'n2']) {
    await put({apiVersion: 'v1', kind: 'Node', metadata: {name: n}})
    await status(Kinds.Node, n, {conditions: [{type: 'Ready', status: 'True'}]})
    await put({apiVersion: 'v1', kind: 'Pod', metadata: {name: `sp-${n}`, namespace: NS, labels: {'app.kubernetes.io/name': 'lbctl', 'app.kubernetes.io/component': 'speaker'}},
      spec: {nodeName: n, containers: [{name: 's', image: 'x'}]}})
    await status({apiVersion: 'v1', kind: 'Pod', plural: 'pods'}, `sp-${n}`, {phase: 'Running', podIP: n === 'n1' ? '198.18.0.1' : '198.18.0.2', conditions: [{type: 'Ready', status: 'True'}]}, NS)
  }
  await put({apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: {name: 'p', namespace: NS}, spec: {addresses: ['203.0.113.0/24']}})
  await put({apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: {name: 'a', namespace: NS}, spec: {ipAddressPools: ['p']}})
  await put({apiVersion: 'v1', kind: 'Service', metadata: {name: 'web', namespace: 'default'}, spec: {type: 'LoadBalancer', ports: [{port: 80}]}})
  await status(Kinds.Service, 'web', {loadBalancer: {ingress: [{ip: VIP}]}}, 'default')
  await put({apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: {name: 'web-1', namespace: 'default', labels: {'kubernetes.io/service-name': 'web'}},
    addressType: 'IPv4', endpoints: [{addresses: ['10.0.0.1'], nodeName: 'n1', conditions: {ready: true}}]})
  return {kube, put, status}
}

function speaker(kube: RestKube, node: string): {s: Speaker; engine: Recorder; metrics: SpeakerMetrics} {
  const engine = new Recorder()
  const metrics = new SpeakerMetrics()
  const s = new Speaker({kube, node, namespace: NS, memberSelector: 'app.kubernetes.io/name=lbctl,app.kubernetes.io/component=speaker',
    membership: new ApiLiveness(node), l2: new L2Manager({node, engine}), log: pino({level: 'silent'}), metrics, resyncMs: 500})
  speakers.push(s)
  return {s, engine, metrics}
}

const l2Statuses = async (kube: RestKube): Promise<string[]> =>
  (await kube.list<any>(Kinds.ServiceL2Status, {namespace: NS})).items.map((o) => `${o.metadata.labels['metallb.io/service-name']}@${o.status?.node}`).sort()

describe('Speaker against the API harness', () => {
  it('one owner announces; after its speaker dies, the other takes over and exactly one ServiceL2Status names it', async () => {
    const {kube, status} = await world()
    const a = speaker(kube, 'n1')
    const b = speaker(kube, 'n2')
    await Promise.all([a.s.start(), b.s.start()])
    const owner = a.s.lastElection().assignments.get(VIP)!.owner
    expect(b.s.lastElection().assignments.get(VIP)!.owner).toBe(owner)
    const [win, lose] = owner === 'n1' ? [a, b] : [b, a]
    expect([...win.engine.owned]).toEqual([VIP])
    expect([...lose.engine.owned]).toEqual([])
    await waitFor(async () => (await l2Statuses(kube)).join() === `web@${owner}`, 5000, 'ServiceL2Status naming the owner')
    const events = (await kube.list<any>({apiVersion: 'v1', kind: 'Event', plural: 'events'}, {namespace: 'default'})).items
    expect(events.map((e) => [e.reason, e.message])).toContainEqual(['nodeAssigned', `announcing from node "${owner}" with protocol "layer2"`])
    const text = await win.metrics.registry.metrics()
    expect(text).toContain(`metallb_speaker_announced{service="default/web",protocol="layer2",node="${owner}",ip="${VIP}"} 1`)
    expect(await lose.metrics.registry.metrics()).not.toContain('metallb_speaker_announced{')

    // The owner's speaker dies without cleaning up; its Pod goes not Ready.
    await win.s.stop(false)
    await status({apiVersion: 'v1', kind: 'Pod', plural: 'pods'}, `sp-${owner}`, {conditions: [{type: 'Ready', status: 'False'}]}, NS)
    const other = owner === 'n1' ? 'n2' : 'n1'
    await waitFor(() => lose.engine.owned.has(VIP), 5000, 'the other node to take over')
    await waitFor(async () => (await l2Statuses(kube)).join() === `web@${other}`, 5000, 'exactly one ServiceL2Status naming the new owner')
  })

  it('reports configuration problems in ConfigurationState speaker-<node>, and Valid once fixed', async () => {
    const {kube, put} = await world()
    await put({apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: {name: 'bad', namespace: NS}, spec: {ipAddressPools: ['missing']}})
    const {s} = speaker(kube, 'n1')
    await s.start()
    const state = async (): Promise<any> => (await kube.get<any>(Kinds.ConfigurationState, 'speaker-n1', NS))?.status
    await waitFor(async () => (await state())?.result === 'Invalid', 5000, 'ConfigurationState Invalid')
    expect((await state()).errorSummary).toContain('L2Advertisement/bad: IPAddressPool missing does not exist (POOL_NOT_FOUND)')
    // A service with no endpoint: the cleaner (the only live speaker here) says why it is not announced.
    await put({apiVersion: 'v1', kind: 'Service', metadata: {name: 'idle', namespace: 'default'}, spec: {type: 'LoadBalancer', ports: [{port: 80}]}})
    await kube.mergePatch(Kinds.Service, 'idle', 'default', {status: {loadBalancer: {ingress: [{ip: '203.0.113.11'}]}}}, {subresource: 'status'})
    await waitFor(async () => (await kube.list<any>({apiVersion: 'v1', kind: 'Event', plural: 'events'}, {namespace: 'default'})).items
      .some((e) => e.reason === 'NotAnnounced' && e.message === '203.0.113.11 is not announced in layer 2: the service has no ready endpoint'), 5000, 'a NotAnnounced event')
    await kube.delete(Kinds.L2Advertisement, 'bad', NS)
    await waitFor(async () => (await state())?.result === 'Valid', 5000, 'ConfigurationState Valid')
  })
})
