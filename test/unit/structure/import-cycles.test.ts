// No circle of imports that runs at load time in src/ (type-only imports are erased and do not count). esbuild
// resolves the static imports of every entry point (the CLI's command registry, the controller) exactly as the
// bundle does; a depth-first search over that graph finds any cycle.
import {build} from 'esbuild'
import {describe, expect, it} from 'vitest'

type Graph = Map<string, string[]>

function cyclesOf(g: Graph): string[][] {
  const cycles: string[][] = []
  const state = new Map<string, 'open' | 'done'>()
  const stack: string[] = []
  const visit = (f: string): void => {
    state.set(f, 'open')
    stack.push(f)
    for (const t of g.get(f) ?? []) {
      if (state.get(t) === 'open') cycles.push([...stack.slice(stack.indexOf(t)), t])
      else if (!state.has(t)) visit(t)
    }
    stack.pop()
    state.set(f, 'done')
  }
  for (const f of g.keys()) if (!state.has(f)) visit(f)
  return cycles
}

async function importGraph(): Promise<Graph> {
  const r = await build({
    entryPoints: ['src/commands.ts', 'src/controller/main.ts'], bundle: true, platform: 'node', format: 'esm', write: false,
    metafile: true, packages: 'external', outdir: 'dist/cycles', splitting: true, logLevel: 'silent',
  })
  const g: Graph = new Map()
  for (const [file, input] of Object.entries(r.metafile.inputs)) {
    g.set(file, input.imports.filter((i) => i.kind === 'import-statement' && !i.external).map((i) => i.path))
  }
  return g
}

describe('import structure', () => {
  it('the search finds a circle when there is one', () => {
    expect(cyclesOf(new Map([['a', ['b']], ['b', ['c']], ['c', ['a']], ['d', ['a']]]))).toEqual([['a', 'b', 'c', 'a']])
    expect(cyclesOf(new Map([['a', ['b', 'c']], ['b', ['c']], ['c', []]]))).toEqual([])
  })

  it('src/ has no import circle that runs at load time', async () => {
    const g = await importGraph()
    expect(g.size).toBeGreaterThan(50)
    expect([...g.keys()].some((f) => f.startsWith('src/lib/cluster/'))).toBe(true)
    expect(cyclesOf(g).map((c) => c.join(' -> '))).toEqual([])
  })
})
