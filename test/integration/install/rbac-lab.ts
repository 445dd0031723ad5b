// The real controller and speaker (bin/controller.js, bin/speaker.js) against one API server harness, each case in a
// namespace of its own with its own ServiceAccount tokens and exactly the RBAC objects install renders for that
// namespace — minus at most one verb of one rule. Cases share the harness (each install names its ClusterRoles after
// its namespace, and each case's daemons serve only services of the case's load-balancer class), so every case runs
// at once. The speakers run in one network namespace of their own (only `lo`), reaching the harness through a Unix
// socket forwarder: they never see the machine's interfaces.
import {type ChildProcess, spawn} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createServer, connect, type Server} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {stringify} from 'yaml'
import {planManifests, type Manifest} from '../../../src/lib/install/manifests.js'
import type {Component} from '../../../src/lib/install/names.js'
import {RULES} from '../../../src/lib/install/rbac.js'
import type {ApiServer, RequestRecord} from '../../harness/apiserver/index.js'
import {requestAttributes} from '../../harness/apiserver/rbac.js'
import type {LabNode} from '../../harness/lab/index.js'
import {ROOT} from '../helpers.js'

/** One verb of one resource of one rule install grants. */
export interface Permission {
  component: Component
  scope: 'cluster' | 'namespaced'
  group: string
  /** `resource` or `resource/subresource`, as in the rule. */
  resource: string
  verb: string
}

export const label = (p: Permission): string => `${p.component} ${p.scope} ${p.verb} ${p.group ? `${p.resource}.${p.group}` : p.resource}`

/** Every (group, resource, verb) of every rule install renders, per component and scope. */
export function permissions(): Permission[] {
  const out: Permission[] = []
  for (const component of ['controller', 'speaker'] as const) {
    for (const scope of ['cluster', 'namespaced'] as const) {
      for (const r of RULES[component][scope]) {
        for (const group of r.apiGroups ?? []) for (const resource of r.resources ?? []) for (const verb of r.verbs) out.push({component, scope, group, resource, verb})
      }
    }
  }
  return out
}

/** What install renders for `namespace`: the ServiceAccounts, (Cluster)Roles and bindings. */
export function renderedAccess(namespace: string): Manifest[] {
  const kinds = new Set(['ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'])
  return planManifests({
    namespace, mode: 'l2', version: '0.0.0', controllerImage: 'x', speakerImage: 'x', controllerReplicas: 1, logLevel: 'info', installedAt: '2026-01-01T00:00:00Z',
  }).map((p) => p.object).filter((o) => kinds.has(o.kind))
}

/** The same objects with one verb taken out of the one rule that grants it (the other resources of that rule keep it). */
export function withoutPermission(objects: Manifest[], p: Permission): Manifest[] {
  const roleKind = p.scope === 'cluster' ? 'ClusterRole' : 'Role'
  let removed = 0
  const out = objects.map((o) => {
    if (o.kind !== roleKind || o.metadata.labels?.['app.kubernetes.io/component'] !== p.component) return o
    const rules = (o.rules as Array<{apiGroups: string[]; resources: string[]; verbs: string[]}>).flatMap((r) => {
      if (!r.apiGroups.includes(p.group) || !r.resources.includes(p.resource) || !r.verbs.includes(p.verb)) return [r]
      removed++
      const rest = r.resources.filter((x) => x !== p.resource)
      const verbs = r.verbs.filter((v) => v !== p.verb)
      return [...(rest.length ? [{...r, resources: rest}] : []), ...(verbs.length ? [{...r, resources: [p.resource], verbs}] : [])]
    })
    return {...o, rules}
  })
  if (removed !== 1) throw new Error(`${label(p)}: expected one rule granting it, found ${removed}`)
  return out
}

/** Requests a ServiceAccount sent that the harness refused (403), as the authorizer saw them. */
export function forbidden(server: ApiServer, namespace: string, sa: string): Array<{verb: string; group: string; resource: string; namespace?: string; path: string}> {
  const user = `system:serviceaccount:${namespace}:${sa}`
  return server.requests.filter((r: RequestRecord) => r.user === user && r.status === 403).map((r) => {
    const a = requestAttributes({username: user, groups: []}, r.method, r.path, new URLSearchParams(r.query))
    return {verb: a.verb, group: a.group ?? '', resource: a.subresource ? `${a.resource}/${a.subresource}` : a.resource!, namespace: a.namespace, path: r.path}
  })
}

/** (verb, group, resource) a ServiceAccount was granted and used successfully (status < 400). */
export function used(server: ApiServer, namespace: string, sa: string): Set<string> {
  const user = `system:serviceaccount:${namespace}:${sa}`
  const out = new Set<string>()
  for (const r of server.requests) {
    if (r.user !== user || (r.status >= 400 && r.status !== 404 && r.status !== 409)) continue
    const a = requestAttributes({username: user, groups: []}, r.method, r.path, new URLSearchParams(r.query))
    if (a.resourceRequest) out.add(`${a.verb} ${a.group ?? ''} ${a.subresource ? `${a.resource}/${a.subresource}` : a.resource}`)
  }
  return out
}

export interface Proc {
  child: ChildProcess
  lines: string[]
  exited: Promise<number | string>
}

function keep(child: ChildProcess): Proc {
  const lines: string[] = []
  const add = (d: Buffer) => {
    for (const l of d.toString().split('\n')) if (l) lines.push(l)
    if (lines.length > 3000) lines.splice(0, lines.length - 3000)
  }
  child.stdout?.on('data', add)
  child.stderr?.on('data', add)
  return {child, lines, exited: new Promise((r) => child.on('exit', (code, sig) => r(code ?? sig ?? -1)))}
}

/** A kubeconfig for `server` (or `serverUrl`) that authenticates with a token (a ServiceAccount's). */
export function tokenKubeconfig(dir: string, name: string, serverUrl: string, token: string): string {
  const path = join(dir, `${name}.kubeconfig`)
  writeFileSync(path, stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'c',
    clusters: [{name: 'c', cluster: {server: serverUrl, 'insecure-skip-tls-verify': true}}],
    users: [{name: 'u', user: {token}}],
    contexts: [{name: 'c', context: {cluster: 'c', user: 'u'}}],
  }), {mode: 0o600})
  return path
}

const FORWARD = `const net=require('net');const s=net.createServer((c)=>{const u=net.connect(process.argv[1]);c.pipe(u);u.pipe(c);c.on('error',()=>u.destroy());u.on('error',()=>c.destroy())});s.listen(0,'127.0.0.1',()=>console.log('port '+s.address().port))`

/**
 * The harness, reachable from inside `node`'s network namespace at http://127.0.0.1:PORT: a Unix socket in the test
 * process (the file system crosses network namespaces) forwards to the harness's TCP port.
 */
export async function forwardInto(node: LabNode, server: ApiServer, dir: string): Promise<{url: string; close(): Promise<void>}> {
  const sock = join(dir, 'api.sock')
  const target = new URL(server.url)
  const unix: Server = createServer((c) => {
    const u = connect(Number(target.port), target.hostname)
    c.pipe(u)
    u.pipe(c)
    c.on('error', () => u.destroy())
    u.on('error', () => c.destroy())
  })
  await new Promise<void>((r) => unix.listen(sock, r))
  const p = keep(node.spawn(process.execPath, ['-e', FORWARD, sock]))
  const port = await waitUntil(() => p.lines.map((l) => /^port (\d+)$/.exec(l)?.[1]).find(Boolean), 10_000, 'the forwarder in the speakers\' namespace')
  return {
    url: `http://127.0.0.1:${port}`,
    async close() {
      p.child.kill('SIGTERM')
      await p.exited
      await new Promise<void>((r) => unix.close(() => r()))
    },
  }
}

export async function waitUntil<T>(fn: () => T | undefined | false | null, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const v = fn()
    if (v) return v
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

export const CONTROLLER = join(ROOT, 'bin', 'controller.js')
export const SPEAKER = join(ROOT, 'bin', 'speaker.js')
export const NODE = 'n1'

/** The class a case's daemons serve, so cases sharing the harness never touch each other's services. */
export const classOf = (ns: string): string => `lbctl.io/${ns}`

/** Everything one case needs in the harness: its namespace, install's access objects (maybe minus one verb), the configuration. */
export function seedCase(server: ApiServer, ns: string, access: Manifest[], component: Component, address: string): void {
  const put = (o: object) => server.store.put(o)
  put({apiVersion: 'v1', kind: 'Namespace', metadata: {name: ns}})
  for (const o of access) put(o)
  put({apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: {name: 'pool', namespace: ns}, spec: {addresses: [`${address}/32`]}})
  const svc = {apiVersion: 'v1', kind: 'Service', metadata: {name: ns, namespace: 'default'},
    spec: {type: 'LoadBalancer', loadBalancerClass: classOf(ns), selector: {app: ns}, ports: [{name: 'http', port: 80, protocol: 'TCP'}], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack'}}
  if (component === 'controller') {
    put(svc)
    return
  }
  // The speaker's world: an assigned address, an L2Advertisement, a BGP peer with a password Secret and a
  // BGPAdvertisement, its own Pod. The peer's address has no route (the session never opens): ServiceBGPStatus lists
  // the peers a service is configured to be advertised to, whatever the session's state (MetalLB's API says so), so
  // the speaker writes it all the same.
  put({...svc, status: {loadBalancer: {ingress: [{ip: address}]}}})
  put({apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: {name: `${ns}-x`, namespace: 'default', labels: {'kubernetes.io/service-name': ns}},
    addressType: 'IPv4', ports: [{name: 'http', port: 80, protocol: 'TCP'}], endpoints: [{addresses: ['198.18.0.9'], nodeName: NODE, conditions: {ready: true}}]})
  put({apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: {name: 'l2', namespace: ns}, spec: {ipAddressPools: ['pool']}})
  put({apiVersion: 'v1', kind: 'Secret', metadata: {name: 'peer-pw', namespace: ns}, type: 'kubernetes.io/basic-auth', data: {password: Buffer.from('pw').toString('base64')}})
  put({apiVersion: 'metallb.io/v1beta2', kind: 'BGPPeer', metadata: {name: 'router', namespace: ns},
    spec: {myASN: 64512, peerASN: 64500, peerAddress: '198.18.0.1', routerID: '198.18.0.2', passwordSecret: {name: 'peer-pw'}}})
  put({apiVersion: 'metallb.io/v1beta1', kind: 'BGPAdvertisement', metadata: {name: 'bgp', namespace: ns}, spec: {ipAddressPools: ['pool']}})
  put({apiVersion: 'v1', kind: 'Pod', metadata: {name: `lbctl-speaker-${NODE}`, namespace: ns, labels: {'app.kubernetes.io/name': 'lbctl', 'app.kubernetes.io/component': 'speaker', 'app.kubernetes.io/part-of': 'lbctl'}},
    spec: {nodeName: NODE, hostNetwork: true, containers: [{name: 'speaker', image: 'lbctl-speaker'}]},
    status: {phase: 'Running', podIP: '127.0.0.1', hostIP: '127.0.0.1', conditions: [{type: 'Ready', status: 'True'}]}})
}

/**
 * Another client writes the case's Service (a label) just before the controller's first status write lands, so that
 * write, carrying the resourceVersion the controller read, meets a real 409 Conflict and the controller reads the
 * Service again (`get services`, the only request that needs it).
 */
export function raceFirstStatusWrite(server: ApiServer, ns: string): void {
  server.faults.beforeNext(1, () => {
    const svc = server.store.get('v1', 'Service', 'default', ns)
    server.store.put({...svc, metadata: {...svc.metadata, labels: {...svc.metadata.labels, 'example.com/touched-by': 'someone-else'}}})
  }, {method: 'PATCH', path: new RegExp(`^/api/v1/namespaces/default/services/${ns}/status(\\?|$)`)})
}

/** `leaderElect`: as install runs it with more than one replica (a Lease); otherwise as with one. */
export function startDaemon(component: Component, ns: string, kubeconfig: string, node: LabNode, index: number, leaderElect = false): Proc {
  if (component === 'controller') {
    return keep(spawn(process.execPath, [CONTROLLER, '--kubeconfig', kubeconfig, '--namespace', ns, '--lb-class', classOf(ns),
      '--metrics-port', '0', '--health-port', '0', `--leader-elect=${leaderElect}`], {stdio: ['ignore', 'pipe', 'pipe']}))
  }
  return keep(node.spawn(process.execPath, [SPEAKER, '--kubeconfig', kubeconfig, '--namespace', ns, '--lb-class', classOf(ns), '--node-name', NODE,
    '--metrics-port', '0', '--health-port', '0', '--diagnostics-port', '0', '--memberlist-bind-address', '127.0.0.1',
    '--memberlist-port', String(20_000 + index), '--arp-offload', 'off', '--log-level', 'debug']))
}

export const tmp = (): {dir: string; remove(): void} => {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-rbac-'))
  return {dir, remove: () => rmSync(dir, {recursive: true, force: true})}
}
