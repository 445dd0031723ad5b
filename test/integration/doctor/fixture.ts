// A healthy lbctl installation in the API harness, written as the controller and the speakers would write it, plus
// speakers' diagnostics endpoints as small HTTPS servers that speak the documented JSON (CONTRACTS.md). The real
// speaker is not part of these tests; these servers exercise doctor's client and wire stage.
import {chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import https from 'node:https'
import type {AddressInfo} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import Ajv from 'ajv'
import {execa} from 'execa'
import {crdManifests} from '../../../src/lib/api/crds.js'
import {makeCertificates} from '../../harness/apiserver/tls.js'
import {KUBEADM_CONFIG_CONF, kubeadmConfigCM, kubeProxyConfigMap, kubeProxyDaemonSet} from '../../harness/fixtures/clusters.js'
import {BIN, type CliResult, type Cluster, ROOT, runInProcess, startCluster} from '../helpers.js'

export const NS = 'metallb-system'
export const NODES = ['node-a', 'node-b', 'node-c']
export const OWNER_MAC = '02:00:00:00:00:0a'
/** Each node's eth0 MAC; node-a announces web/shop. */
export const MAC_OF: Record<string, string> = {'node-a': OWNER_MAC, 'node-b': '02:00:00:00:00:0b', 'node-c': '02:00:00:00:00:0c'}
export interface NodeInterface {
  name: string
  mac: string
  state: string
}
const nodeInterfaces = (n: string): NodeInterface[] => [{name: 'eth0', mac: MAC_OF[n], state: 'usable'}, {name: 'lo', mac: '00:00:00:00:00:00', state: 'loopback'}]
export const TOKEN = 'lbctl-harness-token'
export const ipvsConf = (strictARP: boolean): string =>
  KUBEADM_CONFIG_CONF.replace('mode: ""', 'mode: "ipvs"').replace('  strictARP: false', `  strictARP: ${strictARP}`)

/** lbctl's session kind, made from the CRD src/lib/api has today when it does not yet define BGPPeerSession. */
function peerSessionCrd(): Record<string, any> | undefined {
  const all = crdManifests() as Array<Record<string, any>>
  if (all.some((c) => c.spec.names.plural === 'bgppeersessions')) return undefined
  const base = structuredClone(all.find((c) => c.spec.group === 'lbctl.io')!)
  base.metadata.name = 'bgppeersessions.lbctl.io'
  base.spec.names = {kind: 'BGPPeerSession', listKind: 'BGPPeerSessionList', plural: 'bgppeersessions', singular: 'bgppeersession', shortNames: ['bps']}
  return base
}

export interface FakeSpeaker {
  node: string
  port: number
  /** Requests seen: path and whether the bearer token was right. */
  requests: Array<{path: string; authorized: boolean}>
}

export interface Lab {
  c: Cluster
  speakers: FakeSpeaker[]
  /** address → MACs that answer it on the segment (what every prober sees). */
  answers: Map<string, string[]>
  /** node → the interfaces its speaker reports in /v1/l2 (eth0 with MAC_OF[node], and lo). */
  interfaces: Map<string, NodeInterface[]>
  /** The interfaces node-a's /v1/l2 says it announces 203.0.113.1 on (change in place). */
  ownerInterfaces: string[]
  /** `node/interface` pairs a speaker refuses to probe on (400 BAD_INTERFACE) though it reports them usable. */
  refuses: Set<string>
  put(obj: any): any
  close(): Promise<void>
}

const speakerLabels = {'app.kubernetes.io/name': 'lbctl', 'app.kubernetes.io/component': 'speaker', 'app.kubernetes.io/part-of': 'lbctl'}
const controllerLabels = {'app.kubernetes.io/name': 'lbctl', 'app.kubernetes.io/component': 'controller', 'app.kubernetes.io/part-of': 'lbctl'}

export const node = (name: string, labels: Record<string, string> = {}) => ({
  apiVersion: 'v1', kind: 'Node',
  metadata: {name, labels: {'kubernetes.io/hostname': name, 'kubernetes.io/os': 'linux', ...labels}, annotations: {'kubeadm.alpha.kubernetes.io/cri-socket': 'unix:///var/run/containerd/containerd.sock'}},
  status: {nodeInfo: {kubeletVersion: 'v1.31.0', kubeProxyVersion: 'v1.31.0', osImage: 'Debian GNU/Linux 12'}, conditions: [{type: 'Ready', status: 'True'}]},
})

export const l2Status = (svcNs: string, svc: string, nodeName: string) => ({
  apiVersion: 'metallb.io/v1beta1', kind: 'ServiceL2Status',
  metadata: {name: `l2-${svcNs}-${svc}`, namespace: NS, labels: {'metallb.io/node': nodeName, 'metallb.io/service-name': svc, 'metallb.io/service-namespace': svcNs}},
  status: {node: nodeName, serviceName: svc, serviceNamespace: svcNs, interfaces: [{name: 'eth0'}]},
})

export const lbService = (ns: string, name: string, ip: string | undefined, extra: {annotations?: Record<string, string>; etp?: 'Local' | 'Cluster'; labels?: Record<string, string>} = {}) => ({
  apiVersion: 'v1', kind: 'Service',
  metadata: {name, namespace: ns, labels: extra.labels ?? {app: name}, annotations: {...(ip ? {'metallb.io/ip-allocated-from-pool': 'default'} : {}), ...extra.annotations}, creationTimestamp: '2026-12-01T10:00:00Z'},
  spec: {type: 'LoadBalancer', selector: {app: name}, ports: [{port: 80, protocol: 'TCP', targetPort: 8080}], externalTrafficPolicy: extra.etp ?? 'Cluster', clusterIP: '10.96.0.20'},
  status: {loadBalancer: ip ? {ingress: [{ip, ipMode: 'VIP'}]} : {}},
})

export const endpointSlice = (ns: string, svc: string, endpoints: Array<{node: string; ready: boolean}>) => ({
  apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4',
  metadata: {name: `${svc}-x1`, namespace: ns, labels: {'kubernetes.io/service-name': svc}},
  endpoints: endpoints.map((e, i) => ({addresses: [`10.244.${i}.5`], conditions: {ready: e.ready}, nodeName: e.node})),
  ports: [{port: 8080, protocol: 'TCP'}],
})

export const pool = (name: string, addresses: string[]) => ({apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: {name, namespace: NS}, spec: {addresses, autoAssign: true, avoidBuggyIPs: false}})
export const l2Adv = (name: string, spec: Record<string, unknown> = {}) => ({apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: {name, namespace: NS}, spec})

async function startSpeaker(nodeName: string, answers: Map<string, string[]>, interfaces: Map<string, NodeInterface[]>, ownerInterfaces: string[], refuses: Set<string>, cert: {key: string; cert: string}): Promise<FakeSpeaker & {server: https.Server}> {
  const requests: FakeSpeaker['requests'] = []
  const send = (res: import('node:http').ServerResponse, status: number, body: unknown): void => {
    res.writeHead(status, {'content-type': 'application/json'})
    res.end(JSON.stringify(body))
  }
  const server = https.createServer({key: cert.key, cert: cert.cert}, (req, res) => {
    const url = new URL(req.url ?? '/', 'https://x')
    const authorized = req.headers.authorization === `Bearer ${TOKEN}`
    requests.push({path: url.pathname + url.search, authorized})
    if (!authorized) return send(res, 403, {error: {code: 'Forbidden', message: 'not allowed to get speakers/diagnostics'}})
    if (url.pathname === '/v1/bgp') return send(res, 200, {node: nodeName, sessions: [], routes: []})
    if (url.pathname === '/v1/l2') {
      return send(res, 200, {node: nodeName, owned: nodeName === 'node-a' ? [{address: '203.0.113.1', interfaces: ownerInterfaces, services: ['web/shop']}] : [], membership: {source: 'memberlist', alive: NODES, reason: ''},
        ...(interfaces.has(nodeName) ? {interfaces: interfaces.get(nodeName)} : {})})
    }
    if (url.pathname !== '/v1/probe') return send(res, 404, {error: {code: 'NotFound', message: url.pathname}})
    const address = url.searchParams.get('address') ?? ''
    const macs = answers.get(address) ?? []
    // As the speaker: an interface it serves (the usable ones it reports), else 400 BAD_INTERFACE; default eth0.
    const iface = url.searchParams.get('interface') ?? 'eth0'
    if (!(interfaces.get(nodeName) ?? []).some((i) => i.name === iface && i.state === 'usable') || refuses.has(`${nodeName}/${iface}`)) return send(res, 400, {error: {code: 'BAD_INTERFACE', message: `interface "${iface}" is not one this speaker serves`}})
    send(res, 200, {node: nodeName, address, results: [{interface: iface, answers: macs.map((mac) => ({mac, ip: address}))}]})
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {node: nodeName, port: (server.address() as AddressInfo).port, requests, server}
}

/** The healthy installation: 3 nodes, IPVS with strict ARP, a pool, an L2Advertisement, web/shop announced from node-a. */
export async function healthyLab(opts: {upstream?: boolean} = {}): Promise<Lab> {
  const c = await startCluster({crds: !opts.upstream})
  const crds = opts.upstream ? (crdManifests() as Array<Record<string, any>>).filter((d) => d.spec.group === 'metallb.io') : [peerSessionCrd()].filter((x) => x !== undefined)
  for (const extra of crds) await fetch(`${c.server.url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`, {method: 'POST', headers: {'content-type': 'application/json', authorization: `Bearer ${TOKEN}`}, body: JSON.stringify(extra)}).then(async (r) => {
    if (r.status !== 201) throw new Error(`BGPPeerSession CRD: ${r.status} ${await r.text()}`)
  })
  const put = (o: any) => c.server.store.put(structuredClone(o))
  const answers = new Map<string, string[]>([['203.0.113.1', [OWNER_MAC]]])
  const cert = makeCertificates()
  const interfaces = new Map(NODES.map((n) => [n, nodeInterfaces(n)]))
  const ownerInterfaces = ['eth0']
  const refuses = new Set<string>()
  const speakers = await Promise.all(NODES.map((n) => startSpeaker(n, answers, interfaces, ownerInterfaces, refuses, cert)))

  for (const n of NODES) put(node(n))
  put({apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'web'}})
  put(kubeProxyDaemonSet())
  put(kubeProxyConfigMap(ipvsConf(true)))
  put(kubeadmConfigCM())
  if (opts.upstream) {
    // MetalLB v0.14 from its plain manifests: its own names and labels, its images, no lbctl.io kinds.
    const m = (component: string) => ({app: 'metallb', component})
    put({apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: 'controller', namespace: NS, labels: m('controller')}, spec: {replicas: 1, selector: {matchLabels: m('controller')}, template: {metadata: {labels: m('controller')}, spec: {containers: [{name: 'controller', image: 'quay.io/metallb/controller:v0.14.9'}]}}}, status: {replicas: 1, readyReplicas: 1}})
    put({apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: {name: 'speaker', namespace: NS, labels: m('speaker')}, spec: {selector: {matchLabels: m('speaker')}, template: {metadata: {labels: m('speaker')}, spec: {containers: [{name: 'speaker', image: 'quay.io/metallb/speaker:v0.14.9'}]}}}, status: {desiredNumberScheduled: 3, numberReady: 3}})
    const image = (pod: any, img: string) => put({...pod, spec: {...pod.spec, containers: [{...pod.spec.containers[0], image: img}]}})
    image(c.server.registerPod(NS, 'controller-5c9f-abcde', {ip: '127.0.0.1', nodeName: 'node-b', labels: m('controller')}), 'quay.io/metallb/controller:v0.14.9')
    for (const s of speakers) image(c.server.registerPod(NS, `speaker-${s.node}`, {ip: '127.0.0.1', nodeName: s.node, labels: m('speaker')}), 'quay.io/metallb/speaker:v0.14.9')
    put(pool('default', ['203.0.113.0/28']))
    put(l2Adv('default', {ipAddressPools: ['default']}))
    put(lbService('web', 'shop', '203.0.113.1'))
    put(endpointSlice('web', 'shop', [{node: 'node-b', ready: true}]))
    put(l2Status('web', 'shop', 'node-a'))
    return {c, speakers, answers, interfaces, ownerInterfaces, refuses, put, close: () => closeAll(c, speakers)}
  }
  put({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'lbctl-install', namespace: NS, labels: {'app.kubernetes.io/part-of': 'lbctl'}}, data: {mode: 'l2', version: 'dev', installedAt: '2026-12-01T09:00:00Z'}})
  put({apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: 'lbctl-controller', namespace: NS, labels: controllerLabels}, spec: {replicas: 1, selector: {matchLabels: controllerLabels}, template: {metadata: {labels: controllerLabels}, spec: {containers: [{name: 'controller', image: 'lbctl:dev'}]}}}, status: {replicas: 1, readyReplicas: 1}})
  put({apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: {name: 'lbctl-speaker', namespace: NS, labels: speakerLabels}, spec: {selector: {matchLabels: speakerLabels}, template: {metadata: {labels: speakerLabels}, spec: {containers: [{name: 'speaker', image: 'lbctl:dev'}]}}}, status: {desiredNumberScheduled: 3, numberReady: 3}})
  c.server.registerPod(NS, 'lbctl-controller-7d9f-abcde', {ip: '127.0.0.1', nodeName: 'node-b', labels: controllerLabels})
  for (const s of speakers) c.server.registerPod(NS, `lbctl-speaker-${s.node}`, {ip: '127.0.0.1', nodeName: s.node, labels: speakerLabels, ports: [{name: 'diagnostics', containerPort: s.port}]})
  for (const name of ['controller', ...NODES.map((n) => `speaker-${n}`)]) {
    put({apiVersion: 'metallb.io/v1beta1', kind: 'ConfigurationState', metadata: {name, namespace: NS}, status: {result: 'Valid', errorSummary: '', conditions: [{type: 'Valid', status: 'True', reason: 'ConfigurationValid', message: 'configuration loaded'}]}})
  }
  put(pool('default', ['203.0.113.0/28']))
  put(l2Adv('default', {ipAddressPools: ['default']}))
  put(lbService('web', 'shop', '203.0.113.1'))
  put(endpointSlice('web', 'shop', [{node: 'node-b', ready: true}]))
  put(l2Status('web', 'shop', 'node-a'))
  return {c, speakers, answers, interfaces, ownerInterfaces, refuses, put, close: () => closeAll(c, speakers)}
}

async function closeAll(c: Cluster, speakers: Array<{server: https.Server}>): Promise<void> {
  await Promise.all(speakers.map((s) => new Promise<void>((resolve) => s.server.close(() => resolve()))))
  await c.close()
}

/** Distinct ids of the failed checks, cluster-wide and in every service's verdict. */
export function failedIds(report: {checks: Array<{id: string; status: string}>; services: Array<{stages: Array<{checks: Array<{id: string; status: string}>}>}>}): string[] {
  const all = [...report.checks, ...report.services.flatMap((s) => s.stages.flatMap((st) => st.checks))]
  return [...new Set(all.filter((x) => x.status === 'fail').map((x) => x.id))].sort()
}

/** The failed checks with one id. */
export function failed(report: any, id: string): Array<{id: string; message: string; evidence: string[]; fix?: string; subject?: string}> {
  const all = [...report.checks, ...report.services.flatMap((s: any) => s.stages.flatMap((st: any) => st.checks))]
  return all.filter((x: any) => x.status === 'fail' && x.id === id)
}

/** Run `lbctl doctor … --json` in process and check the output against schemas/doctor.schema.json. */
export async function doctorJson(lab: Lab, args: string[]): Promise<CliResult> {
  const r = await runInProcess(['doctor', ...args, '--json', '--kubeconfig', lab.c.kubeconfig])
  if (r.json && !r.json.error) {
    if (!validate(r.json)) throw new Error(`doctor --json does not match schemas/doctor.schema.json: ${JSON.stringify(validate.errors, null, 1)}`)
  }
  return r
}

const schema = JSON.parse(readFileSync(join(ROOT, 'schemas', 'doctor.schema.json'), 'utf8'))
const validate = new Ajv({allErrors: true}).compile(schema)
export const validateReport = (x: unknown): {ok: boolean; errors: unknown} => ({ok: validate(x) as boolean, errors: validate.errors})

/**
 * Run a printed fix as a person would: `sh -c FIX` with `lbctl` on PATH (the built binary) and the harness's
 * kubeconfig in KUBECONFIG; kubectl is the real one.
 */
export async function applyFix(lab: Lab, fix: string): Promise<{code: number; output: string}> {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-fix-'))
  const shim = join(dir, 'lbctl')
  writeFileSync(shim, `#!/bin/sh\nexec ${JSON.stringify(process.execPath)} ${JSON.stringify(BIN)} "$@"\n`)
  chmodSync(shim, 0o755)
  try {
    const r = await execa('sh', ['-c', fix], {env: {PATH: `${dir}:${process.env.PATH}`, KUBECONFIG: lab.c.kubeconfig, NO_COLOR: '1'}, reject: false, stdin: 'ignore', timeout: 60_000, all: true})
    return {code: r.exitCode ?? -1, output: String(r.all ?? '')}
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}
