import {execFile, spawn, type ChildProcess} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {build} from 'esbuild'
import {parse} from 'yaml'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {missingTools, requirePrerequisites} from '../lab/prereq.js'
import {tlsRequest, waitFor} from './test-helpers.js'

// main.ts runs as plain JS; bundle it (and the project's CRDs, which it imports at run time by a relative path) into
// a scratch tree shaped like dist/, so that the test does not depend on the project having been built.
const root = fileURLToPath(new URL('../../../', import.meta.url))
let dir: string
let mainJs: string

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'lbctl-harness-main-'))
  mainJs = join(dir, 'test/harness/apiserver/main.js')
  const common = {
    bundle: true,
    platform: 'node' as const,
    format: 'esm' as const,
    logLevel: 'silent' as const,
    // bundled CommonJS dependencies require() node built-ins
    banner: {js: "import {createRequire as __cr} from 'node:module'; const require = __cr(import.meta.url);"},
  }
  await build({...common, entryPoints: [join(root, 'test/harness/apiserver/main.ts')], outfile: mainJs})
  await build({...common, entryPoints: [join(root, 'src/lib/api/crds.ts')], outfile: join(dir, 'src/lib/api/crds.js')})
})
afterAll(async () => rm(dir, {recursive: true, force: true}))

interface Proc {
  child: ChildProcess
  out: () => string
  exit: Promise<number | null>
}

const run = (...args: string[]): Proc => {
  const child = spawn(process.execPath, [mainJs, ...args], {stdio: ['ignore', 'pipe', 'pipe']})
  let out = ''
  child.stdout!.on('data', (d) => (out += d))
  child.stderr!.on('data', (d) => (out += d))
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)))
  return {child, out: () => out, exit}
}

describe('the harness as a process (main.ts)', () => {
  it('serves, writes the kubeconfig, prints the URL, loads the project CRDs with --crds, and exits 0 on SIGTERM', async () => {
    const kubeconfig = join(dir, 'kc/config')
    const pidFile = join(dir, 'harness.pid')
    const p = run('--kubeconfig', kubeconfig, '--crds', '--pid-file', pidFile)
    try {
      const url = (await waitFor(() => /^(http:\/\/127\.0\.0\.1:\d+)\n/.exec(p.out())?.[1], 15_000, `the URL (output: ${p.out()})`))!
      expect(await readFile(pidFile, 'utf8')).toBe(`${p.child.pid}\n`)
      expect((await fetch(`${url}/api/v1/namespaces/metallb-system`)).status).toBe(200)
      const kc = parse(await readFile(kubeconfig, 'utf8'))
      expect(kc.clusters[0].cluster.server).toBe(url)
      const crds = (await (await fetch(`${url}/apis/apiextensions.k8s.io/v1/customresourcedefinitions`)).json()) as any
      const names = crds.items.map((c: any) => c.metadata.name)
      expect(names).toContain('ipaddresspools.metallb.io')
      const pools = await fetch(`${url}/apis/metallb.io/v1beta1/namespaces/default/ipaddresspools`)
      expect(pools.status).toBe(200)
    } finally {
      p.child.kill('SIGTERM')
    }
    expect(await p.exit).toBe(0)
    expect(existsSync(pidFile)).toBe(false)
  })

  it('listens on the port it is given and stops on SIGINT', async () => {
    const probe = run('--kubeconfig', join(dir, 'kc2'))
    const url = (await waitFor(() => /^(http:\/\/\S+)\n/.exec(probe.out())?.[1], 15_000, 'a URL'))!
    probe.child.kill('SIGINT')
    expect(await probe.exit).toBe(0)
    const port = new URL(url).port
    const p = run('--kubeconfig', join(dir, 'kc3'), '--port', port, '--host', '127.0.0.1')
    try {
      await waitFor(() => p.out().includes(`http://127.0.0.1:${port}`), 15_000, 'the same port')
      expect((await fetch(`http://127.0.0.1:${port}/version`)).status).toBe(200)
    } finally {
      p.child.kill('SIGINT')
    }
    expect(await p.exit).toBe(0)
  })

  it('exits 2 with usage on bad arguments', async () => {
    const p = run('--port', '1')
    expect(await p.exit).toBe(2)
    expect(p.out()).toContain('--kubeconfig is required')
    expect(existsSync(join(dir, 'nothing'))).toBe(false)
    const q = run('--kubeconfig', join(dir, 'nothing'), '--token', 't')
    expect(await q.exit).toBe(2)
    expect(q.out()).toContain('need --tls')
    expect(existsSync(join(dir, 'nothing'))).toBe(false)
  })
})

describe.runIf(requirePrerequisites('TLS harness tests', 'openssl', missingTools(['openssl'])))('the harness as a process with --tls', () => {
  it('serves HTTPS, writes certificate-authority-data, the token and a service account directory; kubectl works with them', async () => {
    const kubeconfig = join(dir, 'tls/config')
    const sa = join(dir, 'tls/sa')
    const p = run('--kubeconfig', kubeconfig, '--tls', '--token', 'sekret', '--service-account-dir', sa)
    try {
      const url = (await waitFor(() => /^(https:\/\/127\.0\.0\.1:\d+)\n/.exec(p.out())?.[1], 15_000, `the URL (output: ${p.out()})`))!
      const kc = parse(await readFile(kubeconfig, 'utf8'))
      const ca = await readFile(join(sa, 'ca.crt'), 'utf8')
      expect(kc.clusters[0].cluster).toEqual({server: url, 'certificate-authority-data': Buffer.from(ca).toString('base64')})
      expect(kc.users[0].user).toEqual({token: 'sekret'})
      expect([await readFile(join(sa, 'token'), 'utf8'), await readFile(join(sa, 'namespace'), 'utf8')]).toEqual(['sekret', 'metallb-system'])
      expect((await tlsRequest(`${url}/api/v1/namespaces`, {ca, token: 'sekret'})).status).toBe(200)
      expect((await tlsRequest(`${url}/api/v1/namespaces`, {ca})).status).toBe(401)
      const got = await new Promise<{err: unknown; stdout: string; stderr: string}>((resolve) =>
        execFile('/usr/bin/kubectl', ['--kubeconfig', kubeconfig, '--cache-dir', join(dir, 'tls/cache'), 'get', 'ns', '-o', 'name'], {timeout: 20_000}, (err, stdout, stderr) => resolve({err, stdout, stderr})))
      expect(got.stderr).toBe('')
      expect(got.stdout).toContain('namespace/default')
    } finally {
      p.child.kill('SIGTERM')
    }
    expect(await p.exit).toBe(0)
  })

  it('makes up a token when none is given', async () => {
    const kubeconfig = join(dir, 'tls2/config')
    const p = run('--kubeconfig', kubeconfig, '--tls')
    try {
      await waitFor(() => /^https:\/\//.test(p.out()), 15_000, `the URL (output: ${p.out()})`)
      expect(parse(await readFile(kubeconfig, 'utf8')).users[0].user.token).toMatch(/^[0-9a-f]{32}$/)
    } finally {
      p.child.kill('SIGTERM')
    }
    expect(await p.exit).toBe(0)
  })
})
