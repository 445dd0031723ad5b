// The kubelet stand-in on its own: a DaemonSet becomes one running container per node (env from the downward API,
// Secrets and ConfigMaps, hostNetwork, capabilities, read-only root, cgroup limits, the Secret volume, a
// service-account token that RBAC holds to its Role) whose Pod object turns Ready from the readiness probe; the
// stand-in follows the harness over HTTPS (watches, a re-list after 410, status through the subresource, nothing
// written while nothing changes); a failing liveness probe and an OOM kill restart the container; a missing env key
// is CreateContainerConfigError; taints keep DaemonSet pods off a node unless tolerated; a template change rolls one
// node at a time; a Deployment's pod gets an address of its own; deleting the workloads removes the containers.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {missingPodman, requireLab} from '../lab/prereq.js'
import {poll} from '../poll.js'
import {ensureBases, RUNTIME_BASE} from '../../lab/images/bases.js'
import {loadRestTarget, RestKube} from '../../../src/lib/kube/rest.js'
import {speakerDaemonSet} from '../../../src/lib/install/workloads.js'
import {KUBELET_USER, NODE_IP, NODES, PodLab} from './lab.js'

const NS = 'kubelet-test'
const CAP_NET_RAW = 1n << 13n

// Serves /readyz, and /info: what the container sees (env, uid, capabilities, files, the API with its own token).
const SCRIPT = `const fs=require('fs'),http=require('http'),https=require('https');const sa='/var/run/secrets/kubernetes.io/serviceaccount';
const api=(p)=>new Promise((r)=>{const q=https.get({host:process.env.KUBERNETES_SERVICE_HOST,port:process.env.KUBERNETES_SERVICE_PORT,path:p,
ca:fs.readFileSync(sa+'/ca.crt'),headers:{authorization:'Bearer '+fs.readFileSync(sa+'/token','utf8')}},(s)=>{s.resume();r(s.statusCode)});q.on('error',(e)=>r(e.message))});
const cg=(f)=>{try{return fs.readFileSync('/sys/fs/cgroup/'+f,'utf8').trim()}catch(e){return e.code}};let sick=false;
http.createServer(async(q,s)=>{if(q.url==='/readyz')return s.end('ok');if(q.url==='/sick'){sick=true;return s.end('ok')}
if(q.url==='/hog'){const a=[];for(let i=0;i<40;i++)a.push(Buffer.alloc(8<<20,1));return s.end(String(a.length))}
if(q.url==='/healthz'){s.statusCode=sick?500:200;return s.end(sick?'sick':'ok')}let w='written';try{fs.writeFileSync('/x','')}catch(e){w=e.code}
s.end(JSON.stringify({env:process.env,uid:process.getuid(),cap:/CapEff:\\s*(\\w+)/.exec(fs.readFileSync('/proc/self/status','utf8'))[1],
key:fs.readFileSync('/etc/key/secretkey','utf8'),memory:cg('memory/memory.limit_in_bytes'),quota:cg('cpu/cpu.cfs_quota_us'),shares:cg('cpu/cpu.shares'),ns:fs.readFileSync(sa+'/namespace','utf8'),write:w,
pods:await api('/api/v1/namespaces/${NS}/pods'),secrets:await api('/api/v1/namespaces/${NS}/secrets')}))}).listen(Number(process.env.PORT),'0.0.0.0',()=>console.log('probe listening'))`

const container = (extraEnv: Array<{name: string; value: string}> = [], port = 7474) => ({
  name: 'probe', image: RUNTIME_BASE, command: ['/nodejs/bin/node', '-e', SCRIPT],
  env: [{name: 'PORT', value: String(port)}, {name: 'NODE_NAME', valueFrom: {fieldRef: {fieldPath: 'spec.nodeName'}}},
    {name: 'POD_IP', valueFrom: {fieldRef: {fieldPath: 'status.podIP'}}}, {name: 'POD_NAMESPACE', valueFrom: {fieldRef: {fieldPath: 'metadata.namespace'}}},
    {name: 'KEY', valueFrom: {secretKeyRef: {name: 'key', key: 'secretkey'}}}, {name: 'MODE', valueFrom: {configMapKeyRef: {name: 'cfg', key: 'mode'}}},
    {name: 'OPTIONAL', valueFrom: {secretKeyRef: {name: 'absent', key: 'k', optional: true}}}, ...extraEnv],
  readinessProbe: {httpGet: {path: '/readyz', port}, periodSeconds: 1},
  livenessProbe: {httpGet: {path: '/healthz', port}, periodSeconds: 1, failureThreshold: 2},
  resources: {requests: {cpu: '50m', memory: '32Mi'}, limits: {memory: '128Mi', cpu: '500m'}},
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
  // Workloads go in over HTTP, as kubectl would send them (defaulted by the API server, so their template hash is stable).
  let kube: RestKube
  const apply = (o: any) => kube.apply(o, {force: true})
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
    put({apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'cfg', namespace: NS}, data: {mode: 'layer2'}})
    put({apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: {name: 'probe', namespace: NS}, rules: [{apiGroups: [''], resources: ['pods'], verbs: ['get', 'list']}]})
    put({apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: {name: 'probe', namespace: NS},
      roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'probe'}, subjects: [{kind: 'ServiceAccount', name: 'probe', namespace: NS}]})
    kube = new RestKube(loadRestTarget({kubeconfig: lab.kubeconfig})!, {fieldManager: 'kubelet-test'})
    await apply(daemonSet())
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
      expect(i.env).toMatchObject({NODE_NAME: n, POD_IP: NODE_IP[n], POD_NAMESPACE: NS, KUBERNETES_SERVICE_HOST: '198.18.44.250', KUBERNETES_SERVICE_PORT: '6443',
        KEY: 's3cret', MODE: 'layer2'})
      expect(i.env.OPTIONAL).toBeUndefined()
      // limits.memory 128Mi, limits.cpu 500m (a 50 ms quota per 100 ms period), requests.cpu 50m (51 shares): runc's cgroup v1 files.
      expect(i).toMatchObject({memory: String(128 * 2 ** 20), quota: '50000', shares: '51'})
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
      await apply(daemonSet([{name: 'REVISION', value: '2'}]))
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
    await apply(ds)
    const waiting = await poll(() => pods('late'), {timeoutMs: 30_000, what: 'three waiting pods', ok: (ps) => ps.length === 3 && ps.every((p) => p.status.containerStatuses)})
    expect(waiting.map((p) => p.status.containerStatuses[0].state.waiting?.message)).toEqual(Array(3).fill('secret "late-key" not found'))
    store().put({apiVersion: 'v1', kind: 'Secret', metadata: {name: 'late-key', namespace: NS}, data: {secretkey: Buffer.from('later').toString('base64')}})
    await poll(() => store().get('apps/v1', 'DaemonSet', NS, 'late'), {timeoutMs: 60_000, what: 'the late pods ready', ok: (d) => d?.status?.numberReady === 3})
    expect((await info(NODE_IP.n1, 7475)).key).toBe('later')
    store().delete('apps/v1', 'DaemonSet', NS, 'late')
  }, 90_000)

  it('follows the harness over HTTPS: list + watch, Pods and status written through the API, a fresh list after 410 Gone', async () => {
    // Every one of them sent by the stand-in with its own token, which the harness's RBAC holds to its ClusterRole.
    const seen = (method: string, path: RegExp, query = /.*/) => lab.server.requests.some((r) => r.method === method && path.test(r.path) && query.test(r.query) && r.status < 300 && r.user === KUBELET_USER)
    expect(seen('GET', /^\/apis\/apps\/v1\/namespaces\/kubelet-test\/daemonsets$/, /watch=true/)).toBe(true)
    expect(seen('GET', /^\/api\/v1\/nodes$/, /watch=true/)).toBe(true)
    expect(seen('GET', /^\/api\/v1\/namespaces\/kubelet-test\/secrets$/, /watch=true/)).toBe(true)
    expect(seen('POST', /^\/api\/v1\/namespaces\/kubelet-test\/pods$/)).toBe(true)
    expect(seen('PATCH', /^\/api\/v1\/namespaces\/kubelet-test\/pods\/probe-\w+\/status$/)).toBe(true)
    expect(seen('PATCH', /^\/apis\/apps\/v1\/namespaces\/kubelet-test\/daemonsets\/probe\/status$/)).toBe(true)
    // Level-triggered, but not chatty: with nothing changing, nothing is written (and nothing is read but the watches).
    await poll(() => pods('late').length === 0, {timeoutMs: 30_000, what: 'the previous test\'s pods gone'})
    const from = lab.server.requests.length
    await new Promise((r) => setTimeout(r, 2000))
    const quiet = lab.server.requests.slice(from).filter((r) => !/watch=true/.test(r.query))
    const all = lab.server.requests
    console.log(`kubelet: ${all.length} requests so far (${all.filter((r) => /watch=true/.test(r.query)).length} watches, ${all.filter((r) => r.method === 'GET' && !/watch=true/.test(r.query)).length} other reads, ` +
      `${all.filter((r) => r.method !== 'GET').length} writes); in 2 s with nothing changing: ${quiet.map((r) => `${r.method} ${r.path}`).join(', ') || 'none'}`)
    expect(quiet.map((r) => `${r.method} ${r.path}`)).toEqual([])
    expect(all.filter((r) => r.user === KUBELET_USER && r.status === 403).map((r) => `${r.method} ${r.path}`)).toEqual([])
    const lists = lab.kubelet.view.lists().DaemonSet
    // The watch is resumed from its resourceVersion and told the history is gone: only a new list is consistent.
    lab.server.faults.failNext(1, 410, {path: /daemonsets\?.*watch=true/})
    lab.server.faults.dropWatches()
    await poll(() => lab.kubelet.view.lists().DaemonSet, {timeoutMs: 15_000, what: 'a re-list of DaemonSets after 410', ok: (n) => n > lists})
  }, 30_000)

  it('restarts a container whose liveness probe fails, and counts it in the Pod\'s restartCount', async () => {
    const pod = pods('probe').find((p) => p.spec.nodeName === 'n1')
    expect(pod.status.containerStatuses[0].restartCount).toBe(0)
    expect(await lab.httpGet(`http://${NODE_IP.n1}:7474/sick`)).toBe('ok')
    const after = await poll(() => store().get('v1', 'Pod', NS, pod.metadata.name), {timeoutMs: 30_000, what: 'the restart',
      ok: (p) => p?.status?.containerStatuses?.[0]?.restartCount === 1 && p.status.containerStatuses[0].ready})
    // Stopped by the kubelet (SIGTERM, its grace period): not an OOM kill.
    expect(after.status.containerStatuses[0].lastState.terminated.reason).not.toBe('OOMKilled')
    // A new process: healthy again, and it stays (no second restart).
    expect(await lab.httpGet(`http://${NODE_IP.n1}:7474/healthz`)).toBe('ok')
  }, 60_000)

  it('enforces limits.memory: a container that allocates past it is killed, reported OOMKilled, and restarted', async () => {
    const pod = pods('probe').find((p) => p.spec.nodeName === 'n2')
    expect(pod.status.containerStatuses[0].restartCount).toBe(0)
    // 320 MiB against a 128 MiB limit: the kernel kills it before it answers.
    expect(await lab.httpGet(`http://${NODE_IP.n2}:7474/hog`, 10_000)).toBeUndefined()
    const after = await poll(() => store().get('v1', 'Pod', NS, pod.metadata.name), {timeoutMs: 30_000, what: 'the restart after the OOM kill',
      ok: (p) => p?.status?.containerStatuses?.[0]?.restartCount === 1 && p.status.containerStatuses[0].ready})
    expect(after.status.containerStatuses[0].lastState.terminated).toMatchObject({exitCode: 137, reason: 'OOMKilled'})
  }, 60_000)

  it('keeps a pod whose env names a missing key in CreateContainerConfigError, and starts it once the key exists', async () => {
    const c = container([{name: 'LATE', valueFrom: {secretKeyRef: {name: 'key', key: 'later'}}} as any], 8081)
    await apply({apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: 'cfgerr', namespace: NS},
      spec: {replicas: 1, selector: {matchLabels: {app: 'cfgerr'}}, template: {metadata: {labels: {app: 'cfgerr'}},
        spec: {serviceAccountName: 'probe', terminationGracePeriodSeconds: 1, containers: [c], volumes: [{name: 'key', secret: {secretName: 'key'}}]}}}})
    const [waiting] = await poll(() => pods('cfgerr'), {timeoutMs: 30_000, what: 'a waiting pod', ok: (ps) => ps.length === 1 && ps[0].status.containerStatuses?.[0]?.state?.waiting})
    expect(waiting.status.containerStatuses[0].state.waiting).toEqual({reason: 'CreateContainerConfigError', message: `couldn't find key later in Secret ${NS}/key`})
    expect(waiting.status.phase).toBe('Pending')
    const key = store().get('v1', 'Secret', NS, 'key')
    store().put({...key, data: {...key.data, later: Buffer.from('now').toString('base64')}})
    await poll(() => store().get('apps/v1', 'Deployment', NS, 'cfgerr'), {timeoutMs: 60_000, what: 'the pod ready once the key exists', ok: (d) => d?.status?.readyReplicas === 1})
    expect((await info(pods('cfgerr')[0].status.podIP, 8081)).env.LATE).toBe('now')
    store().delete('apps/v1', 'Deployment', NS, 'cfgerr')
  }, 90_000)

  it('puts a DaemonSet\'s pod on a control-plane node only when it tolerates the taint, as install\'s speaker DaemonSet does', async () => {
    const taint = (taints: unknown[] | null) => kube.mergePatch({apiVersion: 'v1', kind: 'Node'}, 'n3', undefined, {spec: {taints}})
    await taint([{key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule'}])
    const speakerTolerations = (speakerDaemonSet({namespace: NS, controllerImage: 'c', speakerImage: 's', controllerReplicas: 1, logLevel: 'info'}) as any).spec.template.spec.tolerations
    const ds = (name: string, port: number, tolerations?: unknown[]) => {
      const d = daemonSet()
      d.metadata.name = name
      d.spec.selector.matchLabels.app = name
      d.spec.template.metadata.labels.app = name
      Object.assign(d.spec.template.spec, {containers: [container([], port)], ...(tolerations ? {tolerations} : {})})
      return d
    }
    try {
      await apply(ds('plain', 7476))
      await apply(ds('tolerant', 7477, speakerTolerations))
      const ready = (name: string, n: number) => poll(() => store().get('apps/v1', 'DaemonSet', NS, name), {timeoutMs: 60_000, what: `${name}: ${n} ready\n${PodLab.events.slice(-10).join('\n')}`,
        ok: (d) => d?.status?.numberReady === n && d.status.desiredNumberScheduled === n})
      await ready('tolerant', 3)
      await ready('plain', 2)
      expect(pods('tolerant').map((p) => p.spec.nodeName).sort()).toEqual(['n1', 'n2', 'n3'])
      expect(pods('plain').map((p) => p.spec.nodeName).sort()).toEqual(['n1', 'n2'])
      // NoSchedule keeps new pods off; the probe pod already on n3 stays.
      expect(pods('probe').map((p) => p.spec.nodeName)).toContain('n3')
    } finally {
      store().delete('apps/v1', 'DaemonSet', NS, 'plain')
      store().delete('apps/v1', 'DaemonSet', NS, 'tolerant')
      await taint(null)
    }
  }, 90_000)

  it('gives a Deployment\'s pod an address of its own, and removes every container when the workloads go', async () => {
    const c = container([], 8080)
    await apply({apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: 'web', namespace: NS},
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
