// Exit codes that tell the truth when the cluster or the kubeconfig is not what it should be (issue "Hardening"):
// namespace names, servers that are not Kubernetes, failing credential plugins, KUBECONFIG lists with missing files.
import {createServer as createHttp, type Server} from 'node:http'
import {createServer as createTcp} from 'node:net'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {Kinds} from '../../../src/lib/api/constants.js'
import {Kube} from '../../../src/lib/kube/client.js'
import {type Cluster, runBin, snapshot, startCluster} from '../helpers.js'

const KINDS: Array<[string, string]> = [['metallb.io/v1beta1', 'IPAddressPool'], ['metallb.io/v1beta1', 'L2Advertisement']]

function kubeconfig(path: string, server: string, user: Record<string, unknown> = {token: 't'}, skipTls = true): string {
  writeFileSync(path, JSON.stringify({
    apiVersion: 'v1', kind: 'Config', 'current-context': 'x',
    clusters: [{name: 'c', cluster: {server, ...(skipTls ? {'insecure-skip-tls-verify': true} : {})}}],
    users: [{name: 'u', user}], contexts: [{name: 'x', context: {cluster: 'c', user: 'u'}}],
  }))
  return path
}

describe('namespace names are checked as Kubernetes checks them, before anything is read or written', () => {
  let c: Cluster
  beforeAll(async () => {
    c = await startCluster()
  })
  afterAll(() => c.close())

  it.each([[''], ['Bad/NS'], ['MetalLB-System'], ['x'.repeat(64)]])('-n %j is refused (exit 2) and nothing is written', async (ns) => {
    const before = snapshot(c.server, KINDS)
    const set = await runBin(['pool', 'set', '198.18.30.1', '-n', ns, '--kubeconfig', c.kubeconfig, '--json'])
    expect(set.code, set.stderr).toBe(2)
    expect(set.json.error.code).toBe('BAD_NAMESPACE')
    const list = await runBin(['pool', 'list', '-n', ns, '--kubeconfig', c.kubeconfig])
    expect(list.code).toBe(2)
    expect(snapshot(c.server, KINDS)).toEqual(before)
  })

  it('request paths keep the case they were given (client-node lower-cased them: "Default" read "default")', async () => {
    c.server.store.put({apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: {name: 'default', namespace: 'metallb-system'}, spec: {addresses: ['198.18.31.0/30']}})
    const kube = Kube.connect({kubeconfig: c.kubeconfig})
    expect(await kube.get(Kinds.IPAddressPool, 'default', 'metallb-system')).toBeDefined()
    expect(await kube.get(Kinds.IPAddressPool, 'Default', 'metallb-system')).toBeUndefined()
    expect((await kube.list(Kinds.IPAddressPool, {namespace: 'MetalLB-System'})).items).toEqual([])
  })

  it('KUBECONFIG with a missing file among real ones works, as kubectl does', async () => {
    const r = await runBin(['pool', 'list', '--json'], {KUBECONFIG: `${join(c.dir, 'missing')}:${c.kubeconfig}`})
    expect(r.code, r.stderr).toBe(0)
  })
})

describe('a server that is not a Kubernetes API server is "unreachable" (exit 3), not a bug (exit 70)', () => {
  const servers: Server[] = []
  let dir: string
  let c: Cluster
  const port: Record<string, number> = {}
  beforeAll(async () => {
    c = await startCluster()
    dir = c.dir
    const listen = (s: Server | ReturnType<typeof createTcp>) => new Promise<number>((res) => s.listen(0, '127.0.0.1', () => res((s.address() as {port: number}).port)))
    const banner = createTcp((s) => s.end('SSH-2.0-OpenSSH_9.2\r\n'))
    servers.push(banner as unknown as Server)
    port.banner = await listen(banner)
    for (const [name, status, type, body] of [
      ['html', 200, 'text/html', '<html><body>Welcome to nginx</body></html>'],
      ['json', 200, 'application/json', '{"hello":"world"}'],
      ['405', 405, 'text/plain', 'method not allowed'],
      ['418', 418, 'text/plain', 'teapot'],
    ] as const) {
      const s = createHttp((_req, res) => {
        res.writeHead(status, {'content-type': type})
        res.end(body)
      })
      servers.push(s)
      port[name] = await listen(s)
    }
  })
  afterAll(async () => {
    for (const s of servers) s.close()
    await c.close()
  })

  it.each(['banner', 'html', 'json', '405', '418'])('a server answering with %s → NOT_KUBERNETES, exit 3', async (name) => {
    const kc = kubeconfig(join(dir, `kc-${name}`), `http://127.0.0.1:${port[name]}`)
    const r = await runBin(['pool', 'list', '--kubeconfig', kc, '--json'])
    expect(r.code, r.stderr).toBe(3)
    expect(r.json.error.code).toBe('NOT_KUBERNETES')
  })

  it('an exec credential plugin that fails is an authentication failure (exit 3) naming the plugin and its message', async () => {
    const kc = kubeconfig(join(dir, 'kc-exec'), new URL(c.server.url).origin, {
      exec: {apiVersion: 'client.authentication.k8s.io/v1beta1', command: '/bin/sh', args: ['-c', 'echo token expired, log in again >&2; exit 3'], interactiveMode: 'Never'},
    })
    const r = await runBin(['pool', 'list', '--kubeconfig', kc, '--json'])
    expect(r.code, r.stderr).toBe(3)
    expect(r.json.error.code).toBe('AUTH_PLUGIN_FAILED')
    expect(r.json.error.message).toContain('log in again')
  })
})
