import {describe, expect, it} from 'vitest'
import {accessRefusal, requiredAccess} from '../../../src/lib/install/preflight.js'
import {planManifests, redact, toYamlStream} from '../../../src/lib/install/manifests.js'
import {RULES} from '../../../src/lib/install/rbac.js'
import {SPEAKER_CAPABILITIES} from '../../../src/lib/install/workloads.js'
import {checkInput, type InstallInput} from '../../../src/lib/install/install.js'
import {readiness} from '../../../src/lib/install/wait.js'

const opts = (over: Partial<Parameters<typeof planManifests>[0]> = {}) => planManifests({
  namespace: 'lb', mode: 'l2', version: '1.2.3', installedAt: '2026-01-01T00:00:00Z', controllerImage: 'r/c:1.2.3', speakerImage: 'r/s:1.2.3',
  controllerReplicas: 1, logLevel: 'info', memberlistKey: 'k'.repeat(172), ...over,
})
const find = (kind: string, p = opts()) => p.find((x) => x.object.kind === kind)!.object as any

describe('RBAC', () => {
  it('grants no Secret access cluster-wide; the speaker reads Secrets only in its namespace, the controller not at all', () => {
    for (const c of ['controller', 'speaker'] as const) {
      expect(RULES[c].cluster.some((r) => r.resources!.includes('secrets'))).toBe(false)
      expect(RULES[c].cluster.some((r) => r.verbs.includes('*') || r.resources!.includes('*'))).toBe(false)
    }
    expect(RULES.speaker.namespaced.find((r) => r.resources!.includes('secrets'))!.verbs).toEqual(['get'])
    expect(RULES.controller.namespaced.some((r) => r.resources!.includes('secrets'))).toBe(false)
  })

  it('lets the speaker authenticate and authorize diagnostics callers, and write its BGP session kind', () => {
    const cluster = RULES.speaker.cluster.flatMap((r) => r.resources!.map((x) => `${x}:${r.verbs.join(',')}`))
    expect(cluster).toEqual(expect.arrayContaining(['tokenreviews:create', 'subjectaccessreviews:create']))
    expect(RULES.speaker.namespaced.find((r) => r.apiGroups!.includes('lbctl.io'))!.resources).toEqual(['bgppeersessions'])
  })

  it('binds each role to its own service account, cluster roles named per namespace', () => {
    const p = opts()
    const crb = p.filter((x) => x.object.kind === 'ClusterRoleBinding').map((x) => x.object as any)
    expect(crb.map((b) => [b.metadata.name, b.subjects[0].name, b.subjects[0].namespace])).toEqual([
      ['lbctl-lb-controller', 'lbctl-controller', 'lb'], ['lbctl-lb-speaker', 'lbctl-speaker', 'lb'],
    ])
  })
})

describe('workloads', () => {
  it('controller: non-root, read-only root, probes; leader election only with more than one replica', () => {
    const c = find('Deployment').spec.template.spec.containers[0]
    expect(c.securityContext).toMatchObject({runAsNonRoot: true, readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: ['ALL']}})
    expect(c.readinessProbe.httpGet.path).toBe('/readyz')
    expect(c.args).toContain('--leader-elect=false')
    expect(find('Deployment', opts({controllerReplicas: 2})).spec.template.spec.containers[0].args).toContain('--leader-elect=true')
  })

  it('speaker: host network, exactly the listed capabilities, control-plane tolerations, the memberlist Secret mounted', () => {
    const ds = find('DaemonSet')
    const c = ds.spec.template.spec.containers[0]
    expect(ds.spec.template.spec.hostNetwork).toBe(true)
    expect(c.securityContext.capabilities).toEqual({drop: ['ALL'], add: [...SPEAKER_CAPABILITIES]})
    expect(SPEAKER_CAPABILITIES).not.toContain('SYS_ADMIN')
    expect(c.securityContext.readOnlyRootFilesystem).toBe(true)
    expect(ds.spec.template.spec.tolerations.map((t: any) => t.key)).toContain('node-role.kubernetes.io/control-plane')
    expect(ds.spec.template.metadata.labels).toMatchObject({'app.kubernetes.io/name': 'lbctl', 'app.kubernetes.io/component': 'speaker'})
    expect(c.args).toContain('--member-selector=app.kubernetes.io/name=lbctl,app.kubernetes.io/component=speaker')
    expect(c.volumeMounts[0].mountPath).toBe('/etc/ml_secret_key')
    expect(ds.spec.updateStrategy.rollingUpdate.maxUnavailable).toBe(1)
  })
})

describe('memberlist Secret and YAML output', () => {
  it('is planned only when it does not exist yet', () => {
    expect(opts().some((p) => p.object.kind === 'Secret')).toBe(true)
    expect(opts({memberlistKey: undefined}).some((p) => p.object.kind === 'Secret')).toBe(false)
  })

  it('never prints the key', () => {
    const key = 'super-secret-key'
    const yaml = toYamlStream(opts({memberlistKey: key}))
    expect(yaml).not.toContain(Buffer.from(key).toString('base64'))
    expect(yaml).toContain('memberlist: data redacted')
    expect(redact({apiVersion: 'v1', kind: 'Secret', metadata: {name: 'x'}, stringData: {a: 'b'}})).toEqual({apiVersion: 'v1', kind: 'Secret', metadata: {name: 'x'}, data: {a: 'UkVEQUNURUQ='}})
  })
})

describe('pre-flight', () => {
  it('names every refused permission, and allows when all are allowed', () => {
    const checks = requiredAccess('lb')
    expect(accessRefusal('ctx', checks, checks.map(() => true))).toBeUndefined()
    const e = accessRefusal('ctx', checks, checks.map((c) => c.resource !== 'customresourcedefinitions'))!
    expect(e.code).toBe('FORBIDDEN')
    expect(e.message).toContain('create customresourcedefinitions.apiextensions.k8s.io (cluster-wide)')
    expect(e.message).toContain('patch customresourcedefinitions.apiextensions.k8s.io')
    expect(e.message).not.toContain('daemonsets')
  })

  const base: InstallInput = {mode: 'l2', namespace: 'lb', version: '1.0.0', addresses: [], poolName: 'default', controllerReplicas: 1, logLevel: 'info', dryRun: false, yes: false, wait: false, timeoutMs: 1000}
  it.each([
    [{mode: 'arp'}, 'BAD_MODE'],
    [{version: 'v1 beta'}, 'BAD_VERSION'],
    [{controllerReplicas: 0}, 'BAD_REPLICAS'],
    [{addresses: ['203.0.113.0/28', '203.0.113.8']}, 'OVERLAP_IN_INPUT'],
    [{poolName: 'Bad_Name', addresses: ['203.0.113.1']}, 'BAD_POOL_NAME'],
    [{mode: 'bgp', peer: {address: '198.18.0.1', asn: '23456', myAsn: '64512'}}, 'BAD_ASN'],
  ])('checkInput %j → %s', (over, code) => {
    expect(() => checkInput({...base, ...over} as InstallInput)).toThrow(expect.objectContaining({code}))
  })
})

describe('readiness', () => {
  it('names what is not ready', () => {
    const dep = {metadata: {generation: 2}, spec: {replicas: 2}, status: {observedGeneration: 2, readyReplicas: 1, updatedReplicas: 2}}
    const ds = {metadata: {generation: 1}, status: {observedGeneration: 1, desiredNumberScheduled: 3, numberReady: 3, updatedNumberScheduled: 3}}
    expect(readiness(dep, ds)).toMatchObject({done: false, waitingFor: ['controller: 1/2 ready, 2 updated']})
    expect(readiness({...dep, status: {...dep.status, readyReplicas: 2}}, ds).done).toBe(true)
    expect(readiness({...dep, status: {...dep.status, readyReplicas: 2}}, undefined).waitingFor).toEqual(['DaemonSet lbctl-speaker (missing)'])
    // A new pod that never got ready next to the old one still serving: ready 1/1 and updated 1, but not rolled out.
    const surge = {metadata: {generation: 3}, spec: {replicas: 1}, status: {observedGeneration: 3, replicas: 2, readyReplicas: 1, updatedReplicas: 1}}
    expect(readiness(surge, ds)).toMatchObject({done: false, waitingFor: ['controller: 1/1 ready, 1 updated, 1 old']})
    expect(readiness({...surge, status: {...surge.status, replicas: 1}}, ds).done).toBe(true)
  })
})

describe('the manifests and the daemons agree', () => {
  // What a kubelet would hand the processes: the args as written, env with fieldRefs resolved to sample values.
  const envOf = (container: any): NodeJS.ProcessEnv => {
    const sample: Record<string, string> = {'spec.nodeName': 'node-a', 'metadata.name': 'pod-a', 'metadata.namespace': 'lb', 'status.podIP': '198.18.0.10', 'status.hostIP': '198.18.0.10'}
    return Object.fromEntries(container.env.map((e: any) => [e.name, e.value ?? sample[e.valueFrom.fieldRef.fieldPath]]))
  }

  it('the speaker parses the DaemonSet\'s args and env: node name, gossip bind address and key path all set', async () => {
    const {parseFlags} = await import('../../../src/speaker/flags.js')
    const c = find('DaemonSet').spec.template.spec.containers[0]
    const f = parseFlags(c.args, envOf(c))
    expect(f).toMatchObject({nodeName: 'node-a', memberlistBindAddress: '198.18.0.10', namespace: 'lb'})
    expect(f.memberlistKeyFile).toMatch(/secretkey$/)
  })

  it('the controller parses the Deployment\'s args and env', async () => {
    const {parseFlags} = await import('../../../src/controller/flags.js')
    const c = find('Deployment').spec.template.spec.containers[0]
    expect(() => parseFlags(c.args, envOf(c))).not.toThrow()
  })
})
