// Issue 15 "the wire", end to end: `lbctl doctor` (bin/run.js, from the client on the segment) against the real
// bin/speaker.js on three lab nodes — their HTTPS diagnostics endpoints (port 7473), which check doctor's bearer token
// with a TokenReview and a SubjectAccessReview against the API server harness. Speakers on the other nodes probe; the
// MAC that answers must be the announcing node's (learned from its /v1/l2). A second machine on the segment answering
// for the address is a named conflict until it goes; an L2Advertisement whose interfaces exist on no node fails the
// advertisement stage until the printed fix is applied. IPv6 (NDP) too; and tokens of service accounts with and
// without the speakers/diagnostics grant.
import {readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import Ajv from 'ajv'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {REPO_ROOT} from '../../harness/lab/bundle.js'
import {type LabNode, missingBuild, missingNative, requireLab} from '../../harness/lab/index.js'
import {until} from '../../harness/lab/l2-lab.js'
import {NODES, NS, type SpeakerLab, startL2Lab} from '../speaker/speaker-lab.js'

const PREFIX = 'dwr'
const VIP = '203.0.113.30'
const VIP6 = '2001:db8:ffff::30'
const validate = new Ajv({allErrors: true}).compile(JSON.parse(readFileSync(join(REPO_ROOT, 'schemas/doctor.schema.json'), 'utf8')))
const ROGUE_IP = '198.18.40.201'

interface Report {
  ok: boolean
  checks: Check[]
  services: Array<{name: string; brokenAt?: string; stages: Array<{stage: string; status: string; checks: Check[]}>}>
}
interface Check {
  id: string
  status: string
  message: string
  evidence: string[]
  fix?: string
}

describe.runIf(requireLab(['curl', 'kubectl', 'openssl'], [...missingNative(), ...missingBuild()]))('lbctl doctor against the real speakers, in the lab', () => {
  let l: SpeakerLab
  let owner: string
  beforeAll(async () => {
    ;({lab: l} = await startL2Lab(PREFIX, VIP))
    await until(() => l.httpGet(VIP), (v) => v !== undefined, 30_000, `HTTP through ${VIP}`).catch((e) => {
      throw new Error(`${(e as Error).message}\n${l.dump()}`)
    })
    ;[owner] = await until(() => l.l2Owners('web'), (o) => o.length === 1, 10_000, 'one ServiceL2Status for web')
    // The controller runs (speaker-lab.ts starts it next to the API server); its Pod object is what a Deployment makes.
    const labels = {'app.kubernetes.io/name': 'lbctl', 'app.kubernetes.io/component': 'controller', 'app.kubernetes.io/part-of': 'lbctl'}
    await l.apply({apiVersion: 'v1', kind: 'Pod', metadata: {name: 'lbctl-controller-lab', namespace: NS, labels}, spec: {nodeName: 'n1', containers: [{name: 'controller', image: 'lbctl-controller'}]}})
    await l.patchStatus('pod', 'lbctl-controller-lab', {phase: 'Running', conditions: [{type: 'Ready', status: 'True'}]}, NS)
  }, 120_000)
  afterAll(async () => {
    await l?.destroy()
  })

  /**
   * `lbctl doctor default/web --json` from the client, with the lab's kubeconfig (an admin token: the speakers' SAR
   * allows it) or another one.
   */
  const doctor = async (kubeconfig = l.kubeconfig, service = 'default/web'): Promise<{code: number; report: Report; stderr: string}> => {
    const r = await l.client.exec(process.execPath, [join(REPO_ROOT, 'bin/run.js'), 'doctor', service, '--json', '--kubeconfig', kubeconfig])
    let report: Report
    try {
      report = JSON.parse(r.stdout) as Report
    } catch {
      throw new Error(`doctor printed no JSON (exit ${r.exitCode}): ${r.stdout}\n${r.stderr}`)
    }
    if (!validate(report)) throw new Error(`doctor --json does not match schemas/doctor.schema.json: ${JSON.stringify(validate.errors)}`)
    return {code: r.exitCode ?? -1, report, stderr: r.stderr}
  }
  const stageChecks = (r: Report, stage: string): Check[] => r.services[0].stages.find((s) => s.stage === stage)!.checks
  const wire = (r: Report, id: string): Check | undefined => stageChecks(r, 'wire').find((c) => c.id === id)

  /** Failed check ids, cluster-wide and in the service's verdict. */
  const failedIds = (r: Report): string[] =>
    [...new Set([...r.checks, ...r.services.flatMap((v) => v.stages.flatMap((st) => st.checks))].filter((c) => c.status === 'fail').map((c) => c.id))].sort()
  const macOf = (n: string): string => l.nodes[n as (typeof NODES)[number]].mac

  it('a healthy lab: every check passes (exit 0); exactly one MAC answers, and it is the announcing node\'s', async () => {
    const {code, report, stderr} = await doctor()
    expect(failedIds(report), JSON.stringify(report.checks.filter((c) => c.status === 'fail'))).toEqual([])
    expect(code, stderr).toBe(0)
    expect(report.services[0].stages.map((s) => [s.stage, s.status])).toEqual([
      ['class', 'pass'], ['allocation', 'pass'], ['advertisement', 'pass'], ['endpoints', 'pass'], ['announcement', 'pass'], ['wire', 'pass'],
    ])
    const single = wire(report, 'wire.single-mac')!
    expect(single.message).toBe(`one MAC answers for ${VIP}: ${macOf(owner)} (${owner}/eth0, the announcer)`)
    // Probed from the two other nodes, through their speakers.
    const others = NODES.filter((n) => n !== owner)
    expect(single.evidence[0]).toBe(`${macOf(owner)} (${owner}/eth0, the announcer) seen from ${others.map((n) => `${n}/eth0`).join(', ')}`)
    expect(single.evidence).toContain(`${owner} reports announcing ${VIP} on eth0`)
    expect(wire(report, 'wire.announcer-mac')).toMatchObject({status: 'pass', message: `${owner} announces ${VIP} (ServiceL2Status) and its MAC ${macOf(owner)} answers`})
  })

  it('IPv6: one MAC answers NDP for the address, and it is the announcing node\'s', async () => {
    await l.addService('web6', VIP6)
    const [owner6] = await until(() => l.l2Owners('web6'), (o) => o.length === 1, 15_000, 'one ServiceL2Status for web6')
    const r = await until(() => doctor(l.kubeconfig, 'default/web6'), (x) => x.code === 0, 15_000, 'doctor to pass for web6').catch((e) => {
      throw new Error(`${(e as Error).message}\n${l.dump()}`)
    })
    expect(wire(r.report, 'wire.single-mac')!.message).toBe(`one MAC answers for ${VIP6}: ${macOf(owner6)} (${owner6}/eth0, the announcer)`)
    expect(wire(r.report, 'wire.announcer-mac')!.status).toBe('pass')
  })

  it('with a service account\'s token: allowed to get speakers/diagnostics → probed; not allowed → the wire stage says the speakers refused (403)', async () => {
    // Read-only everywhere (what doctor reads), and for one account the diagnostics subresource in the speakers' namespace.
    await l.apply({apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: {name: 'lab-read'}, rules: [
      // Not lbctl.io's `*`: that would match speakers/diagnostics too, as in Kubernetes RBAC.
      {apiGroups: ['', 'apps', 'discovery.k8s.io', 'metallb.io', 'apiextensions.k8s.io', 'admissionregistration.k8s.io'], resources: ['*'], verbs: ['get', 'list', 'watch']},
      {apiGroups: ['lbctl.io'], resources: ['bgppeersessions'], verbs: ['get', 'list', 'watch']},
    ]})
    await l.apply({apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'Role', metadata: {name: 'speaker-diagnostics', namespace: NS}, rules: [{apiGroups: ['lbctl.io'], resources: ['speakers/diagnostics'], verbs: ['get']}]})
    const kubeconfigs: Record<string, string> = {}
    for (const sa of ['doctor', 'reader']) {
      await l.apply({apiVersion: 'v1', kind: 'ServiceAccount', metadata: {name: sa, namespace: NS}})
      await l.apply({apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: {name: `lab-read-${sa}`}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'lab-read'}, subjects: [{kind: 'ServiceAccount', name: sa, namespace: NS}]})
      const token = (await l.kubectl(['create', 'token', sa, '-n', NS])).trim()
      kubeconfigs[sa] = join(l.dir, `kubeconfig-${sa}`)
      writeFileSync(kubeconfigs[sa], readFileSync(l.kubeconfig, 'utf8').replace(/token: .*/, `token: ${token}`))
    }
    await l.apply({apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'RoleBinding', metadata: {name: 'doctor-diagnostics', namespace: NS}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'Role', name: 'speaker-diagnostics'}, subjects: [{kind: 'ServiceAccount', name: 'doctor', namespace: NS}]})

    const allowed = await doctor(kubeconfigs.doctor)
    expect(failedIds(allowed.report)).toEqual([])
    expect(allowed.code, allowed.stderr).toBe(0)
    expect(wire(allowed.report, 'wire.announcer-mac')).toMatchObject({status: 'pass'})

    const refused = await doctor(kubeconfigs.reader)
    expect(refused.code, refused.stderr).toBe(0)
    const c = wire(refused.report, 'wire.single-mac')!
    expect(c).toMatchObject({status: 'skip', message: 'not probed: the diagnostics endpoint of no other speaker could be used'})
    expect(c.evidence.join('\n')).toContain(`answered HTTP 403: system:serviceaccount:${NS}:reader may not get speakers/diagnostics (group lbctl.io) in namespace ${NS}`)
    // Nor could its interfaces be learned for the advertisement stage: said, not guessed.
    expect(wire(refused.report, 'wire.announcer-mac')).toBeUndefined()
  })

  it('a second machine on the segment answering ARP for the address → wire.single-mac fails naming both MACs (exit 1); gone → passes', async () => {
    const rogue: LabNode = await l.lab.addNode('rogue', {bridge: l.lan, ipv4: `${ROGUE_IP}/24`})
    // The kernel's default (arp_ignore=0): it answers ARP for any of its addresses, as a misconfigured host would.
    await rogue.addAddress(`${VIP}/32`, 'eth0')
    try {
      const bad = await doctor()
      expect(bad.code).toBe(1)
      expect(failedIds(bad.report)).toEqual(['wire.single-mac'])
      expect(bad.report.services[0].brokenAt).toBe('wire')
      const c = wire(bad.report, 'wire.single-mac')!
      const both = [`${macOf(owner)} (${owner}/eth0, the announcer)`, `${rogue.mac} (no node of the cluster: another machine on the segment)`]
        .sort((a, b) => (a < b ? -1 : 1))
      expect(c.message).toBe(`conflict: 2 MACs answer for ${VIP}: ${both.join(', ')} — another machine on the segment uses the address`)
      expect(c.fix).toBe(`kubectl -n ${NS} get servicel2statuses -L metallb.io/service-namespace,metallb.io/service-name,metallb.io/node`)
      // The announcer's MAC is among them, so that check still passes.
      expect(wire(bad.report, 'wire.announcer-mac')!.status).toBe('pass')
      // The printed next step runs as printed and shows the announcer.
      const shown = await l.api.exec('sh', ['-c', c.fix!], {env: {...process.env, KUBECONFIG: l.kubeconfig}})
      expect(shown.exitCode, shown.stderr).toBe(0)
      expect(shown.stdout).toMatch(new RegExp(`default\\s+web\\s+${owner}`))
    } finally {
      await rogue.delAddress(`${VIP}/32`, 'eth0')
    }
    const good = await doctor()
    expect(failedIds(good.report)).toEqual([])
    expect(good.code).toBe(0)
  })

  it('L2Advertisement interfaces: present on every node → pass; on no node → advertisement.interfaces fails with a fix that makes it pass', async () => {
    const adv = (interfaces: string[]) => l.apply({apiVersion: 'metallb.io/v1beta1', kind: 'L2Advertisement', metadata: {name: 'lab', namespace: NS}, spec: {ipAddressPools: ['lab'], interfaces}})
    await adv(['eth0'])
    const named = await doctor()
    const ok = stageChecks(named.report, 'advertisement').find((c) => c.id === 'advertisement.interfaces')
    expect(ok).toMatchObject({status: 'pass', message: 'named interfaces are up on the nodes: eth0 on n1, n2, n3'})

    await adv(['eth9'])
    const bad = await doctor()
    expect(bad.code).toBe(1)
    expect(failedIds(bad.report)).toEqual(['advertisement.interfaces'])
    expect(bad.report.services[0].brokenAt).toBe('advertisement')
    const c = stageChecks(bad.report, 'advertisement').find((x) => x.id === 'advertisement.interfaces')!
    expect(c.message).toBe('L2Advertisement lab names interface eth9, which is up and ARP-capable on no node it selects (n1, n2, n3): nobody announces the service')
    expect(c.evidence).toContain('L2Advertisement/lab on n2: has none of eth9; usable interfaces there: eth0')
    const applied = await l.api.exec('sh', ['-c', c.fix!], {env: {...process.env, KUBECONFIG: l.kubeconfig}})
    expect(applied.exitCode, applied.stderr).toBe(0)
    // The speakers announce again once they have the change; doctor passes then.
    const after = await until(doctor, (r) => failedIds(r.report).length === 0, 20_000, 'doctor to pass after the fix').catch(async (e) => {
      throw new Error(`${(e as Error).message}
${JSON.stringify((await doctor()).report.services[0].stages)}`)
    })
    expect(after.code).toBe(0)
    expect(stageChecks(after.report, 'advertisement').map((x) => x.id)).not.toContain('advertisement.interfaces')
  })
})
