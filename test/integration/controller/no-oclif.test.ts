// The controller is a daemon: it must never load the CLI framework (@oclif/core: start-up time, memory, and a CLI's
// idea of exit codes). test/support/deny-oclif.mjs makes any import or require of it fail; the controller runs a
// whole cycle under it on both transports, and programs that load it fail under it, which shows the guard works.
import {spawn} from 'node:child_process'
import {writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {ROOT} from '../helpers.js'
import {type Cluster, type Daemon, ingressOf, poolObj, startCluster, startController, svcObj, waitFor} from './helpers.js'

const DENY = {NODE_OPTIONS: `--import ${join(ROOT, 'test', 'support', 'deny-oclif.mjs')}`}
const running: Array<Daemon | Cluster> = []
afterEach(async () => {
  for (const x of running.splice(0).reverse()) await ('stop' in x ? x.stop() : x.close())
})

describe('the controller never loads @oclif/core', () => {
  // The CLI carries its own copy of oclif inside its script (scripts/bundle.mjs), so it no longer resolves @oclif/core:
  // programs that load it the two ways a module can (import, require) show the guard works.
  it.each([
    ['import', ['--input-type=module', '-e', "await import('@oclif/core')"]],
    ['require', ['-e', "require('@oclif/core')"]],
  ])('the guard works: a program that loads it by %s fails under it', async (_, args) => {
    const r = await new Promise<{code: number | null; stderr: string}>((resolve) => {
      const p = spawn(process.execPath, args, {cwd: ROOT, env: {...process.env, ...DENY}, stdio: ['ignore', 'ignore', 'pipe']})
      let stderr = ''
      p.stderr.on('data', (d) => (stderr += d))
      p.on('exit', (code) => resolve({code, stderr}))
    })
    expect(r.code).not.toBe(0)
    expect(r.stderr).toContain('DENIED: @oclif/core')
  })

  it.each([
    ['the REST transport', (c: Cluster) => ({kubeconfig: c.kubeconfig, env: {}})],
    // A merged KUBECONFIG list is read by client-node only, so this loads the client-node path as well.
    ['the client-node transport, with leader election', (c: Cluster) => {
      writeFileSync(join(c.dir, 'other'), 'apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n')
      return {kubeconfig: '', env: {KUBECONFIG: `${c.kubeconfig}:${join(c.dir, 'other')}`}}
    }],
  ])('assigns an address and stops cleanly on %s', async (_, how) => {
    const c = await startCluster()
    running.push(c)
    const {kubeconfig, env} = how(c)
    const ctl = await startController(kubeconfig, ['--lease-duration', '2s'], {...env, ...DENY})
    running.push(ctl)
    c.server.store.put(poolObj('a', ['203.0.113.0/30']))
    c.server.store.put(svcObj('s1'))
    await waitFor(() => ingressOf(c, 's1')[0] === '203.0.113.0', {what: 's1 assigned'})
    expect(await ctl.stop()).toBe(0)
    expect(ctl.stderr()).not.toContain('DENIED')
  })
})
