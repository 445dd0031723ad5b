// The kubelet stand-in on its own: a DaemonSet becomes one running container per node (env from the downward API,
// hostNetwork, capabilities, read-only root, the Secret volume, a service-account token that RBAC holds to its Role)
// whose Pod object turns Ready from the readiness probe; a template change rolls one node at a time; a Deployment's
// pod gets an address of its own; deleting the workloads removes the containers.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {missingPodman, requireLab} from '../lab/prereq.js'
import {poll} from '../poll.js'
import {ensureBases, RUNTIME_BASE} from '../../lab/images/bases.js'
import {NODE_IP, NODES, PodLab} from './lab.js'

const NS = 'kubelet-test'
const CAP_NET_RAW = 1n << 13n

// Serves /readyz, and /info: what the container sees (env, uid, capabilities, files, the API with its own token).
const SCRIPT = `const fs=require('fs'),http=require('http'),https=require('https');const sa='/var/run/secrets/kubernetes.io/serviceaccount';
const api=(p)=>new Promise((r)=>{const q=https.get({host:process.env.KUBERNETES_SERVICE_HOST,port:process.env.KUBERNETES_SERVICE_PORT,path:p,
ca:fs.readFileSync(sa+'/ca.crt'),headers:{authorization:'Bearer '+fs.readFileSync(sa+'/token','utf8')}},(s)=>{s.resume();r(s.statusCode)});q.on('error',(e)=>r(e.message))});
http.createServer(async(q,s)=>{if(q.url==='/readyz')return s.end('ok');let w='written';try{fs.writeFileSync('/x','')}catch(e){w=e.code}
s.end(JSON.stringify({env:process.env,uid:process.getuid(),cap:/CapEff:\\s*(\\w+)/.exec(fs.readFileSync('/proc/self/status','utf8'))[1],
key:fs.readFileSync('/etc/key/secretkey','utf8'),ns:fs.readFileSync(sa+'/namespace','utf8'),write:w,
pods:await api('/api/v1/namespaces/${NS}/pods'),secrets:await api('/api/v1/namespaces/${NS}/secrets')}))}).listen(Number(process.env.PORT),'0.0.0.0',()=>console.log('probe listening'))`

const container = (extraEnv: Array<{name: string; value: string}> = [], port = 7474) => ({
  name: 'probe', image: RUNTIME_BASE, command: ['/nodejs/bin/node', '-e', SCRIPT],
  env: [{name: 'PORT', value: String(port)}, {name: 'NODE_NAME', valueFrom: {fieldRef: {fieldPath: 'spec.nodeName'}}},
    {name: 'POD_IP', valueFrom: {fieldRef: {fieldPath: 'status.podIP'}}}, {name: 'POD_NAMESPACE', valueFrom: {fieldRef: {fieldPath: 'metadata.namespace'}}}, ...extraEnv],
  readinessProbe: {httpGet: {path: '/readyz', port}, periodSeconds: 1},
  securityContext: {runAsUser: 0, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: ['ALL'], add: ['NET_RAW']}},
  volumeMounts: [{name: 'key', mountPath: '/etc/key', readOnly: true}],
})

const daemonSet = (extraEnv: Array<{name: string; value: string}> = []) => ({
  apiVersion: 'apps/v1', kind: 'DaemonSet', metadata: {name: 'probe', namespace: NS},
  spec: {selector: {matchLabels: {app: 'probe'}}, updateStrategy: {type: 'RollingUpdate', rollingUpdate: {maxUnavailable: 1}},
    template: {metadata: {labels: {app: 'probe'}}, spec: {serviceAccountName: 'probe', hostNetwork: true, terminationGracePeriodSeconds: 1,
      nodeSelector: {'kubernetes.io/os': 'linux'}, containers: [container(extraEnv)], volumes: [{name: 'key', secret: {secretName: 'key'}}]}}},
})

describe.runIf(requireLab(['curl', 'kubectl'], missingPodman()))('the kubelet stand-in', () => {
  let lab: PodLab
  const store = () => lab.server.store
  const info = async (ip: string, port = 7474) => JSON.parse((await lab.httpGet(`http://${ip}:${port}/info`, 3000)) ?? 'null')
  const pods = (app: string) => store().list('v1', 'Pod').filter((p) => p.metadata.namespace === NS && p.metadata.labels?.app === app)

  beforeAll(async () => {
    await ensureBases()
    lab = await PodLab.create('kbt', {namespace: NS})
    const put = (o: any) => store().put(o)
    put({apiVersion: 'v1', kind: 'Namespace', metadata: {name: NS}})
    put({apiVersion: 'v1', kind: 'ServiceAccount', metadata: {name: 'probe', namespace: NS}})
    put({apiVersion: 'v1', kind: 'Secret', metadata: {name: 'key', namespace: NS}, data: {secretkey: Buffer.from('s3cret').toString('base64')}})
    put({apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: {name: 'probe', namespace: NS}, rules: [{apiGroups: [''], resources: ['pods'], verbs: ['get', 'list']}]})
    put({apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: {name: 'probe', namespace: NS},
      roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'probe'}, subjects: [{kind: 'ServiceAccount', name: 'probe', namespace: NS}]})
    put(daemonSet())
  }, 10 * 60_000)
  afterAll(async () => {
    await lab?.destroy()
  }, 60_000)

  it('runs one container per node, and the DaemonSet and its pods turn ready', async () => {
    const ds = await poll(() => store().get('apps/v1', 'DaemonSet', NS, 'probe'), {timeoutMs: 60_000, what: `3 ready probe pods\n${PodLab.events.slice(-20).join('\n')}`,
      ok: (d) => d?.status?.numberReady === 3 && d.status.updatedNumberScheduled === 3 && d.status.observedGeneration === d.metadata.generation})
    expect(ds.status.desiredNumberScheduled).toBe(3)
    const running = (await lab.kubelet.containers()).filter((c) => c.State === 'running')
    expect(running).toHaveLength(3)
    const ps = pods('probe')
    expect(ps.map((p) => p.spec.nodeName).sort()).toEqual([...NODES])
    for (const p of ps) {
      expect(p.status.podIP).toBe(NODE_IP[p.spec.nodeName as keyof typeof NODE_IP])
      expect(p.status.conditions.find((c: any) => c.type === 'Ready').status).toBe('True')
      expect(p.metadata.ownerReferences[0]).toMatchObject({kind: 'DaemonSet', name: 'probe'})
    }
  }, 90_000)

  it('gives each container the downward API, its capabilities, a read-only root, the Secret, and a token RBAC holds to its Role', async () => {
    for (const n of NODES) {
      const i = await info(NODE_IP[n])
      expect(i.env).toMatchObject({NODE_NAME: n, POD_IP: NODE_IP[n], POD_NAMESPACE: NS, KUBERNETES_SERVICE_HOST: '198.18.44.250', KUBERNETES_SERVICE_PORT: '6443'})
      expect(BigInt(`0x${i.cap}`)).toBe(CAP_NET_RAW)
      expect(i).toMatchObject({uid: 0, write: 'EROFS', key: 's3cret', ns: NS, pods: 200, secrets: 403})
    }
  }, 30_000)

  it('serves each container\'s output as its pod\'s log', async () => {
    const [pod] = pods('probe')
    const log = await poll(() => lab.kubectl(['logs', '-n', NS, pod.metadata.name]), {timeoutMs: 10_000, what: 'the pod\'s log', ok: (l) => l.includes('probe listening')})
    expect(log.trim().split('\n')).toEqual(['probe listening'])
  })

  it('rolls a template change one node at a time', async () => {
    const before = new Set(pods('probe').map((p) => p.metadata.name))
    let minReady = 3
    const sampler = setInterval(() => {
      minReady = Math.min(minReady, store().get('apps/v1', 'DaemonSet', NS, 'probe')?.status?.numberReady ?? 0)
    }, 20)
    try {
      const cur = store().get('apps/v1', 'DaemonSet', NS, 'probe')
      store().put({...cur, metadata: {...cur.metadata, generation: cur.metadata.generation + 1}, spec: daemonSet([{name: 'REVISION', value: '2'}]).spec})
      await poll(async () => {
        const ps = pods('probe')
        return ps.length === 3 && ps.every((p) => !before.has(p.metadata.name) && p.status.conditions?.[0]?.status === 'True')
      }, {timeoutMs: 90_000, what: `the rollout\n${PodLab.events.slice(-20).join('\n')}`})
    } finally {
      clearInterval(sampler)
    }
    expect(minReady).toBe(2)
    for (const n of NODES) expect((await info(NODE_IP[n])).env.REVISION).toBe('2')
    expect(lab.kubelet.started.filter((s) => s.kind === 'DaemonSet')).toHaveLength(6)
  }, 120_000)

  it('keeps a pod whose Secret is missing waiting, with the reason, and starts it once the Secret exists', async () => {
    const ds = daemonSet()
    ds.metadata.name = 'late'
    ds.spec.selector.matchLabels.app = 'late'
    ds.spec.template.metadata.labels.app = 'late'
    ds.spec.template.spec.containers[0] = container([], 7475)
    ds.spec.template.spec.volumes = [{name: 'key', secret: {secretName: 'late-key'}}]
    store().put(ds)
    const waiting = await poll(() => pods('late'), {timeoutMs: 30_000, what: 'three waiting pods', ok: (ps) => ps.length === 3 && ps.every((p) => p.status.containerStatuses)})
    expect(waiting.map((p) => p.status.containerStatuses[0].state.waiting?.message)).toEqual(Array(3).fill('secret "late-key" not found'))
    store().put({apiVersion: 'v1', kind: 'Secret', metadata: {name: 'late-key', namespace: NS}, data: {secretkey: Buffer.from('later').toString('base64')}})
    await poll(() => store().get('apps/v1', 'DaemonSet', NS, 'late'), {timeoutMs: 60_000, what: 'the late pods ready', ok: (d) => d?.status?.numberReady === 3})
    expect((await info(NODE_IP.n1, 7475)).key).toBe('later')
    store().delete('apps/v1', 'DaemonSet', NS, 'late')
  }, 90_000)

  it('gives a Deployment\'s pod an address of its own, and removes every container when the workloads go', async () => {
    const c = container([], 8080)
    store().put({apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: 'web', namespace: NS},
      spec: {replicas: 1, selector: {matchLabels: {app: 'web'}}, template: {metadata: {labels: {app: 'web'}},
        spec: {serviceAccountName: 'probe', terminationGracePeriodSeconds: 1, containers: [{...c, securityContext: {...c.securityContext, capabilities: {drop: ['ALL']}}}],
          volumes: [{name: 'key', secret: {secretName: 'key'}}]}}}})
    const dep = await poll(() => store().get('apps/v1', 'Deployment', NS, 'web'), {timeoutMs: 60_000, what: 'the Deployment ready', ok: (d) => d?.status?.readyReplicas === 1})
    expect(dep.status).toMatchObject({replicas: 1, updatedReplicas: 1, observedGeneration: dep.metadata.generation})
    const [pod] = pods('web')
    expect(pod.status.podIP).toMatch(/^198\.18\.44\.2[1-3]$/)
    const i = await info(pod.status.podIP, 8080)
    expect(i).toMatchObject({env: {POD_IP: pod.status.podIP, NODE_NAME: pod.spec.nodeName}, cap: '0000000000000000'})

    store().delete('apps/v1', 'Deployment', NS, 'web')
    store().delete('apps/v1', 'DaemonSet', NS, 'probe')
    await poll(async () => (await lab.kubelet.containers()).length === 0 && pods('probe').length + pods('web').length === 0,
      {timeoutMs: 30_000, what: 'every container and pod gone'})
  }, 120_000)
})
