// The images built from images/Containerfile on local stand-ins of their bases, and run: the controller against the
// API harness (non-root, read-only root, ready, assigns an address), the speaker with exactly the capabilities the
// DaemonSet grants (and what one fewer does). Build time and sizes are printed (numbers, not assertions).
import {mkdtempSync, mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {SPEAKER_CAPABILITIES} from '../../../src/lib/install/workloads.js'
import {makeCertificates} from '../../harness/apiserver/tls.js'
import {missingTools, requirePrerequisites} from '../../harness/lab/prereq.js'
import {poll} from '../../harness/poll.js'
import {type Cluster, startCluster} from '../../integration/helpers.js'
import {podman, RUN_FLAGS} from './bases.js'
import {LAB_TAG, labImage, type LabImages, labImages} from './build.js'
import {freePort} from '../../harness/ports.js'

const TAG = LAB_TAG
const image = (c: 'controller' | 'speaker') => labImage(c)
/** Linux capability numbers (include/uapi/linux/capability.h). */
const CAP_BITS: Record<string, number> = {NET_BIND_SERVICE: 10, NET_ADMIN: 12, NET_RAW: 13, SYS_ADMIN: 21, BPF: 39}
const mask = (caps: readonly string[]) => caps.reduce((m, c) => m | (1n << BigInt(CAP_BITS[c])), 0n)

const missing = [...(process.getuid?.() === 0 ? [] : ['root (run as uid 0)']), ...missingTools(['podman', 'runc', 'mmdebstrap', 'npm'])]

const until = <T>(what: string, fn: () => Promise<T | undefined>, ms = 60_000): Promise<T> =>
  poll(fn, {what, timeoutMs: ms, intervalMs: 250, ok: (v) => v !== undefined}) as Promise<T>

describe.runIf(requirePrerequisites('image tests', 'container image builds', missing))('the controller and speaker images', () => {
  let built: LabImages
  let tmp: string

  beforeAll(async () => {
    tmp = mkdtempSync(join(tmpdir(), 'lbctl-images-'))
    built = await labImages()
    const sizes = built.images.map((i) => `${i.target} ${((i.sizeBytes ?? 0) / 1e6).toFixed(1)} MB in ${i.seconds} s`).join(', ')
    process.stderr.write(`images: bases ${built.basesSeconds} s (0 = cached); ${sizes}${built.reused ? ' (reused: built earlier from the same inputs and bases)' : ''}\n`)
  }, 30 * 60_000)
  afterAll(() => {
    if (tmp) rmSync(tmp, {recursive: true, force: true})
  })

  it('carries the OCI labels and the users the manifests expect', async () => {
    for (const [c, user] of [['controller', '65532:65532'], ['speaker', '0:0']] as const) {
      const r = await podman(['image', 'inspect', '--format', '{{json .Config}}', image(c)])
      const cfg = JSON.parse(r.stdout)
      expect(cfg.User).toBe(user)
      expect(cfg.Labels).toMatchObject({'org.opencontainers.image.version': TAG, 'org.opencontainers.image.revision': built.revision, 'org.opencontainers.image.title': `lbctl-${c}`})
      expect(cfg.Labels['org.opencontainers.image.source']).toMatch(/^https:\/\//)
      expect(cfg.Entrypoint).toEqual(['/nodejs/bin/node', `/app/bin/${c}.js`])
    }
    // Only what runs: no compiler, no npm, no TypeScript sources in the runtime image.
    const ls = await podman(['run', '--rm', ...RUN_FLAGS, '--entrypoint', '/nodejs/bin/node', image('controller'), '-e',
      `const fs=require('fs');console.log(JSON.stringify({src:fs.existsSync('/app/src'),gpp:fs.existsSync('/usr/bin/g++'),npm:fs.existsSync('/usr/local/bin/npm'),ts:fs.existsSync('/app/node_modules/typescript'),addon:fs.existsSync('/app/native/build/Release/lbctl_native.node')}))`])
    expect(JSON.parse(ls.stdout)).toEqual({src: false, gpp: false, npm: false, ts: false, addon: true})
  })

  describe('controller, run as the Deployment runs it', () => {
    let c: Cluster
    let name: string
    beforeAll(async () => {
      const certs = makeCertificates({hosts: ['127.0.0.1']})
      c = await startCluster({tls: certs, tokens: ['sa-token']})
      c.server.store.put({apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: {name: 'web', namespace: 'metallb-system'}, spec: {addresses: ['203.0.113.0/28']}})
      c.server.store.put({apiVersion: 'v1', kind: 'Service', metadata: {name: 'shop', namespace: 'default'}, spec: {type: 'LoadBalancer', ports: [{port: 80, protocol: 'TCP'}]}})
      const sa = join(tmp, 'sa')
      mkdirSync(sa)
      writeFileSync(join(sa, 'ca.crt'), certs.ca)
      writeFileSync(join(sa, 'token'), 'sa-token')
      writeFileSync(join(sa, 'namespace'), 'metallb-system')
      const health = await freePort()
      name = `lbctl-labtest-controller-${process.pid}`
      const r = await podman(['run', '-d', '--name', name, ...RUN_FLAGS, '--network', 'host', '--read-only', '--user', '65532:65532',
        '--cap-drop', 'ALL', '--security-opt', 'no-new-privileges',
        '-v', `${sa}:/var/run/secrets/kubernetes.io/serviceaccount:ro`,
        '-e', 'KUBERNETES_SERVICE_HOST=127.0.0.1', '-e', `KUBERNETES_SERVICE_PORT=${new URL(c.server.url).port}`, '-e', 'POD_NAMESPACE=metallb-system', '-e', 'POD_NAME=controller-0',
        image('controller'), '--metrics-port=0', `--health-port=${health}`, '--leader-elect=false'])
      expect(r.exitCode, r.stderr).toBe(0)
      ;(c as Cluster & {health?: number}).health = health
    }, 120_000)
    afterAll(async () => {
      if (name) {
        const logs = await podman(['logs', name])
        if (process.env.DEBUG) process.stderr.write(logs.stdout + logs.stderr)
        await podman(['rm', '-f', '-t', '2', name])
      }
      await c?.close()
    })

    it('becomes ready and assigns an address from the pool', async () => {
      const health = (c as Cluster & {health?: number}).health
      await until('/readyz', async () => ((await fetch(`http://127.0.0.1:${health}/readyz`)).ok ? true : undefined))
      const ip = await until('an address for default/shop', async () => c.server.store.get('v1', 'Service', 'default', 'shop')?.status?.loadBalancer?.ingress?.[0]?.ip)
      expect(ip).toMatch(/^203\.0\.113\./)
    }, 90_000)

    it('runs as uid 65532 on a read-only root file system', async () => {
      const r = await podman(['exec', name, '/nodejs/bin/node', '-e',
        `let w='written';try{require('fs').writeFileSync('/app/x','')}catch(e){w=e.code};console.log(JSON.stringify({uid:process.getuid(),w}))`])
      expect(JSON.parse(r.stdout)).toEqual({uid: 65532, w: 'EROFS'})
    })
  })

  describe('speaker', () => {
    const probe = `const fs=await import('node:fs');const cap=/CapEff:\\s*([0-9a-f]+)/.exec(fs.readFileSync('/proc/self/status','utf8'))[1];
let packet='opened';try{const m=await import('/app/dist/src/lib/native/index.js');m.openPacketSocket(m.loadNative(),1,0x0806,null,()=>{}).close()}catch(e){packet=e.message}
console.log(JSON.stringify({cap,packet}))`
    const run = (caps: readonly string[]) => podman(['run', '--rm', ...RUN_FLAGS, '--network', 'none', '--read-only', '--user', '0:0', '--cap-drop', 'ALL',
      '--security-opt', 'no-new-privileges', ...caps.flatMap((c) => ['--cap-add', c]), '--entrypoint', '/nodejs/bin/node', image('speaker'), '--input-type=module', '-e', probe])

    it('starts with exactly the capabilities the DaemonSet grants, and opens a packet socket', async () => {
      const r = await run(SPEAKER_CAPABILITIES)
      expect(r.exitCode, r.stderr).toBe(0)
      const out = JSON.parse(r.stdout)
      expect(BigInt(`0x${out.cap}`)).toBe(mask(SPEAKER_CAPABILITIES))
      expect(out.packet).toBe('opened')
    })

    it('without NET_RAW it cannot open the packet socket, and says which capability is missing', async () => {
      const fewer = SPEAKER_CAPABILITIES.filter((c) => c !== 'NET_RAW')
      const r = await run(fewer)
      const out = JSON.parse(r.stdout)
      expect(BigInt(`0x${out.cap}`)).toBe(mask(fewer))
      expect(out.packet).toMatch(/CAP_NET_RAW/)
    })
  })
})
