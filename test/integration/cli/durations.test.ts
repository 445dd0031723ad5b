import {describe, expect, it} from 'vitest'
import {runInProcess} from '../helpers.js'

// Every time flag takes the one duration syntax (src/lib/duration.ts) and refuses values out of its bounds with
// exit 2 before doing anything (no connection, no cluster: the values are checked first).
const REFUSED: Array<[string[], string]> = [
  [['bgp', 'probe', '--peer-address', '198.18.0.1', '--peer-asn', '64513', '--my-asn', '64512', '--duration', '12x'], '--duration "12x" is not a duration'],
  [['bgp', 'probe', '--peer-address', '198.18.0.1', '--peer-asn', '64513', '--my-asn', '64512', '--timeout', '0s'], '--timeout "0s" is out of range: it must be from 1s to 1h0m0s'],
  [['bgp', 'probe', '--peer-address', '198.18.0.1', '--peer-asn', '64513', '--my-asn', '64512', '--duration', '25h'], '--duration "25h" is out of range'],
  [['l2', 'probe', '-i', 'lo', '203.0.113.10', '--timeout', '61s'], '--timeout "61s" is out of range: it must be from 1ms to 1m0s'],
  [['l2', 'probe', '-i', 'lo', '203.0.113.10', '--timeout', '1 s'], '--timeout "1 s" is not a duration'],
  [['prepare', '--check', '--timeout', '5 min', '--kubeconfig', '/nonexistent'], '--timeout "5 min" is not a duration'],
  [['prepare', '--check', '--timeout', '500ms', '--kubeconfig', '/nonexistent'], '--timeout "500ms" is out of range'],
]

describe('time flags', () => {
  it.each(REFUSED)('lbctl %j exits 2 naming the value', async (args, text) => {
    const r = await runInProcess([...args, '--json'])
    expect(r.code, r.stdout + r.stderr).toBe(2)
    expect(r.json.error).toMatchObject({exitCode: 2, message: expect.stringContaining(text), hint: expect.stringMatching(/^Write (a number with a unit|a duration from)/)})
  })
})
