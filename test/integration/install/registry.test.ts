// A real registry (Debian's docker-registry, on loopback with its own configuration and a temporary store): `npm run
// images -- --push` pushes the images test/lab/images built (retagged, not rebuilt) and podman pulls them back; then
// install's pre-flight finds them there, refuses a tag the registry lacks and a registry that does not answer, and
// applies nothing when it refuses.
import {type ChildProcess, spawn} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {execa} from 'execa'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {missingBuild, missingPodman, missingTools, requirePrerequisites} from '../../harness/lab/prereq.js'
import {poll} from '../../harness/poll.js'
import {labImages} from '../../lab/images/build.js'
import {ROOT} from '../helpers.js'
import {type InstallCluster, revision, startInstallCluster} from './setup.js'
import {freePort} from '../../harness/ports.js'

/** What test/lab/images builds and tags. */
const SOURCE = 'localhost/lbctl-labtest:labtest'
const TAG = `0.0.0-push${process.pid}`
const TARGETS = ['controller', 'speaker'] as const

// The images come from the lab's shared build (test/lab/images/build.ts): built here if no suite built them yet for this
// revision, reused otherwise — never a prerequisite that depends on which suite ran first.
const missing = [...(process.getuid?.() === 0 ? [] : ['root (run as uid 0)']), ...missingPodman(), ...missingTools(['docker-registry']), ...missingBuild()]

describe.runIf(requirePrerequisites('registry tests', 'a registry to push to', missing))('npm run images --push to docker-registry, and install\'s registry check', () => {
  let dir: string
  let registry: ChildProcess
  let log = ''
  let port: number
  let c: InstallCluster
  const prefix = () => `127.0.0.1:${port}/lbctl`

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'lbctl-registry-'))
    port = await freePort()
    const config = join(dir, 'config.yml')
    writeFileSync(config, [
      'version: 0.1', 'log:', '  level: warn', 'storage:', '  filesystem:', `    rootdirectory: ${join(dir, 'store')}`,
      'http:', `  addr: 127.0.0.1:${port}`, '',
    ].join('\n'))
    registry = spawn('docker-registry', ['serve', config], {stdio: ['ignore', 'pipe', 'pipe']})
    registry.stdout!.on('data', (d) => (log += d))
    registry.stderr!.on('data', (d) => (log += d))
    await poll(() => fetch(`http://127.0.0.1:${port}/v2/`).then((r) => r.ok, () => false),
      {timeoutMs: 20_000, what: 'docker-registry to answer /v2/', also: () => (registry.exitCode !== null ? `docker-registry exited: ${log}` : undefined)})
    c = await startInstallCluster()
    // Build (or reuse) the images to push: on a fresh machine this includes the base images (minutes).
    await labImages()
  }, 20 * 60_000)

  afterAll(async () => {
    registry?.kill('SIGTERM')
    await execa('podman', ['rmi', ...TARGETS.map((t) => `${prefix()}/lbctl-${t}:${TAG}`)], {reject: false})
    await c?.close()
    if (dir) rmSync(dir, {recursive: true, force: true})
  })

  it('pushes both images (retagged from the built ones), and podman pulls them back', async () => {
    const r = await execa('npm', ['run', '--silent', 'images', '--', '--push', prefix(), '--tag', TAG, '--from', SOURCE, '--builder', 'podman', '--json'], {cwd: ROOT, reject: false})
    expect(r.exitCode, r.stderr).toBe(0)
    const out = JSON.parse(r.stdout)
    expect(out.images.map((i: {image: string; pushed: boolean}) => [i.image, i.pushed])).toEqual(TARGETS.map((t) => [`${prefix()}/lbctl-${t}:${TAG}`, true]))
    for (const t of TARGETS) {
      const ref = `${prefix()}/lbctl-${t}:${TAG}`
      await execa('podman', ['rmi', ref])
      const pull = await execa('podman', ['pull', '--tls-verify=false', ref], {reject: false})
      expect(pull.exitCode, pull.stderr).toBe(0)
      const id = async (image: string) => (await execa('podman', ['image', 'inspect', '--format', '{{.Id}}', image])).stdout.trim()
      expect(await id(ref)).toBe(await id(`localhost/lbctl-labtest/lbctl-${t}:labtest`))
    }
  }, 180_000)

  it('install finds the pushed tag in the registry', async () => {
    const r = await c.lbctl(['install', '--mode', 'l2', '--image-registry', prefix(), '--version', TAG, '--dry-run', '--json'])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(r.json.images.controller).toBe(`${prefix()}/lbctl-controller:${TAG}`)
  })

  it('a tag the registry lacks: exit 5, both images named, nothing applied', async () => {
    const before = revision(c.server)
    const r = await c.lbctl(['install', '--mode', 'l2', '--image-registry', prefix(), '--version', '0.0.0-never-pushed', '--json'])
    expect(r.code, r.stdout + r.stderr).toBe(5)
    expect(r.json.error.code).toBe('IMAGE_NOT_FOUND')
    expect(r.json.error.message).toContain(`${prefix()}/lbctl-controller:0.0.0-never-pushed (HTTP 404)`)
    expect(r.json.error.message).toContain(`${prefix()}/lbctl-speaker:0.0.0-never-pushed (HTTP 404)`)
    expect(r.json.error.hint).toContain('npm run images -- --push')
    expect(revision(c.server)).toBe(before)
  })

  it('localhost/… (no port) names images already on the nodes: not looked up, said so', async () => {
    const r = await c.lbctl(['install', '--mode', 'l2', '--image-registry', 'localhost/lbctl-labtest', '--version', 'labtest', '--dry-run', '--json'])
    expect(r.code, r.stdout + r.stderr).toBe(0)
    expect(r.json.warnings).toContain('--image-registry localhost/lbctl-labtest is not a registry: every node must already hold localhost/lbctl-labtest/lbctl-controller:labtest and localhost/lbctl-labtest/lbctl-speaker:labtest')
  })

  it('a registry that does not answer: exit 5, says what was tried and how to skip; --skip-registry-check goes on', async () => {
    const closed = await freePort()
    const before = revision(c.server)
    const r = await c.lbctl(['install', '--mode', 'l2', '--image-registry', `127.0.0.1:${closed}/lbctl`, '--version', TAG, '--json'])
    expect(r.code, r.stdout + r.stderr).toBe(5)
    expect(r.json.error.code).toBe('REGISTRY_UNREACHABLE')
    expect(r.json.error.message).toContain(`https://127.0.0.1:${closed}/v2/: ECONNREFUSED`)
    expect(r.json.error.message).toContain(`http://127.0.0.1:${closed}/v2/: ECONNREFUSED`)
    expect(r.json.error.hint).toContain('--skip-registry-check')
    expect(revision(c.server)).toBe(before)
    const skipped = await c.lbctl(['install', '--mode', 'l2', '--image-registry', `127.0.0.1:${closed}/lbctl`, '--skip-registry-check', '--dry-run', '--json'])
    expect(skipped.code, skipped.stdout + skipped.stderr).toBe(0)
  })
})
