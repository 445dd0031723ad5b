// The controller and the CLI as they run in a pod: no kubeconfig, KUBERNETES_SERVICE_HOST/PORT, and the service
// account (token, ca.crt, namespace) at /var/run/secrets/kubernetes.io/serviceaccount, over HTTPS to the harness.
//
// The real path exists only inside a private mount namespace per process: there a tmpfs covers /var/run (so the
// mount point is made in memory, not on the host's disk) and a temporary directory of this test is bind-mounted onto
// the service account path. Nothing outside the namespace changes; the test checks that too. Needs root.
import {execFileSync, spawn} from 'node:child_process'
import {randomUUID} from 'node:crypto'
import {existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, afterEach, beforeAll, describe, expect, it} from 'vitest'
import {missingTools, requirePrerequisites} from '../../harness/lab/prereq.js'
import {projectServiceAccountToken, type ProjectedToken} from '../../harness/apiserver/projected.js'
import {makeCertificates, type TestCertificates} from '../../harness/apiserver/tls.js'
import {BIN, type CliResult} from '../helpers.js'
import {type Cluster, type Daemon, ingressOf, poolObj, startCluster, startController, svcObj, waitFor} from './helpers.js'

const SA = '/var/run/secrets/kubernetes.io/serviceaccount'

/** Root, unshare and mount, openssl, and mount namespaces that work here. */
function podPrerequisites(): string[] {
  const missing: string[] = []
  if (process.platform !== 'linux') return [`Linux (this is ${process.platform})`]
  if (process.getuid?.() !== 0) missing.push('root (run as uid 0)')
  missing.push(...missingTools(['unshare', 'mount', 'openssl']))
  if (missing.length === 0) {
    try {
      execFileSync('unshare', ['--mount', '--propagation', 'private', 'true'], {stdio: ['ignore', 'ignore', 'pipe']})
    } catch (e) {
      missing.push(`mount namespaces (\`unshare --mount\` failed: ${String((e as {stderr?: Buffer}).stderr ?? e).trim()})`)
    }
  }
  return missing
}

// Runs in the new mount namespace: set -e makes a failed mount stop here, before the command could run unconfined.
const POD_SCRIPT = [
  'set -eu',
  'mount -t tmpfs -o size=1m,mode=0755 lbctl-pod /var/run',
  `mkdir -p ${SA}`,
  `mount --bind "$1" ${SA}`,
  'shift',
  'exec "$@"',
].join('\n')

/** A command prefix that runs its arguments as in a pod whose service account volume is `saDir`. */
const inPod = (saDir: string): string[] => ['unshare', '--mount', '--propagation', 'private', '--', 'sh', '-c', POD_SCRIPT, 'pod', saDir]

/** What the host has at the service account path (normally nothing), to check that it is left alone. */
const hostServiceAccount = (): string => (existsSync('/var/run/secrets') ? JSON.stringify(readdirSync('/var/run/secrets', {recursive: true})) : 'absent')

describe.runIf(requirePrerequisites('in-cluster tests', 'a pod-like mount namespace', podPrerequisites()))('controller and CLI in a pod (service account over HTTPS)', () => {
  const hostBefore = hostServiceAccount()
  let certs: TestCertificates
  let c: Cluster
  let tmp: string
  let sa: string
  const running: Daemon[] = []

  /** A service account volume: what the kubelet writes, in a directory of this test. */
  const serviceAccount = (name: string, ca: string, token: string): string => {
    const dir = join(tmp, name)
    mkdirSync(dir)
    writeFileSync(join(dir, 'ca.crt'), ca)
    writeFileSync(join(dir, 'namespace'), 'metallb-system')
    writeFileSync(join(dir, 'token'), token)
    return dir
  }

  const pod = async (dir: string, cluster: Cluster, args: string[] = []): Promise<Daemon> => {
    const d = await startController('', ['--lease-duration', '2s', ...args], podEnv(cluster), inPod(dir))
    running.push(d)
    return d
  }
  const podEnv = (cluster: Cluster): NodeJS.ProcessEnv => ({
    KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: new URL(cluster.server.url).port,
    KUBECONFIG: undefined, HOME: tmp, POD_NAMESPACE: undefined,
  })
  /** `lbctl ARGS` in the pod, as the built binary. */
  const cli = (dir: string, cluster: Cluster, args: string[]): Promise<CliResult> =>
    new Promise((resolve, reject) => {
      const [cmd, ...rest] = [...inPod(dir), process.execPath, BIN, ...args]
      const child = spawn(cmd, rest, {env: {...process.env, NO_COLOR: '1', ...podEnv(cluster)}, stdio: ['ignore', 'pipe', 'pipe']})
      let stdout = ''
      let stderr = ''
      child.stdout.on('data', (d) => (stdout += d))
      child.stderr.on('data', (d) => (stderr += d))
      child.on('error', reject)
      child.on('close', (code) => {
        let json: any
        try {
          json = JSON.parse(stdout)
        } catch {
          json = undefined
        }
        resolve({code: code ?? -1, stdout, stderr, json})
      })
    })
  const lease = () => c.server.store.get('coordination.k8s.io/v1', 'Lease', 'metallb-system', 'lbctl-controller')?.spec

  beforeAll(async () => {
    certs = makeCertificates({hosts: ['127.0.0.1']})
    c = await startCluster({tls: certs, tokens: ['token-1']})
    c.server.store.put(poolObj('web', ['203.0.113.0/28']))
    // The controller's identity in the pod; this file tests tokens, not permissions, so it may do everything.
    c.server.store.put({apiVersion: 'v1', kind: 'ServiceAccount', metadata: {name: 'lbctl-controller', namespace: 'metallb-system'}})
    c.server.store.put({apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRole', metadata: {name: 'everything'}, rules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]})
    c.server.store.put({
      apiVersion: 'rbac.authorization.k8s.io/v1', kind: 'ClusterRoleBinding', metadata: {name: 'lbctl-controller-everything'},
      subjects: [{kind: 'ServiceAccount', name: 'lbctl-controller', namespace: 'metallb-system'}],
      roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: 'everything'},
    })
    tmp = mkdtempSync(join(tmpdir(), 'lbctl-pod-'))
    sa = serviceAccount('sa', certs.ca, 'token-1')
  })
  const writers: ProjectedToken[] = []
  const track = (p: ProjectedToken): ProjectedToken => (writers.push(p), p)
  afterEach(async () => {
    for (const d of running.splice(0)) await d.stop()
    for (const w of writers.splice(0)) w.stop()
  })
  afterAll(async () => {
    await c?.close()
    if (tmp) rmSync(tmp, {recursive: true, force: true})
    expect(hostServiceAccount()).toBe(hostBefore)
  })

  it('sees the service account only inside its namespace', async () => {
    const [cmd, ...args] = [...inPod(sa), 'cat', `${SA}/token`, `${SA}/namespace`]
    expect(execFileSync(cmd, args, {encoding: 'utf8'})).toBe('token-1metallb-system')
    expect(hostServiceAccount()).toBe(hostBefore)
  })

  it('assigns addresses, and keeps working when the kubelet rotates the token', async () => {
    // The kubelet's projected token: a new one at 80% of its lifetime, the old one valid until it expires. The harness's
    // clock moves on instead of the test waiting an hour.
    const projected = track(projectServiceAccountToken(c.server, join(tmp, 'projected'), {namespace: 'metallb-system', serviceAccount: 'lbctl-controller', ca: certs.ca}))
    // A lease long enough that a loaded machine does not lose it on its own: this test is about the token.
    const ctl = await pod(projected.dir, c, ['--lease-duration', '6s'])
    const starting = ctl.logs.find((l) => l.msg === 'starting')
    expect(starting).toMatchObject({server: c.server.url, context: 'in-cluster', transport: 'rest'})
    c.server.store.put(svcObj('in-pod'))
    await waitFor(() => ingressOf(c, 'in-pod').length === 1, {what: 'an address for in-pod'})
    expect(ingressOf(c, 'in-pod')[0]).toMatch(/^203\.0\.113\.([0-9]|1[0-5])$/)
    await waitFor(() => lease()?.holderIdentity === ctl.identity, {what: 'the controller to hold the lease'})
    const first = projected.credentialId
    expect(c.server.requests.filter((r) => r.user === 'system:serviceaccount:metallb-system:lbctl-controller').length).toBeGreaterThan(0)

    const n = c.server.requests.length
    c.server.advanceClock(0.8 * 3607 * 1000)
    await waitFor(() => projected.writes === 2, {what: 'the kubelet stand-in to write a new token'})
    const second = projected.credentialId
    const renewed = lease()!.renewTime
    c.server.store.put(svcObj('after-rotation'))
    await waitFor(() => ingressOf(c, 'after-rotation').length === 1, {what: 'an address for after-rotation'})
    await waitFor(() => lease()?.renewTime !== renewed, {what: 'a lease renewal'})
    await waitFor(() => c.server.requests.slice(n).some((r) => r.credential === second && r.method !== 'GET'), {what: 'a write with the new token'})
    // The old token expires: nothing the controller sends is refused, because it moved to the new one at once.
    c.server.advanceClock(0.2 * 3607 * 1000 + 1000)
    c.server.faults.dropWatches({abrupt: true})
    const m = c.server.requests.length
    c.server.store.put(svcObj('after-expiry'))
    await waitFor(() => ingressOf(c, 'after-expiry').length === 1, {what: 'an address for after-expiry'})
    await waitFor(() => c.server.requests.slice(m).some((r) => r.method === 'GET' && /watch=/.test(r.query) && r.status === 200), {what: 'a new watch with the new token'})
    const after = c.server.requests.slice(n)
    expect(after.filter((r) => r.status === 401)).toEqual([])
    expect(c.server.requests.slice(m).filter((r) => r.credential === first)).toEqual([])
    expect(ctl.logs.filter((l) => l.msg === 'not leader (lost or released the lease); stopped writing')).toEqual([])

    // `lbctl` in the same pod: client-node, the same service account, no kubeconfig.
    const list = await cli(sa, c, ['pool', 'list', '--json'])
    expect(list.code, list.stderr).toBe(0)
    expect(list.json.pools).toEqual([expect.objectContaining({name: 'web', size: 16, inUse: 3})])
    const show = await cli(sa, c, ['pool', 'show', 'web', '--json'])
    expect(show.code, show.stderr).toBe(0)
    expect(show.json.services.map((s: {name: string}) => s.name).sort()).toEqual(['after-expiry', 'after-rotation', 'in-pod'])
    const add = await cli(sa, c, ['pool', 'add', 'web', '203.0.113.16/28', '--json'])
    expect(add.code, add.stderr).toBe(0)
    expect(c.server.store.get('metallb.io/v1beta1', 'IPAddressPool', 'metallb-system', 'web').spec.addresses).toEqual(['203.0.113.0/28', '203.0.113.16/28'])
    expect(await ctl.stop()).toBe(0)
  })

  it('survives a token that is refused, and carries on with the next one the kubelet writes', async () => {
    const projected = track(projectServiceAccountToken(c.server, join(tmp, 'refused'), {namespace: 'metallb-system', serviceAccount: 'lbctl-controller', ca: certs.ca}))
    const ctl = await pod(projected.dir, c)
    c.server.store.put(svcObj('before-refusal'))
    await waitFor(() => ingressOf(c, 'before-refusal').length === 1, {what: 'an address for before-refusal'})
    // The ServiceAccount is deleted and made again (a new uid): every token issued for the old one is refused.
    const account = c.server.store.get('v1', 'ServiceAccount', 'metallb-system', 'lbctl-controller')
    c.server.store.delete('v1', 'ServiceAccount', 'metallb-system', 'lbctl-controller')
    c.server.store.put({...account, metadata: {...account.metadata, uid: randomUUID()}})
    const n = c.server.requests.length
    c.server.store.put(svcObj('while-refused'))
    await waitFor(() => c.server.requests.slice(n).some((r) => r.status === 401), {what: 'the controller to be refused'})
    expect(ingressOf(c, 'while-refused')).toEqual([])
    // The kubelet's next rotation brings a token for the new account.
    projected.rotate()
    await waitFor(() => ingressOf(c, 'while-refused').length === 1, {timeout: 30_000, what: 'an address for while-refused with the new token'})
    expect(ctl.proc.exitCode).toBeNull()
    expect(await ctl.stop()).toBe(0)
  })

  it('with a CA that did not sign the server certificate: says so, naming the server, and writes nothing', async () => {
    const other = await startCluster({tls: certs, tokens: ['token-x']})
    try {
      other.server.store.put(poolObj('web', ['203.0.113.0/28']))
      other.server.store.put(svcObj('untouched'))
      const wrong = serviceAccount('wrong-ca', makeCertificates({hosts: ['127.0.0.1']}).ca, 'token-x')
      const ctl = await pod(wrong, other)
      const complaint = await waitFor(() => ctl.logs.find((l) => /TLS/.test(String(l.err))), {what: 'a TLS error in the log'})
      expect(complaint.err).toContain(`cannot verify the API server at ${other.server.url} (context in-cluster): TLS: unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)`)
      // The TLS handshake fails before any HTTP request: the server saw nothing, so nothing was written.
      expect(other.server.requests).toEqual([])
      expect(ingressOf(other, 'untouched')).toEqual([])
      expect(other.server.store.list('v1', 'Event')).toEqual([])

      const list = await cli(wrong, other, ['pool', 'list', '--json'])
      expect(list.code).toBe(3)
      expect(list.json.error).toMatchObject({code: 'TLS_FAILED', message: `cannot verify the API server at ${other.server.url} (context in-cluster): TLS: unable to verify the first certificate (UNABLE_TO_VERIFY_LEAF_SIGNATURE)`})
      expect(other.server.requests).toEqual([])
    } finally {
      for (const d of running.splice(0)) await d.stop()
      await other.close()
    }
  })
})
