// The speaker lab: three node namespaces and a client on one bridge, the API server harness in a namespace of its own
// on the bridge (listening on a lab address, writing a kubeconfig), the real controller next to it, and the real
// bin/speaker.js on every node. Service addresses live on `lo` of every node with arp_ignore=1/arp_announce=2 (what
// kube-proxy IPVS with strict ARP does), so only the speaker answers ARP/NDP; each node runs a small HTTP server that
// answers with its node's name. The speakers' Pod objects are created as a DaemonSet would make them.
import type {ChildProcess} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {bundleEntry, REPO_ROOT} from '../../harness/lab/bundle.js'
import {type Bridge, cleanupStale, Lab, type LabNode} from '../../harness/lab/index.js'

export const API_IP = '198.18.40.250'
export const NODES = ['n1', 'n2', 'n3'] as const
export type NodeName = (typeof NODES)[number]
const NODE_IP: Record<NodeName, string> = {n1: '198.18.40.1', n2: '198.18.40.2', n3: '198.18.40.3'}
const NODE_IP6: Record<NodeName, string> = {n1: '2001:db8:40::1', n2: '2001:db8:40::2', n3: '2001:db8:40::3'}
export const CLIENT_IP = '198.18.40.100'
export const HTTP_PORT = 8080
export const NS = 'metallb-system'

/** Built files the lab runs: `npm run build` makes them. A bundled caller (the demo) names the repository itself. */
const ROOT = process.env.LBCTL_REPO_ROOT || REPO_ROOT
const SPEAKER = join(ROOT, 'bin/speaker.js')
const CONTROLLER = join(ROOT, 'bin/controller.js')
const APISERVER = join(ROOT, 'dist/test/harness/apiserver/main.js')
export const builtFiles = (): string[] => [join(ROOT, 'dist/src/speaker/main.js'), join(ROOT, 'dist/src/controller/main.js'), APISERVER].filter((f) => !existsSync(f))

const HTTP_SERVER = `require('http').createServer((q,s)=>s.end(process.argv[1])).listen(${HTTP_PORT}, '::')`

export interface Proc {
  child: ChildProcess
  log: string[]
}

export class SpeakerLab {
  readonly speakers = new Map<NodeName, Proc>()
  private readonly vips = new Set<string>()
  private readonly speakerArgs: string[] = []
  /** Each node reads its own copy of the memberlist key (each kubelet updates its mounted Secret on its own). */
  private perNodeKeys = false
  private constructor(readonly lab: Lab, readonly lan: Bridge, readonly api: LabNode, readonly nodes: Record<NodeName, LabNode>, readonly client: LabNode,
    readonly dir: string, readonly kubeconfig: string, readonly procs: Proc[]) {}

  /** `gossip`: speakers share a memberlist key (a file per run), so membership runs over UDP on the bridge;
   * `perNodeKeys`: a copy of it per node (keyFile(n)), so a test can rotate it node by node. */
  /** create(), once the built daemons are known to exist and whatever a crashed run with this prefix left is removed. */
  static async start(prefix: string, opts: {speakerArgs?: string[]; gossip?: boolean; perNodeKeys?: boolean} = {}): Promise<SpeakerLab> {
    const missing = builtFiles()
    if (missing.length > 0) throw new Error(`the speaker lab runs the built daemons; missing ${missing.join(', ')}: run npm run build first`)
    cleanupStale(prefix)
    return SpeakerLab.create(prefix, opts)
  }

  static async create(prefix: string, opts: {speakerArgs?: string[]; gossip?: boolean; perNodeKeys?: boolean} = {}): Promise<SpeakerLab> {
    const lab = await Lab.create(prefix)
    const dir = mkdtempSync(join(tmpdir(), 'lbctl-speaker-lab-'))
    try {
      const lan = await lab.addBridge('lan')
      const api = await lab.addNode('api', {bridge: lan, ipv4: `${API_IP}/24`, ipv6: '2001:db8:40::250/64'})
      const nodes = {} as Record<NodeName, LabNode>
      for (const n of NODES) nodes[n] = await lab.addNode(n, {bridge: lan, ipv4: `${NODE_IP[n]}/24`, ipv6: `${NODE_IP6[n]}/64`})
      const client = await lab.addNode('c', {bridge: lan, ipv4: `${CLIENT_IP}/24`, ipv6: '2001:db8:40::100/64'})
      await client.addRoute('203.0.113.0/24', undefined, {dev: 'eth0'})
      await client.addRoute('2001:db8:ffff::/48', undefined, {dev: 'eth0'})
      for (const n of NODES) {
        // IPVS strict ARP: the kernel never answers ARP for addresses on lo, nor announces them.
        await nodes[n].sysctl('net.ipv4.conf.all.arp_ignore', 1)
        await nodes[n].sysctl('net.ipv4.conf.all.arp_announce', 2)
      }
      const kubeconfig = join(dir, 'kubeconfig')
      const l = new SpeakerLab(lab, lan, api, nodes, client, dir, kubeconfig, [])
      const apiProc = l.run(api, [APISERVER, '--kubeconfig', kubeconfig, '--host', API_IP, '--port', '6443', '--crds'])
      await waitFor(() => apiProc.log.some((x) => x.includes(`http://${API_IP}:6443`)), 15_000, 'the API server harness to listen')
      for (const n of NODES) l.run(nodes[n], ['-e', HTTP_SERVER, n])
      await l.kubectl(['apply', '-f', '-'], {apiVersion: 'v1', kind: 'Namespace', metadata: {name: NS}})
      for (const n of NODES) await l.addNode(n)
      l.run(api, [CONTROLLER, '--kubeconfig', kubeconfig, '--leader-elect=false', '--metrics-port', '0', '--health-port', '0'])
      if (opts.gossip) {
        const key = randomBytes(128).toString('base64')
        writeFileSync(join(dir, 'secretkey'), key)
        if (opts.perNodeKeys) {
          l.perNodeKeys = true
          for (const n of NODES) {
            mkdirSync(join(dir, `keys-${n}`))
            writeFileSync(l.keyFile(n), key)
          }
        } else l.speakerArgs.push('--memberlist-key-file', join(dir, 'secretkey'))
      }
      l.speakerArgs.push(...(opts.speakerArgs ?? []))
      for (const n of NODES) await l.startSpeaker(n)
      return l
    } catch (e) {
      await lab.destroy()
      rmSync(dir, {recursive: true, force: true})
      throw e
    }
  }

  /** The memberlist key file node `n`'s speaker reads. */
  keyFile(n: NodeName): string {
    return this.perNodeKeys ? join(this.dir, `keys-${n}`, 'secretkey') : join(this.dir, 'secretkey')
  }

  /** The port a speaker's /metrics listens on (they run with --metrics-port 0), from its 'listening' log line. */
  metricsPort(n: NodeName): number | undefined {
    const line = this.speakers.get(n)?.log.find((x) => x.includes('"listening"'))
    return line ? (JSON.parse(line) as {metricsPort?: number}).metricsPort : undefined
  }

  /** GET /metrics of node n's speaker, from inside its namespace. */
  async scrape(n: NodeName): Promise<string> {
    const port = this.metricsPort(n)
    if (!port) throw new Error(`speaker ${n} has not said which metrics port it listens on\n${this.dump()}`)
    const r = await this.nodes[n].exec('curl', ['-s', '-m', '5', `http://127.0.0.1:${port}/metrics`])
    if (r.exitCode !== 0) throw new Error(`scraping ${n}'s metrics failed: ${r.stderr}`)
    return r.stdout
  }

  nodeIP(n: NodeName): string {
    return NODE_IP[n]
  }

  /** Run node with args in a namespace, keeping its output lines. */
  run(ns: LabNode, args: string[]): Proc {
    const child = ns.spawn(process.execPath, args)
    const p: Proc = {child, log: []}
    const keep = (d: Buffer): void => {
      for (const line of d.toString().split('\n')) if (line) p.log.push(line)
      if (p.log.length > 2000) p.log.splice(0, p.log.length - 2000)
    }
    child.stdout?.on('data', keep)
    child.stderr?.on('data', keep)
    this.procs.push(p)
    return p
  }

  /** kubectl in the API namespace (the harness listens on a lab address only). `input` is applied as JSON. */
  async kubectl(args: string[], input?: unknown): Promise<string> {
    const r = await this.api.exec('kubectl', ['--kubeconfig', this.kubeconfig, ...args], {input: input === undefined ? undefined : JSON.stringify(input)})
    if (r.exitCode !== 0) throw new Error(`kubectl ${args.join(' ')}: ${r.stderr.trim()}`)
    return r.stdout
  }

  async getJson<T = any>(args: string[]): Promise<T> {
    return JSON.parse(await this.kubectl([...args, '-o', 'json'])) as T
  }

  async apply(obj: unknown): Promise<void> {
    await this.kubectl(['apply', '-f', '-'], obj)
  }

  async patchStatus(kind: string, name: string, status: unknown, ns?: string): Promise<void> {
    await this.kubectl(['patch', kind, name, ...(ns ? ['-n', ns] : []), '--subresource=status', '--type=merge', '-p', JSON.stringify({status})])
  }

  private async addNode(n: NodeName): Promise<void> {
    await this.apply({apiVersion: 'v1', kind: 'Node', metadata: {name: n, labels: {'kubernetes.io/hostname': n}}})
    await this.patchStatus('node', n, {conditions: [{type: 'Ready', status: 'True'}], addresses: [{type: 'InternalIP', address: NODE_IP[n]}]})
  }

  /** The speaker Pod as the DaemonSet makes it, Ready, with the node's address (hostNetwork). */
  async setSpeakerPod(n: NodeName, ready: boolean): Promise<void> {
    const name = `lbctl-speaker-${n}`
    await this.apply({apiVersion: 'v1', kind: 'Pod', metadata: {name, namespace: NS, labels: {'app.kubernetes.io/name': 'lbctl', 'app.kubernetes.io/component': 'speaker', 'app.kubernetes.io/part-of': 'lbctl'}},
      spec: {nodeName: n, hostNetwork: true, containers: [{name: 'speaker', image: 'lbctl-speaker'}]}})
    await this.patchStatus('pod', name, {phase: 'Running', podIP: NODE_IP[n], hostIP: NODE_IP[n],
      conditions: [{type: 'Ready', status: ready ? 'True' : 'False'}]}, NS)
  }

  async startSpeaker(n: NodeName, extra: string[] = []): Promise<Proc> {
    await this.setSpeakerPod(n, true)
    const p = this.run(this.nodes[n], [SPEAKER, '--node-name', n, '--kubeconfig', this.kubeconfig, '--metrics-port', '0', '--health-port', '0',
      '--memberlist-bind-address', NODE_IP[n], '--log-level', 'debug', ...(this.perNodeKeys ? ['--memberlist-key-file', this.keyFile(n)] : []), ...this.speakerArgs, ...extra])
    this.speakers.set(n, p)
    return p
  }

  /** Put a service address on `lo` of every node (kube-proxy IPVS does this for every LoadBalancer address). */
  async addVip(address: string): Promise<void> {
    if (this.vips.has(address)) return
    this.vips.add(address)
    for (const n of NODES) await this.nodes[n].addAddress(`${address}/${address.includes(':') ? 128 : 32}`, 'lo')
  }

  /** A LoadBalancer service on HTTP_PORT with a ready endpoint on every node, requesting `address`. */
  async addService(name: string, address: string, opts: {shareKey?: string; port?: number; local?: boolean; endpoints?: NodeName[]} = {}): Promise<void> {
    await this.apply({apiVersion: 'v1', kind: 'Service', metadata: {name, namespace: 'default', annotations: {
      'metallb.io/loadBalancerIPs': address, ...(opts.shareKey ? {'metallb.io/allow-shared-ip': opts.shareKey} : {})}},
    spec: {type: 'LoadBalancer', selector: {app: name}, ports: [{port: opts.port ?? HTTP_PORT, protocol: 'TCP'}], ipFamilies: [address.includes(':') ? 'IPv6' : 'IPv4'],
      ...(opts.local ? {externalTrafficPolicy: 'Local'} : {})}})
    await this.setEndpoints(name, opts.endpoints ?? [...NODES])
    await this.addVip(address)
  }

  /** The service's EndpointSlice: one ready endpoint on each of these nodes. */
  async setEndpoints(name: string, nodes: NodeName[]): Promise<void> {
    await this.apply({apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: {name: `${name}-x`, namespace: 'default', labels: {'kubernetes.io/service-name': name}},
      addressType: 'IPv4', ports: [{port: HTTP_PORT, protocol: 'TCP'}],
      endpoints: nodes.map((n) => ({addresses: [NODE_IP[n]], nodeName: n, conditions: {ready: true}}))})
  }

  async addPool(): Promise<void> {
    await this.apply({apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: {name: 'lab', namespace: NS}, spec: {addresses: ['203.0.113.0/24', '2001:db8:ffff::/120']}})
    await this.apply({apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: {name: 'lab', namespace: NS}, spec: {ipAddressPools: ['lab']}})
  }

  /** HTTP GET from the client: the node name that answered, or undefined. */
  async httpGet(address: string, timeoutMs = 1000): Promise<string | undefined> {
    const host = address.includes(':') ? `[${address}]` : address
    const r = await this.client.exec('curl', ['-s', '-m', String(timeoutMs / 1000), `http://${host}:${HTTP_PORT}/`])
    return r.exitCode === 0 ? r.stdout.trim() : undefined
  }

  /** Which node owns a MAC. */
  nodeOfMac(mac: string): NodeName | undefined {
    return NODES.find((n) => this.nodes[n].mac === mac.toLowerCase())
  }

  /** ServiceL2Status objects for a service: the node each names. */
  async l2Owners(service: string): Promise<string[]> {
    const l = await this.getJson<{items: Array<{status?: {node?: string}}>}>(['get', 'servicel2statuses', '-n', NS, '-l', `metallb.io/service-name=${service}`])
    return l.items.map((i) => i.status?.node ?? '?').sort()
  }

  /** Until exactly `expected` ServiceL2Status objects name these nodes (sorted); the last seen. */
  async l2OwnersEventually(service: string, expected: string[], ms = 15_000): Promise<string[]> {
    const want = [...expected].sort().join()
    const deadline = Date.now() + ms
    let last: string[] = []
    while (Date.now() < deadline) {
      last = await this.l2Owners(service)
      if (last.join() === want) return last
      await new Promise((r) => setTimeout(r, 100))
    }
    return last
  }

  /** Until every running speaker's last membership view (its log) counts `n` alive by gossip. */
  async waitAlive(n: number, ms = 20_000): Promise<void> {
    const last = (p: Proc): {alive?: string[]; source?: string} | undefined => {
      for (let i = p.log.length - 1; i >= 0; i--) if (p.log[i].includes('"membership changed"')) return JSON.parse(p.log[i])
      return undefined
    }
    await waitFor(() => [...this.speakers.values()].filter((p) => p.child.exitCode === null && p.child.signalCode === null)
      .every((p) => last(p)?.alive?.length === n && last(p)?.source === 'gossip'), ms, `${n} speakers alive by gossip\n${this.dump()}`)
  }

  dump(): string {
    return this.procs.map((p) => p.log.slice(-40).join('\n')).join('\n----\n')
  }

  async destroy(): Promise<void> {
    await this.lab.destroy()
    rmSync(this.dir, {recursive: true, force: true})
  }
}

export async function waitFor(fn: () => boolean | Promise<boolean>, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms
  while (Date.now() < deadline) {
    if (await fn()) return
    await new Promise((r) => setTimeout(r, 50))
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`)
}

/**
 * The layer-2 suites' common start: the built daemons checked, stale namespaces of `prefix` removed, a lab with gossip,
 * the pool, service `web` on `vip`, and all three speakers alive (until gossip converges, owners move as members
 * appear). `probe(address)` runs `lbctl l2 probe` from the client and returns the MACs that answered.
 */
export async function startL2Lab(prefix: string, vip: string, opts: {perNodeKeys?: boolean; speakerArgs?: string[]} = {}): Promise<{lab: SpeakerLab; probe: (address: string) => Promise<string[]>}> {
  const probeCli = await bundleEntry('test/harness/lab/fixtures/l2-probe-cli-main.ts')
  const lab = await SpeakerLab.start(prefix, {gossip: true, ...opts})
  await lab.addPool()
  await lab.addService('web', vip)
  await lab.waitAlive(3)
  const probe = async (address: string): Promise<string[]> => {
    const r = await lab.client.exec(process.execPath, [probeCli, '--interface', 'eth0', '--timeout', '300', '--json', address])
    const j = JSON.parse(r.stdout || '{}')
    const res = j.results ?? j.error?.details?.results ?? []
    return (res[0]?.answers ?? []).map((a: {mac: string}) => a.mac)
  }
  return {lab, probe}
}

/** The value of one sample in Prometheus text (`name{labels}` exactly as written, or a bare name), or undefined. */
export function metricValue(text: string, sample: string): number | undefined {
  for (const line of text.split('\n')) {
    if (line.startsWith(`${sample} `)) return Number(line.slice(sample.length + 1))
  }
  return undefined
}
