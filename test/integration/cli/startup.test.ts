// Everyday start-up (issue 11): the commands people run load only what they need. The bundle's metafile
// (scripts/bundle.mjs) says which sources each output holds; what `lbctl` loads before a command runs is
// dist/bundle/commands.js and the chunks it imports statically. Chunks behind dynamic imports load on demand.
import {existsSync, readFileSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {type Cluster, ROOT, runBin, startCluster} from '../helpers.js'

interface Meta {outputs: Record<string, {bytes: number; inputs: Record<string, unknown>; imports: Array<{path: string; kind: string}>}>}

function loadedAtStart(): {files: string[]; inputs: string[]; bytes: number} {
  const file = join(ROOT, 'dist', 'bundle', 'meta.json')
  if (!existsSync(file)) throw new Error('dist/bundle/meta.json is missing: run `npm run build` first')
  const meta = JSON.parse(readFileSync(file, 'utf8')) as Meta
  const seen = new Set<string>()
  const walk = (f: string): void => {
    if (seen.has(f) || !meta.outputs[f]) return
    seen.add(f)
    for (const i of meta.outputs[f].imports) if (i.kind === 'import-statement') walk(i.path)
  }
  walk('dist/bundle/commands.js')
  const files = [...seen]
  return {files, inputs: files.flatMap((f) => Object.keys(meta.outputs[f].inputs)), bytes: files.reduce((a, f) => a + meta.outputs[f].bytes, 0)}
}

describe('start-up', () => {
  it('loads neither client-node, nor the prompt library, nor the BGP and L2 engines before a command runs', () => {
    const {inputs, bytes} = loadedAtStart()
    for (const heavy of ['node_modules/@kubernetes/client-node/', 'node_modules/@inquirer/', 'src/lib/bgp/', 'src/lib/l2/', 'src/lib/native/']) {
      expect(inputs.filter((i) => i.includes(heavy)), heavy).toEqual([])
    }
    // The whole command bundle was 3.5 MB when it held client-node; what loads at start is a tenth of that.
    expect(bytes).toBeLessThan(600_000)
  })

  describe('against the harness', () => {
    let c: Cluster
    beforeAll(async () => {
      c = await startCluster()
    })
    afterAll(() => c?.close())

    it('a kubeconfig only client-node reads (a merged KUBECONFIG list) still works: its chunk loads on demand', async () => {
      const other = join(c.dir, 'other')
      writeFileSync(other, 'apiVersion: v1\nkind: Config\nclusters: []\nusers: []\ncontexts: []\n')
      const set = await runBin(['pool', 'set', '192.168.1.88-192.168.1.89', '--json'], {KUBECONFIG: `${c.kubeconfig}:${other}`})
      expect(set.code, set.stderr).toBe(0)
      const list = await runBin(['pool', 'list', '--json'], {KUBECONFIG: `${c.kubeconfig}:${other}`})
      expect(list.code, list.stderr).toBe(0)
      expect(list.json.pools.map((p: {name: string; addresses: string[]}) => [p.name, p.addresses])).toEqual([['default', ['192.168.1.88-192.168.1.89']]])
    })
  })
})
