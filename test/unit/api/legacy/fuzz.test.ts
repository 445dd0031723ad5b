// Fuzzing the legacy ConfigMap reader: arbitrary text, structured documents built from the format's own vocabulary
// (right keys, wrong and right values), and mutations of the table tests' fixtures. The only acceptable outcomes are
// a plan whose objects have valid, unique names and non-overlapping pools, or a LegacyConfigError.
// CI runs FUZZ_ITERATIONS (default 21,000) inputs; `npm run fuzz:legacy` runs 1,000,000.
import fc from 'fast-check'
import {describe, expect, it} from 'vitest'
import {stringify} from 'yaml'
import {LegacyConfigError, planLegacyImport} from '../../../../src/lib/api/legacy/index.js'
import {validObjectName} from '../../../../src/lib/api/selectors.js'
import {findOverlaps, tryParseAddressList} from '../../../../src/lib/net/index.js'
import {asConfigMap, DOCS_BGP, DOCS_BGP_ADVANCED, DOCS_LAYER2, EVERY_FIELD} from './fixtures.js'

const ITERATIONS = Number(process.env.FUZZ_ITERATIONS ?? 21_000)
const PER_KIND = Math.ceil(ITERATIONS / 3)

const counts = {accepted: 0, refused: 0}

/** Run one input; anything thrown that is not a LegacyConfigError fails (with the input in the message). */
function check(text: string): void {
  let plan
  try {
    plan = planLegacyImport(text, {namespace: 'metallb-system', source: 'fuzz', force: text.length % 2 === 0})
  } catch (e) {
    if (e instanceof LegacyConfigError) {
      counts.refused++
      if (!e.path || !e.message.startsWith(e.path)) throw new Error(`error without a path for ${JSON.stringify(text)}: ${e.message}`)
      return
    }
    throw new Error(`untyped ${(e as Error)?.name}: ${(e as Error)?.message} for input ${JSON.stringify(text)}`)
  }
  counts.accepted++
  const seen = new Set<string>()
  for (const o of plan.objects) {
    const id = `${o.kind}/${o.metadata.name}`
    if (validObjectName(o.metadata.name) || seen.has(id)) throw new Error(`bad or duplicate name ${id} for ${JSON.stringify(text)}`)
    seen.add(id)
  }
  const items = plan.pools.flatMap((p) => tryParseAddressList(p.addresses).ranges.map((range) => ({range})))
  if (findOverlaps(items).length > 0) throw new Error(`overlapping pools accepted for ${JSON.stringify(text)}`)
}

const KEYS = ['peers', 'bgp-communities', 'address-pools', 'bfd-profiles', 'my-asn', 'peer-asn', 'peer-address', 'source-address', 'peer-port', 'hold-time',
  'keepalive-time', 'router-id', 'node-selectors', 'password', 'bfd-profile', 'ebgp-multihop', 'match-labels', 'match-expressions', 'key', 'operator', 'values',
  'protocol', 'name', 'addresses', 'avoid-buggy-ips', 'auto-assign', 'bgp-advertisements', 'aggregation-length', 'aggregation-length-v6', 'localpref',
  'communities', 'receive-interval', 'transmit-interval', 'detect-multiplier', 'echo-interval', 'echo-mode', 'passive-mode', 'minimum-ttl', 'kind', 'data', 'config']
const WORDS = ['bgp', 'layer2', 'In', 'NotIn', 'Exists', 'DoesNotExist', '10.0.0.1', '203.0.113.0/24', '203.0.113.0/25', '203.0.113.10-203.0.113.20', '2001:db8:ffff::/64',
  '2001:db8::1', '65535:65282', '64500:1', '90s', '3s', '1m30s', '.5s', 'yes', 'no', 'on', 'ConfigMap', 'default', 'fast', 'no-advertise', '']

const scalar = fc.oneof(
  fc.constantFrom(...WORDS), fc.integer({min: -5, max: 70_000}), fc.constantFrom(0, 32, 128, 179, 64500, 4294967295, 4294967296, 2 ** 53),
  fc.boolean(), fc.constant(null), fc.string({maxLength: 12}), fc.double(),
)
const {value} = fc.letrec((tie) => ({
  value: fc.oneof({depthSize: 'small', withCrossShrink: true}, scalar, tie('list'), tie('map')),
  list: fc.array(tie('value'), {maxLength: 4}),
  map: fc.dictionary(fc.oneof(fc.constantFrom(...KEYS), fc.string({maxLength: 6})), tie('value'), {maxKeys: 5}),
}))
const structured = fc.record({
  doc: fc.dictionary(fc.constantFrom(...KEYS.slice(0, 4)), value, {maxKeys: 4}),
  form: fc.constantFrom('yaml', 'json', 'configmap', 'flow'),
}).map(({doc, form}) => {
  const y = form === 'json' ? JSON.stringify(doc) : stringify(doc, form === 'flow' ? {collectionStyle: 'flow'} : {})
  return form === 'configmap' ? asConfigMap(y) : y
})

const SEEDS = [DOCS_LAYER2, DOCS_BGP, DOCS_BGP_ADVANCED, EVERY_FIELD, asConfigMap(DOCS_BGP_ADVANCED)]
const SPECIAL = ['&', '*', '!', '!!', ':', '-', '[', ']', '{', '}', '|', '>', "'", '"', '#', '%', '@', '`', '\n', ' ', '\t', ',', '?', '<<', '0', '9', '/', '.', '\u0000', '\ufeff']
const mutated = fc.record({
  seed: fc.constantFrom(...SEEDS),
  edits: fc.array(fc.record({at: fc.nat(), op: fc.constantFrom('insert', 'delete', 'dup-line'), text: fc.oneof(fc.constantFrom(...SPECIAL), fc.string({maxLength: 4}))}), {minLength: 1, maxLength: 4}),
}).map(({seed, edits}) => {
  let s = seed
  for (const e of edits) {
    const at = e.at % (s.length + 1)
    if (e.op === 'insert') s = s.slice(0, at) + e.text + s.slice(at)
    else if (e.op === 'delete') s = s.slice(0, at) + s.slice(at + 1 + (e.text.length % 8))
    else {
      const lines = s.split('\n')
      const i = at % lines.length
      lines.splice(i, 0, lines[i])
      s = lines.join('\n')
    }
  }
  return s
})

/**
 * fc.assert in chunks, yielding to the event loop between them: a synchronous 20-minute loop starves vitest's worker
 * RPC ("Timeout calling onTaskUpdate"). Each chunk has its own seed, printed by fast-check on failure.
 */
async function assertChunked<T>(arb: fc.Arbitrary<T>, runs: number, seed: number): Promise<void> {
  const CHUNK = 5_000
  for (let done = 0, k = 0; done < runs; done += CHUNK, k++) {
    fc.assert(fc.property(arb, (t) => check(t as string)), {numRuns: Math.min(CHUNK, runs - done), seed: seed + k})
    await new Promise((r) => setImmediate(r))
  }
}
const SEED = Number(process.env.FUZZ_SEED ?? Date.now() % 1_000_000)

describe(`fuzz: the legacy reader throws only LegacyConfigError (${ITERATIONS} inputs, seed ${SEED})`, () => {
  const timeout = Math.max(120_000, ITERATIONS * 10)
  it('arbitrary text', async () => {
    const pieces = fc.array(fc.constantFrom(...SPECIAL, 'a', 'peers', 'address-pools', 'name'), {maxLength: 80}).map((a) => a.join(''))
    await assertChunked(fc.oneof(fc.string({maxLength: 200}), fc.string({unit: 'binary', maxLength: 60}), pieces), PER_KIND, SEED)
  }, timeout)
  it('documents made of the format\'s vocabulary', async () => {
    await assertChunked(structured, PER_KIND, SEED + 1000)
  }, timeout)
  it('mutations of valid configurations', async () => {
    await assertChunked(mutated, PER_KIND, SEED + 2000)
    // Some mutations must still be accepted, or the fuzzer only ever tests the error paths.
    expect(counts.accepted).toBeGreaterThan(0)
    expect(counts.refused).toBeGreaterThan(0)
    if (process.env.FUZZ_REPORT) process.stderr.write(`legacy fuzz: ${counts.accepted + counts.refused} inputs, ${counts.accepted} accepted, ${counts.refused} refused\n`)
  }, timeout)
})
