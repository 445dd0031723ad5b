// The install lab: the kubelet stand-in's PodLab (three nodes, the harness, pods as containers of the built images),
// a router namespace for FRR, an HTTP server on every node (answering with the node's name, as a service's
// endpoints), and the real CLI (bin/run.js) against the harness.
import type {ChildProcess} from 'node:child_process'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import {execa} from 'execa'
import {REPO_ROOT} from '../../harness/lab/bundle.js'
import {Frr} from '../../harness/lab/frr.js'
import {NODE_IP, NODES, type NodeName, PodLab} from '../../harness/kubelet/lab.js'
import {poll} from '../../harness/poll.js'

export const NS = 'metallb-system'
export const HTTP_PORT = 8080
export const ROUTER_IP = '198.18.44.254'
export const ROUTER_ASN = 64500
export const NODE_ASN = 64512

const HTTP_SERVER = `require('http').createServer((q,s)=>s.end(process.argv[1])).listen(${HTTP_PORT}, '0.0.0.0')`

// GETs the URL every 50 ms (1 s timeout), a JSON line per answer or failure: {t, ok, body|error}.
const POLLER = `const http=require('http');const url=process.argv[1];
const once=()=>{const t=Date.now();const q=http.get(url,{timeout:1000,agent:false},(s)=>{let b='';s.on('data',(d)=>b+=d);
s.on('end',()=>{console.log(JSON.stringify({t,ok:s.statusCode===200,body:b}));setTimeout(once,50)})});
q.on('timeout',()=>q.destroy(new Error('timeout')));q.on('error',(e)=>{console.log(JSON.stringify({t,ok:false,error:e.message}));setTimeout(once,50)})};once()`

export interface PollRecord {
  t: number
  ok: boolean
  body?: string
  error?: string
}

export interface CliResult {
  exitCode: number
  stdout: string
  stderr: string
}

export class InstallLab {
  private constructor(readonly pods: PodLab) {}

  static async create(prefix: string): Promise<InstallLab> {
    const pods = await PodLab.create(prefix, {namespace: NS, extra: {r: `${ROUTER_IP}/24`}})
    for (const n of NODES) pods.nodes[n].spawn(process.execPath, ['-e', HTTP_SERVER, n])
    return new InstallLab(pods)
  }

  get store() {
    return this.pods.server.store
  }

  /** The real CLI, as a user runs it, against the harness. */
  async lbctl(args: string[]): Promise<CliResult> {
    const r = await execa(process.execPath, [join(REPO_ROOT, 'bin/run.js'), ...args], {reject: false, stdin: 'ignore', timeout: 5 * 60_000,
      env: {KUBECONFIG: this.pods.kubeconfig, NO_COLOR: '1'}})
    return {exitCode: r.exitCode ?? -1, stdout: r.stdout, stderr: r.stderr}
  }

  /** A LoadBalancer service on HTTP_PORT with a ready endpoint on every node. */
  addService(name: string): void {
    this.store.put({apiVersion: 'v1', kind: 'Service', metadata: {name, namespace: 'default'},
      spec: {type: 'LoadBalancer', selector: {app: name}, ports: [{port: HTTP_PORT, targetPort: HTTP_PORT, protocol: 'TCP'}], ipFamilies: ['IPv4']}})
    this.store.put({apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: {name: `${name}-lab`, namespace: 'default', labels: {'kubernetes.io/service-name': name}},
      addressType: 'IPv4', ports: [{port: HTTP_PORT, protocol: 'TCP'}],
      endpoints: NODES.map((n) => ({addresses: [NODE_IP[n]], nodeName: n, conditions: {ready: true}}))})
  }

  serviceIP(name: string): string | undefined {
    return this.store.get('v1', 'Service', 'default', name)?.status?.loadBalancer?.ingress?.[0]?.ip
  }

  /** Until the controller gives the service an address; then that address goes on `lo` of every node (kube-proxy IPVS). */
  async assigned(name: string, timeoutMs = 60_000): Promise<string> {
    const ip = (await poll(() => this.serviceIP(name), {timeoutMs, what: `an address for service ${name}\n${PodLab.events.slice(-15).join('\n')}`})) as string
    for (const n of NODES) {
      const r = await this.pods.nodes[n].exec('ip', ['addr', 'replace', `${ip}/32`, 'dev', 'lo'])
      if (r.exitCode !== 0) throw new Error(`ip addr on ${n}: ${r.stderr}`)
    }
    return ip
  }

  /** The node that answered an HTTP GET from the client, or undefined. */
  async httpGet(ip: string): Promise<string | undefined> {
    return this.pods.httpGet(`http://${ip}:${HTTP_PORT}/`, 1000)
  }

  /** A client that GETs the service every 50 ms until stopped; its records. */
  startPoller(ip: string): {records: PollRecord[]; stop: () => Promise<void>} {
    const child: ChildProcess = this.pods.client.spawn(process.execPath, ['-e', POLLER, `http://${ip}:${HTTP_PORT}/`])
    const records: PollRecord[] = []
    createInterface({input: child.stdout!}).on('line', (l) => records.push(JSON.parse(l) as PollRecord))
    return {
      records,
      stop: async () => {
        const gone = new Promise((r) => child.once('exit', r))
        child.kill('SIGTERM')
        await gone
      },
    }
  }

  /** FRR's bgpd on the router: eBGP with every node, ECMP over all three. */
  async startRouter(): Promise<Frr> {
    const conf = [
      `router bgp ${ROUTER_ASN}`, ` bgp router-id ${ROUTER_IP}`, ' no bgp ebgp-requires-policy', ' no bgp default ipv4-unicast',
      ' neighbor nodes peer-group', ` neighbor nodes remote-as ${NODE_ASN}`, ' neighbor nodes timers connect 1',
      ...NODES.map((n) => ` neighbor ${NODE_IP[n]} peer-group nodes`),
      ' address-family ipv4 unicast', '  neighbor nodes activate', `  maximum-paths ${NODES.length}`, ' exit-address-family', '',
    ].join('\n')
    return Frr.start(this.pods.extra.r, conf)
  }

  /** The last lines each container logged (for failure messages). */
  async logs(lines = 15): Promise<string> {
    const out: string[] = []
    for (const c of await this.pods.kubelet.containers()) {
      const r = await execa('podman', ['logs', '--tail', String(lines), c.Names[0]], {reject: false})
      out.push(`--- ${c.Labels['io.kubernetes.pod.name']} (${c.State})\n${r.stdout}${r.stderr}`)
    }
    return out.join('\n')
  }

  nodeOf(ip: string): NodeName | undefined {
    return NODES.find((n) => NODE_IP[n] === ip)
  }

  async destroy(): Promise<void> {
    await this.pods.destroy()
  }
}
