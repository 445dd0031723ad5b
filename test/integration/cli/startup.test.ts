// Everyday start-up (issue 11): `lbctl` is one script (dist/cli/main.cjs: oclif, the registry, the commands' code),
// loaded with a V8 code cache. What a command imports dynamically runs only when imported; client-node and the prompt
// library stay out of the script. The bundle's metafile (scripts/bundle.mjs) says which inputs it holds, imported how.
import {existsSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {decodeCache, encodeCache} from '../../../src/cli/code-cache.js'
import {type Cluster, ROOT, runBin, startCluster} from '../helpers.js'

interface Meta {
  inputs: Record<string, {imports: Array<{path: string; kind: string; external?: boolean}>}>
  outputs: Record<string, {bytes: number; inputs: Record<string, unknown>}>
}

function meta(): Meta {
  const file = join(ROOT, 'dist', 'cli', 'meta.json')
  if (!existsSync(file)) throw new Error('dist/cli/meta.json is missing: run `npm run build` first')
  return JSON.parse(readFileSync(file, 'utf8')) as Meta
}

/** The inputs that run when the script starts: reached from the entry by static imports and requires only. */
function runAtStart(m: Meta): Set<string> {
  const seen = new Set<string>()
  const walk = (f: string): void => {
    if (seen.has(f) || !m.inputs[f]) return
    seen.add(f)
    for (const i of m.inputs[f].imports) if (!i.external && (i.kind === 'import-statement' || i.kind === 'require-call')) walk(i.path)
  }
  walk('src/cli/main.ts')
  return seen
}

const HEAVY = ['node_modules/@kubernetes/client-node/', 'node_modules/@inquirer/', 'node_modules/tar/', 'src/lib/bgp/', 'src/lib/l2/', 'src/lib/native/', 'src/lib/doctor/', 'src/lib/install/install.ts', 'src/lib/cluster/']

describe('start-up', () => {
  it('the script holds neither client-node nor the prompt library, and runs no engine, doctor or installer at start', () => {
    const m = meta()
    const script = m.outputs['dist/cli/main.cjs']!
    const held = Object.keys(script.inputs)
    for (const out of ['node_modules/@kubernetes/client-node/', 'node_modules/@inquirer/']) expect(held.filter((i) => i.includes(out)), out).toEqual([])
    expect(held.some((i) => i.startsWith('src/lib/bgp/'))).toBe(true) // inside, behind a dynamic import
    const atStart = [...runAtStart(m)]
    expect(atStart).toContain('src/commands/pool/list.ts')
    for (const heavy of HEAVY) expect(atStart.filter((i) => i.includes(heavy)), heavy).toEqual([])
    // client-node's whole bundle was 3.5 MB; the script with oclif and every command's code is about half that
    expect(script.bytes).toBeLessThan(2_500_000)
  })

  describe('against the harness', () => {
    let c: Cluster
    beforeAll(async () => {
      c = await startCluster()
      const set = await runBin(['pool', 'set', '192.168.1.88-192.168.1.89'], {KUBECONFIG: c.kubeconfig, LBCTL_CODE_CACHE: 'off'})
      expect(set.code, set.stderr).toBe(0)
    })
    afterAll(() => c?.close())

    it('a kubeconfig only client-node reads (a merged KUBECONFIG list) still works: it loads on demand', async () => {
      const other = join(c.dir, 'other')
      writeFileSync(other, 'apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n')
      const set = await runBin(['pool', 'set', '192.168.1.88-192.168.1.89', '--json'], {KUBECONFIG: `${c.kubeconfig}:${other}`})
      expect(set.code, set.stderr).toBe(0)
      const list = await runBin(['pool', 'list', '--json'], {KUBECONFIG: `${c.kubeconfig}:${other}`})
      expect(list.code, list.stderr).toBe(0)
      expect(list.json.pools.map((p: {name: string; addresses: string[]}) => [p.name, p.addresses])).toEqual([['default', ['192.168.1.88-192.168.1.89']]])
    })

    it('the code cache is written after the first run, used by the next, and a damaged one is replaced; output is the same', async () => {
      const cache = join(c.dir, 'xdg')
      const env = {KUBECONFIG: c.kubeconfig, XDG_CACHE_HOME: cache, DEBUG: 'lbctl:code-cache'}
      const run = (args: string[]) => runBin(args, env)
      const plain = await runBin(['pool', 'list'], {KUBECONFIG: c.kubeconfig, LBCTL_CODE_CACHE: 'off', DEBUG: 'lbctl:code-cache'})
      expect(plain.code, plain.stderr).toBe(0)
      expect(plain.stderr).toBe('lbctl:code-cache off \n')
      expect(plain.stdout).toMatch(/^NAME +ADDRESSES.*\ndefault +192\.168\.1\.88-192\.168\.1\.89 /)

      const first = await run(['pool', 'list'])
      expect(first.stderr).toMatch(/^lbctl:code-cache none .*\nlbctl:code-cache wrote .*pool:list\)\n$/)
      expect(first.stdout).toBe(plain.stdout)
      const [name] = readdirSync(join(cache, 'lbctl'))
      const file = join(cache, 'lbctl', name!)

      const second = await run(['pool', 'list'])
      expect(second.stderr).toMatch(/^lbctl:code-cache accepted [^\n]*\n$/)
      expect(second.stdout).toBe(plain.stdout)

      // another command: used, then extended to cover it too
      const bad = await run(['pool', 'set', '192.168.1.89-192.168.1.88'])
      const badPlain = await runBin(['pool', 'set', '192.168.1.89-192.168.1.88'], {KUBECONFIG: c.kubeconfig, LBCTL_CODE_CACHE: 'off'})
      expect(bad.code).toBe(2)
      expect(bad.stderr).toMatch(/^lbctl:code-cache accepted [^\n]*\n[\s\S]*lbctl:code-cache wrote .*pool:list, pool:set\)\n$/)
      expect(bad.stderr.split('\n').slice(1, -2).join('\n') + '\n').toBe(badPlain.stderr)
      expect(decodeCache(readFileSync(file))!.header.keys).toEqual(['pool:list', 'pool:set'])

      // damaged: the header no longer matches the script
      const {header, data} = decodeCache(readFileSync(file))!
      writeFileSync(file, encodeCache({...header, sha256: '0'.repeat(64)}, data))
      const damaged = await run(['pool', 'list'])
      expect(damaged.stderr).toMatch(/^lbctl:code-cache invalid .*\nlbctl:code-cache wrote .*; pool:list\)\n$/)
      expect(damaged.stdout).toBe(plain.stdout)
      expect((await run(['pool', 'list'])).stderr).toMatch(/^lbctl:code-cache accepted /)
    })
  })
})
