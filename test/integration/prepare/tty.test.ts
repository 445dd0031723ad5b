import {spawn} from 'node:child_process'
import {afterEach, describe, expect, it} from 'vitest'
import {BIN} from '../helpers.js'
import {getCM, getDS, kubeadmObjects, startTestCluster, type TestCluster} from './setup.js'

/**
 * Run the binary on a real pseudo-terminal (util-linux `script`), answer the confirmation prompt when it appears,
 * and return the exit code and everything the terminal showed.
 */
function runOnTty(args: string[], answer: string): Promise<{code: number; screen: string}> {
  return new Promise((resolve, reject) => {
    const cmd = [process.execPath, BIN, ...args].map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(' ')
    const child = spawn('script', ['-qec', cmd, '/dev/null'], {env: {...process.env, NO_COLOR: '1'}, stdio: ['pipe', 'pipe', 'pipe']})
    let screen = ''
    let answered = false
    child.stdout.on('data', (d) => {
      screen += String(d)
      if (!answered && /\(y\/N\)/.test(screen)) {
        answered = true
        child.stdin.write(answer + '\r')
      }
    })
    child.stderr.on('data', (d) => (screen += String(d)))
    child.on('error', reject)
    child.on('close', (code) => resolve({code: code ?? -1, screen}))
  })
}

describe('lbctl prepare --ipvs on a terminal asks first', () => {
  let c: TestCluster
  afterEach(() => c.close())

  it('"n": nothing is written, exit 1', async () => {
    c = await startTestCluster(kubeadmObjects())
    const rv = getCM(c).metadata.resourceVersion
    const r = await runOnTty(['prepare', '--ipvs', '--kubeconfig', c.kubeconfig], 'n')
    expect(r.screen).toContain('-mode: ""')
    // The terminal may wrap the question.
    expect(r.screen).toMatch(/Write this to ConfigMap kube-system\/kube-proxy and restart DaemonSet\s+kube-system\/kube-proxy\?/)
    expect(r.code, r.screen).toBe(1)
    expect(r.screen).toContain('the change was not confirmed')
    expect(getCM(c).metadata.resourceVersion).toBe(rv)
  })

  it('"y": applied, restarted, verified', async () => {
    c = await startTestCluster(kubeadmObjects())
    const generation = getDS(c).metadata.generation
    const r = await runOnTty(['prepare', '--ipvs', '--kubeconfig', c.kubeconfig], 'y')
    expect(r.code, r.screen).toBe(0)
    expect(r.screen).toContain('verified: the configuration reads back as wanted')
    expect(getCM(c).data['config.conf']).toContain('mode: "ipvs"')
    expect(getDS(c).metadata.generation).toBe(generation + 1)
  })
})
