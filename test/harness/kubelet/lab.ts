// A lab for pods run by the kubelet stand-in: three node namespaces, pod-network slots and a client on one bridge; the
// API server harness in this process (HTTPS, an admin token, RBAC for service-account tokens, its own ready counts
// off) reachable from the lab at API_IP:6443 through a forwarder in the `api` namespace (TCP → a unix socket → the
// harness on loopback; podman must run from the root namespace, which has no route into the lab), and the kubelet.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {createConnection, createServer, type Server} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {execa} from 'execa'
import {parse, stringify} from 'yaml'
import {type ApiServer, startApiServer} from '../apiserver/index.js'
import {makeCertificates} from '../apiserver/tls.js'
import {type Bridge, cleanupStale, Lab, type LabNode} from '../lab/index.js'
import {poll} from '../poll.js'
import {Kubelet, removeStaleContainers} from './kubelet.js'

export const API_IP = '198.18.44.250'
export const API_PORT = 6443
export const NODES = ['n1', 'n2', 'n3'] as const
export type NodeName = (typeof NODES)[number]
export const NODE_IP: Record<NodeName, string> = {n1: '198.18.44.1', n2: '198.18.44.2', n3: '198.18.44.3'}
const SLOTS = ['p1', 'p2', 'p3']
const SLOT_IP = (i: number) => `198.18.44.${21 + i}`
export const CLIENT_IP = '198.18.44.100'

/** podman on these machines (TESTING.md §3): runc, and limits it may not raise. */
export const RUN_FLAGS = ['--runtime', 'runc', '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024']

const FORWARDER = `const net=require('net');const [host,port,sock]=process.argv.slice(1);
net.createServer((c)=>{const u=net.connect(sock);const end=()=>{c.destroy();u.destroy()};c.pipe(u).pipe(c);
for(const s of [c,u]){s.on('error',end);s.on('close',end)}}).listen(Number(port),host,()=>console.log('listening'))`

/** The stand-in's identity: a ServiceAccount in kube-system, held by the harness's RBAC to what it does. */
export const KUBELET_USER = 'system:serviceaccount:kube-system:lab-kubelet'

/**
 * What the stand-in may do (the kubelet's and the DaemonSet/Deployment controllers' part): read and watch the
 * workloads, Pods, Secrets, ConfigMaps and Nodes; create and delete Pods; write Pod and workload status.
 */
const KUBELET_RULES = [
  {apiGroups: ['apps'], resources: ['daemonsets', 'deployments'], verbs: ['get', 'list', 'watch']},
  {apiGroups: ['apps'], resources: ['daemonsets/status', 'deployments/status'], verbs: ['patch', 'update']},
  {apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch', 'create', 'delete']},
  {apiGroups: [''], resources: ['pods/status'], verbs: ['patch', 'update']},
  {apiGroups: [''], resources: ['secrets', 'configmaps', 'nodes'], verbs: ['get', 'list', 'watch']},
]

/** A kubeconfig for the stand-in: the harness's address and CA, and a token of its own ServiceAccount (a week long). */
function kubeletCredentials(server: ApiServer): string {
  const name = 'lab-kubelet'
  const rbac = 'rbac.authorization.k8s.io/v1'
  server.store.put({apiVersion: 'v1', kind: 'ServiceAccount', metadata: {name, namespace: 'kube-system'}})
  server.store.put({apiVersion: rbac, kind: 'ClusterRole', metadata: {name}, rules: KUBELET_RULES})
  server.store.put({apiVersion: rbac, kind: 'ClusterRoleBinding', metadata: {name}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name},
    subjects: [{kind: 'ServiceAccount', name, namespace: 'kube-system'}]})
  const {token} = server.issueToken('kube-system', name, {expirationSeconds: 7 * 24 * 3600})
  const doc = parse(server.kubeconfigYaml())
  for (const u of doc.users) u.user = {token}
  return stringify(doc)
}

export interface PodLabOptions {
  /** Extra nodes on the bridge (a router, say): name → IPv4 CIDR. */
  extra?: Record<string, string>
  namespace?: string
  log?: boolean
}

export class PodLab {
  private constructor(readonly lab: Lab, readonly lan: Bridge, readonly api: LabNode, readonly nodes: Record<NodeName, LabNode>, readonly client: LabNode,
    readonly extra: Record<string, LabNode>, readonly server: ApiServer, readonly kubelet: Kubelet, readonly kubeconfig: string, readonly dir: string,
    private readonly relay: Server) {}

  /** Kubelet events, newest last (for failure messages). */
  static readonly events: string[] = []

  static async create(prefix: string, o: PodLabOptions = {}): Promise<PodLab> {
    cleanupStale(prefix)
    await removeStaleContainers()
    const dir = mkdtempSync(join(tmpdir(), 'lbctl-podlab-'))
    const lab = await Lab.create(prefix)
    let server: ApiServer | undefined
    let relay: Server | undefined
    try {
      const lan = await lab.addBridge('lan')
      const api = await lab.addNode('api', {bridge: lan, ipv4: `${API_IP}/24`})
      const nodes = {} as Record<NodeName, LabNode>
      for (const n of NODES) {
        nodes[n] = await lab.addNode(n, {bridge: lan, ipv4: `${NODE_IP[n]}/24`})
        // IPVS with strict ARP: the kernel neither answers nor announces addresses on lo; only the speaker does.
        await nodes[n].sysctl('net.ipv4.conf.all.arp_ignore', 1)
        await nodes[n].sysctl('net.ipv4.conf.all.arp_announce', 2)
      }
      const slots = []
      for (const [i, s] of SLOTS.entries()) slots.push({netns: (await lab.addNode(s, {bridge: lan, ipv4: `${SLOT_IP(i)}/24`})).ns, ip: SLOT_IP(i)})
      const client = await lab.addNode('c', {bridge: lan, ipv4: `${CLIENT_IP}/24`})
      await client.addRoute('203.0.113.0/24', undefined, {dev: 'eth0'})
      const extra: Record<string, LabNode> = {}
      for (const [name, cidr] of Object.entries(o.extra ?? {})) extra[name] = await lab.addNode(name, {bridge: lan, ipv4: cidr})

      const tls = makeCertificates({hosts: [API_IP, '127.0.0.1']})
      server = await startApiServer({tls, tokens: ['lab-admin-token'], workloadReadyDelayMs: -1})
      const kubeconfig = join(dir, 'kubeconfig')
      await server.writeKubeconfig(kubeconfig)
      const harnessPort = Number(new URL(server.url).port)
      const sock = join(dir, 'api.sock')
      relay = createServer((c) => {
        const u = createConnection(harnessPort, '127.0.0.1')
        const end = () => {
          c.destroy()
          u.destroy()
        }
        c.pipe(u).pipe(c)
        for (const s of [c, u]) s.on('error', end).on('close', end)
      })
      await new Promise<void>((resolve) => relay!.listen(sock, resolve))
      const fwd = api.spawn(process.execPath, ['-e', FORWARDER, API_IP, String(API_PORT), sock])
      let out = ''
      fwd.stdout?.on('data', (d: Buffer) => (out += d.toString()))
      fwd.stderr?.on('data', (d: Buffer) => (out += d.toString()))
      await poll(() => out.includes('listening'), {timeoutMs: 10_000, what: `the API forwarder on ${API_IP}:${API_PORT} (${out})`})

      for (const n of NODES) {
        server.store.put({apiVersion: 'v1', kind: 'Node', metadata: {name: n, labels: {'kubernetes.io/hostname': n, 'kubernetes.io/os': 'linux'}},
          status: {conditions: [{type: 'Ready', status: 'True'}], addresses: [{type: 'InternalIP', address: NODE_IP[n]}]}})
      }
      const kubeletKubeconfig = join(dir, 'kubelet.kubeconfig')
      writeFileSync(kubeletKubeconfig, kubeletCredentials(server), {mode: 0o600})
      const kubelet = new Kubelet({server, kubeconfig: kubeletKubeconfig, namespace: o.namespace ?? 'metallb-system', nodes: NODES.map((n) => ({name: n, netns: nodes[n].ns, ip: NODE_IP[n]})),
        podNetworks: slots, api: {host: API_IP, port: API_PORT}, dir: join(dir, 'pods'), runFlags: RUN_FLAGS,
        log: (event, fields) => {
          const line = JSON.stringify({t: new Date().toISOString(), event, ...fields})
          PodLab.events.push(line)
          if (PodLab.events.length > 500) PodLab.events.shift()
          if (o.log || process.env.KUBELET_LOG) process.stderr.write(`kubelet: ${line}\n`)
        }})
      await kubelet.start()
      return new PodLab(lab, lan, api, nodes, client, extra, server, kubelet, kubeconfig, dir, relay)
    } catch (e) {
      await lab.destroy()
      await server?.stop()
      relay?.close()
      rmSync(dir, {recursive: true, force: true})
      throw e
    }
  }

  /** HTTP GET from the client namespace: the body, or undefined. */
  async httpGet(url: string, timeoutMs = 1000): Promise<string | undefined> {
    const r = await this.client.exec('curl', ['-s', '-f', '-m', String(timeoutMs / 1000), url])
    return r.exitCode === 0 ? r.stdout : undefined
  }

  /** kubectl (from the root namespace, through loopback) against the harness. */
  async kubectl(args: string[]): Promise<string> {
    const r = await execa('kubectl', ['--kubeconfig', this.kubeconfig, ...args], {reject: false, stdin: 'ignore'})
    if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr.trim()}`)
    return r.stdout
  }

  /** Stop the kubelet (removing its containers), then the lab and the harness. */
  async destroy(): Promise<void> {
    await this.kubelet.stop()
    await this.lab.destroy()
    this.relay.close()
    await this.server.stop()
    rmSync(this.dir, {recursive: true, force: true})
  }
}
