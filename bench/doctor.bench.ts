// `lbctl doctor -A --no-probe` against 1,000 services on 3 nodes (the API server harness in this process), next to
// kubectl reading the same kinds; and the checks alone, in process, on the same objects.
import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {loadavg, tmpdir} from 'node:os'
import {join} from 'node:path'
import {crdManifests} from '../src/lib/api/crds.js'
import {diagnose} from '../src/lib/doctor/index.js'
import {readSnapshot} from '../src/lib/doctor/snapshot.js'
import {Kube} from '../src/lib/kube/client.js'
import {startApiServer} from '../test/harness/apiserver/index.js'
import {makePools, makeServices} from './fixtures.js'
import {type Bench, type BenchRow, median} from './lib.js'

const RUNS = Number(process.env.BENCH_RUNS ?? 7)
const bin = new URL('../../bin/run.js', import.meta.url).pathname
const NS = 'metallb-system'
const NODES = ['node-a', 'node-b', 'node-c']

function time(cmd: string, args: string[], env: NodeJS.ProcessEnv): Promise<{ms: number; code: number}> {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint()
    const child = spawn(cmd, args, {env, stdio: ['ignore', 'ignore', 'pipe']})
    let stderr = ''
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6
      // doctor exits 1 when it finds problems; anything else is a failed run.
      if (code !== 0 && code !== 1) reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${stderr}`))
      else resolve({ms, code: code ?? -1})
    })
  })
}

async function medianOf(n: number, f: () => Promise<number>): Promise<number> {
  await f()
  const xs: number[] = []
  for (let i = 0; i < n; i++) xs.push(await f())
  return median(xs)
}

const speakerLabels = {'app.kubernetes.io/name': 'lbctl', 'app.kubernetes.io/component': 'speaker'}
const controllerLabels = {'app.kubernetes.io/name': 'lbctl', 'app.kubernetes.io/component': 'controller'}

export const bench: Bench = {
  id: 'doctor',
  title: 'lbctl doctor on 1,000 services',
  async run() {
    const dir = mkdtempSync(join(tmpdir(), 'lbctl-bench-doctor-'))
    // lbctl's session kind, until src/lib/api defines BGPPeerSession (the doctor checks that the CRD is there).
    const crds = crdManifests() as Array<Record<string, any>>
    if (!crds.some((d) => d.spec.names.plural === 'bgppeersessions')) {
      const d = structuredClone(crds.find((x) => x.spec.group === 'lbctl.io')!)
      d.metadata.name = 'bgppeersessions.lbctl.io'
      d.spec.names = {kind: 'BGPPeerSession', listKind: 'BGPPeerSessionList', plural: 'bgppeersessions', singular: 'bgppeersession'}
      crds.push(d)
    }
    const server = await startApiServer({crds})
    const rows: BenchRow[] = []
    let exit = -1
    try {
      const kc = join(dir, 'kubeconfig')
      await server.writeKubeconfig(kc)
      const env = {...process.env, KUBECONFIG: kc, NO_COLOR: '1'}
      const put = (o: any) => server.store.put(o)
      put({apiVersion: 'v1', kind: 'Namespace', metadata: {name: NS}})
      for (const n of NODES) put({apiVersion: 'v1', kind: 'Node', metadata: {name: n, labels: {'kubernetes.io/hostname': n}}, status: {nodeInfo: {kubeletVersion: 'v1.31.0'}}})
      put({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'lbctl-install', namespace: NS}, data: {mode: 'l2', version: 'dev'}})
      put({apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: 'lbctl-controller', namespace: NS}, spec: {replicas: 1, selector: {matchLabels: controllerLabels}, template: {metadata: {labels: controllerLabels}, spec: {containers: [{name: 'controller', image: 'lbctl:dev'}]}}}, status: {replicas: 1, readyReplicas: 1}})
      put({apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: {name: 'lbctl-speaker', namespace: NS}, spec: {selector: {matchLabels: speakerLabels}, template: {metadata: {labels: speakerLabels}, spec: {containers: [{name: 'speaker', image: 'lbctl:dev'}]}}}, status: {desiredNumberScheduled: 3, numberReady: 3}})
      server.registerPod(NS, 'lbctl-controller-0', {ip: '127.0.0.1', nodeName: 'node-a', labels: controllerLabels})
      for (const n of NODES) {
        server.registerPod(NS, `lbctl-speaker-${n}`, {ip: '127.0.0.1', nodeName: n, labels: speakerLabels})
        put({apiVersion: 'metallb.io/v1beta1', kind: 'ConfigurationState', metadata: {name: `speaker-${n}`, namespace: NS}, status: {result: 'Valid'}})
      }
      put({apiVersion: 'metallb.io/v1beta1', kind: 'ConfigurationState', metadata: {name: 'controller', namespace: NS}, status: {result: 'Valid'}})
      for (const p of makePools(4)) put(p)
      put({apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: {name: 'all', namespace: NS}, spec: {}})
      const services = makeServices(1000, 4)
      for (let i = 0; i < 20; i++) put({apiVersion: 'v1', kind: 'Namespace', metadata: {name: `ns-${i}`}})
      services.forEach((s, i) => {
        put(s)
        const node = NODES[i % 3]
        const ns = s.metadata.namespace!
        put({apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', addressType: 'IPv4', metadata: {name: `${s.metadata.name}-x`, namespace: ns, labels: {'kubernetes.io/service-name': s.metadata.name}},
          endpoints: [{addresses: ['10.244.0.5'], conditions: {ready: true}, nodeName: node}]})
        put({apiVersion: 'metallb.io/v1beta1', kind: 'ServiceL2Status', metadata: {name: `l2-${i}`, namespace: NS, labels: {'metallb.io/node': node, 'metallb.io/service-name': s.metadata.name, 'metallb.io/service-namespace': ns}},
          status: {node, serviceName: s.metadata.name, serviceNamespace: ns}})
      })

      const doctor = await medianOf(RUNS, async () => {
        const r = await time(process.execPath, [bin, 'doctor', '-A', '--no-probe', '--json'], env)
        exit = r.code
        return r.ms
      })
      const kubectl = await medianOf(RUNS, async () => (await time('/usr/bin/kubectl', ['get', 'svc,ipaddresspools,l2advertisements,servicel2statuses', '-A', '-o', 'json'], env)).ms)
      rows.push({metric: '`lbctl doctor -A --no-probe --json`, 1,000 services, 3 nodes', value: doctor / 1000, unit: 's',
        reference: {name: '`kubectl get svc,ipaddresspools,l2advertisements,servicel2statuses -A -o json`', value: kubectl / 1000}, ratio: doctor / kubectl, target: '≤ 2 s', met: doctor <= 2000})

      const start = await medianOf(RUNS, async () => (await time(process.execPath, [bin, '--version'], env)).ms)
      rows.push({metric: 'of which start-up (`lbctl --version`)', value: start / 1000, unit: 's'})
      const kube = Kube.connect({kubeconfig: kc})
      const read = await medianOf(RUNS, async () => {
        const t0 = process.hrtime.bigint()
        await readSnapshot(kube, {namespace: NS})
        return Number(process.hrtime.bigint() - t0) / 1e6
      })
      const snap = await readSnapshot(kube, {namespace: NS})
      const checks = await medianOf(RUNS, async () => {
        const t0 = process.hrtime.bigint()
        await diagnose(snap, {services: [], all: true, contextNamespace: 'default'}, {skip: '--no-probe'})
        return Number(process.hrtime.bigint() - t0) / 1e6
      })
      rows.push({metric: 'reads alone, in process (22 lists/gets in parallel)', value: read, unit: 'ms'})
      rows.push({metric: 'checks alone, in process (cluster checks + 1,000 staged verdicts)', value: checks, unit: 'ms'})
    } finally {
      await server.stop()
      rmSync(dir, {recursive: true, force: true})
    }
    return {
      id: 'doctor', title: 'lbctl doctor on 1,000 services',
      method: `The API server harness (in this process) holds 1,000 LoadBalancer services in 20 namespaces, each with an address from one of 4 pools, an EndpointSlice and a ServiceL2Status spread over 3 nodes, plus lbctl's controller and speakers. Wall time of the built binary (\`bin/run.js\`, a new process each run, start-up included), median of ${RUNS} after one warm-up; kubectl v1.32 reads the kinds named in the issue with the same kubeconfig, same way. The doctor reads more than that (nodes, pods, workloads, EndpointSlices, events, CRDs, kube-proxy's ConfigMap and DaemonSet). doctor's exit code in the last run: ${exit}.`,
      rows,
      notes: [`Load average (1 min) when the run ended: ${loadavg()[0].toFixed(1)} on ${(await import('node:os')).cpus().length} cores — other work on the machine inflates every number here, kubectl's too.`],
    }
  },
}
