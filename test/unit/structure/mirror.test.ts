// Unit tests mirror src/ (docs/ARCHITECTURE.md, "Where the tests are"): test/unit/<path>/<module>[.<aspect>].test.ts
// tests src/lib/<path>/<module>.ts or src/<path>/<module>.ts (or the folder of that name); fuzz.test.ts and
// properties.test.ts test the folder they sit in as a whole. A test that spans modules on purpose is listed below
// with the reason; anything else that does not match fails here, naming where it should go.
import {existsSync, readdirSync, statSync} from 'node:fs'
import {join, relative, sep} from 'node:path'
import {describe, expect, it} from 'vitest'

const ROOT = new URL('../../../', import.meta.url).pathname
const UNIT = join(ROOT, 'test/unit')

/** Cross-cutting tests: path under test/unit → why it spans modules. */
export const CROSS_CUTTING: Record<string, string> = {
  'api/api.test.ts': 'the CRD schemas (crds.ts) and the selectors that read them (selectors.ts) checked together',
  'bgp/extended.test.ts': 'extended messages (RFC 8654) and next hops (RFC 8950) across OPEN, UPDATE and the session',
  'cluster/merge.test.ts': 'kube-proxy configuration edits across the distributions (prepare, juju, node-args, instructions)',
  'ipam/usage.test.ts': 'the allocator\'s pool counters against the CLI\'s count from status (ipam vs pool/usage.ts)',
  'l2/codec.test.ts': 'the Ethernet, ARP and NDP codecs (ethernet.ts, arp.ts, ndp.ts) against frames from real tools',
  'speaker/bgp/engine-additions.test.ts': 'what the speaker needed from the BGP engine: passive BFD, BFD rates, router ID, session kind',
  'structure/import-cycles.test.ts': 'a check over the whole of src/',
  'structure/mirror.test.ts': 'a check over the whole of test/unit/',
}

const FOLDER_TESTS = new Set(['fuzz', 'properties'])

function testFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name)
    if (statSync(p).isDirectory()) return testFiles(p)
    return name.endsWith('.test.ts') ? [relative(UNIT, p).split(sep).join('/')] : []
  })
}

/** The src paths a unit test file may stand for, existing or not. */
export function candidates(rel: string): string[] {
  const parts = rel.split('/')
  const file = parts.pop()!
  const module = file.split('.')[0]
  const dir = parts.join('/')
  if (FOLDER_TESTS.has(module)) return [`src/lib/${dir}`, `src/${dir}`]
  const path = dir ? `${dir}/${module}` : module
  return [`src/lib/${path}.ts`, `src/${path}.ts`, `src/lib/${path}`, `src/${path}`]
}

const matches = (rel: string): boolean => candidates(rel).some((c) => existsSync(join(ROOT, c)))

describe('test/unit mirrors src/', () => {
  it('every unit test file names a src module or folder, or is a listed cross-cutting test', () => {
    const files = testFiles(UNIT)
    expect(files.length).toBeGreaterThan(50)
    const stray = files.filter((f) => !(f in CROSS_CUTTING) && !matches(f))
    expect(stray, `move these so test/unit/<path> mirrors src (or list them in CROSS_CUTTING with a reason): ${stray.join(', ')}`).toEqual([])
  })

  it('every listed exception still exists and really spans modules (it does not match one)', () => {
    for (const f of Object.keys(CROSS_CUTTING)) {
      expect(existsSync(join(UNIT, f)), `${f} is listed but gone`).toBe(true)
      if (!f.startsWith('structure/')) expect(matches(f), `${f} matches a module: take it off the list`).toBe(false)
    }
  })

  it('the rule maps as documented', () => {
    expect(candidates('kube/lease.test.ts')).toContain('src/lib/kube/lease.ts')
    expect(candidates('bgp/codec.rfc7606.test.ts')).toContain('src/lib/bgp/codec.ts')
    expect(candidates('speaker/l2/election.test.ts')).toContain('src/speaker/l2/election.ts')
    expect(candidates('bgp/fuzz.test.ts')).toEqual(['src/lib/bgp', 'src/bgp'])
    expect(matches('controller/lease.test.ts')).toBe(false)
  })
})
