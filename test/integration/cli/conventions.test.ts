// One set of conventions for every command, through the built binary (bin/run.js) against the API harness.
import {readFileSync, readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {type Cluster, ROOT, runBin, startCluster} from '../helpers.js'

const pools = (c: Cluster) => c.server.store.list('metallb.io/v1beta1', 'IPAddressPool').map((p: any) => ({name: p.metadata.name, addresses: p.spec.addresses, avoid: p.spec.avoidBuggyIPs}))

describe('lbctl conventions', () => {
  let c: Cluster
  let kc: string[]
  beforeAll(async () => {
    c = await startCluster()
    kc = ['--kubeconfig', c.kubeconfig]
  })
  afterAll(() => c.close())

  it('-h is --help, on a command and on its own', async () => {
    const r = await runBin(['pool', 'list', '-h'])
    expect(r.code).toBe(0)
    expect(r.stdout).toContain('USAGE')
    expect(r.stdout).toContain('pool list')
    const top = await runBin(['-h'])
    expect([top.code, top.stdout.includes('TOPICS') || top.stdout.includes('COMMANDS')]).toEqual([0, true])
  })

  it('cluster flags may come before the command, as kubectl passes them to a plugin', async () => {
    expect((await runBin([...kc, 'pool', 'set', 'front', '198.18.2.0/28'])).code).toBe(0)
    const here = await runBin(['-n', 'metallb-system', ...kc, 'pool', 'list', '--json'])
    expect(here.code).toBe(0)
    expect(here.json.pools.map((p: {name: string}) => p.name)).toContain('front')
    // -n is honoured, not dropped: another namespace has no pools
    const elsewhere = await runBin(['-n', 'default', `--kubeconfig=${c.kubeconfig}`, 'pool', 'list', '--json'])
    expect([elsewhere.code, elsewhere.json]).toEqual([0, {pools: []}])
  })

  it('a mistyped command names the right one (exit 2)', async () => {
    const r = await runBin(['pool', 'lst'])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('lbctl pool list')
    const s = await runBin(['pool', 'shwo', 'x'])
    expect(s.stderr).toContain('lbctl pool show')
  })

  it('pool set NAME ADDRESSES… names the pool as pool add does; pool set ADDRESSES… keeps using the default pool', async () => {
    const r = await runBin([...kc, 'pool', 'set', 'public', '198.18.3.0/28', '198.18.3.32/28'])
    expect(r.code, r.stderr).toBe(0)
    const d = await runBin([...kc, 'pool', 'set', '192.168.1.88-192.168.1.89'])
    expect(d.code, d.stderr).toBe(0)
    const got = pools(c)
    expect(got.find((p) => p.name === 'public')?.addresses, JSON.stringify(got)).toEqual(['198.18.3.0/28', '198.18.3.32/28'])
    expect(got.find((p) => p.name === 'default')?.addresses, JSON.stringify(got)).toEqual(['192.168.1.88-192.168.1.89'])
    const twice = await runBin([...kc, 'pool', 'set', 'public', '198.18.3.0/28', '--name', 'other'])
    expect(twice.code).toBe(2)
    expect(twice.stderr).toContain('named twice')
  })

  it('usage errors point at the command\'s own help, not at a placeholder', async () => {
    const r = await runBin(['pool', 'set', '10.0.0.0/24', '--bogus', ...kc])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain('lbctl pool set --help')
    expect(r.stderr).not.toMatch(/<[a-z]/)
  })

  it('no hint in src/ has a placeholder like <command> or <peer>', () => {
    const files: string[] = []
    const walk = (d: string) => {
      for (const f of readdirSync(d)) {
        if (statSync(join(d, f)).isDirectory()) walk(join(d, f))
        else if (f.endsWith('.ts')) files.push(join(d, f))
      }
    }
    walk(join(ROOT, 'src'))
    const bad = files.flatMap((f) =>
      readFileSync(f, 'utf8').split('\n').map((l, i) => ({l, at: `${f}:${i + 1}`}))
        .filter(({l}) => !/^\s*(\/\/|\*|\/\*\*)/.test(l) && /(['`"])[^'`"]*<[a-z][a-z-]*>[^'`"]*\1/.test(l) && /hint|Try|See|write|run|Run/.test(l))
        .map(({at, l}) => `${at}: ${l.trim()}`))
    expect(bad).toEqual([])
  })

  it('errors are not hard-wrapped when stderr is not a terminal', async () => {
    const path = `/nonexistent/${'a-very-long-directory-name/'.repeat(5)}kubeconfig`
    const r = await runBin(['pool', 'list', '--kubeconfig', path])
    expect(r.code).toBe(2)
    expect(r.stderr).toContain(`kubeconfig ${path} does not exist`)
  })

  it('removing what is already gone reports it and exits 0, as set does', async () => {
    const gone = await runBin([...kc, 'pool', 'remove', 'never-was', '--json'])
    expect([gone.code, gone.json?.action]).toEqual([0, 'absent'])
    expect((await runBin([...kc, 'pool', 'remove', 'never-was'])).stdout).toContain('pool "never-was" absent')
    const notIn = await runBin([...kc, 'pool', 'remove', 'public', '198.51.100.1', '--json'])
    expect([notIn.code, notIn.json?.action]).toEqual([0, 'unchanged'])
    expect(notIn.json.warnings.join()).toContain('198.51.100.1')
    expect((await runBin([...kc, 'pool', 'remove', 'public', '198.18.3.32/28'])).code).toBe(0)
    const again = await runBin([...kc, 'pool', 'remove', 'public', '198.18.3.32/28', '--json'])
    expect([again.code, again.json?.action]).toEqual([0, 'unchanged'])
    expect(pools(c).find((p) => p.name === 'public')?.addresses).toEqual(['198.18.3.0/28'])
  })

  it('pool set --no-avoid-buggy-ips says what changed', async () => {
    const on = await runBin([...kc, 'pool', 'set', 'public', '198.18.3.0/28', '--avoid-buggy-ips'])
    expect(on.stdout).toContain('avoidBuggyIPs: false → true')
    const off = await runBin([...kc, 'pool', 'set', 'public', '198.18.3.0/28', '--no-avoid-buggy-ips'])
    expect(off.code).toBe(0)
    expect(off.stdout).toContain('pool "public" updated')
    expect(off.stdout).toContain('avoidBuggyIPs: true → false')
    const json = await runBin([...kc, 'pool', 'set', 'public', '198.18.3.0/28', '--no-avoid-buggy-ips', '--json'])
    expect([json.json.action, json.json.changed]).toEqual(['unchanged', []])
  })
})
