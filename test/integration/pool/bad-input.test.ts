import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {type Cluster, runBin, snapshot, startCluster} from '../helpers.js'

const KINDS: Array<[string, string]> = [['metallb.io/v1beta1', 'IPAddressPool'], ['metallb.io/v1beta1', 'L2Advertisement'], ['metallb.io/v1beta1', 'BGPAdvertisement'], ['v1', 'Service']]

// [arguments after `lbctl`, text the error must contain (the offending token, quoted or named)]
const CASES: Array<[string[], string]> = [
  [['pool', 'set', '192.168.1.300'], '"192.168.1.300"'],
  [['pool', 'set', '192.168.1'], '"192.168.1"'],
  [['pool', 'set', '192.168.1.1.1'], '"192.168.1.1.1"'],
  [['pool', 'set', '192.168.01.1'], '"192.168.01.1"'],
  [['pool', 'set', '192.168..1'], '"192.168..1"'],
  [['pool', 'set', '192.168.1.x'], '"192.168.1.x"'],
  [['pool', 'set', '-1.2.3.4'], '-1.2.3.4'],
  [['pool', 'set', '192.168.1.0/33'], '"192.168.1.0/33"'],
  [['pool', 'set', '192.168.1.0/'], '"192.168.1.0/"'],
  [['pool', 'set', '192.168.1.0/abc'], '"192.168.1.0/abc"'],
  [['pool', 'set', '192.168.1.0/-1'], '"192.168.1.0/-1"'],
  [['pool', 'set', '192.168.1.5/24'], '192.168.1.0/24'],
  [['pool', 'set', '10.0.0.9-10.0.0.1'], '"10.0.0.9-10.0.0.1"'],
  [['pool', 'set', '10.0.0.1-2001:db8::1'], '"10.0.0.1-2001:db8::1"'],
  [['pool', 'set', '10.0.0.1-'], '"10.0.0.1-"'],
  [['pool', 'set', '-10.0.0.1'], '-10.0.0.1'],
  [['pool', 'set', '10.0.0.1-10.0.0.5-10.0.0.9'], '"10.0.0.1-10.0.0.5-10.0.0.9"'],
  [['pool', 'set', '10.0.0.0/24-10.0.1.0'], '"10.0.0.0/24-10.0.1.0"'],
  [['pool', 'set', '10.0.0.1,,10.0.0.2'], 'empty'],
  [['pool', 'set', '10.0.0.1,'], 'empty'],
  [['pool', 'set', ','], 'empty'],
  [['pool', 'set', 'foo'], '"foo"'],
  [['pool', 'set', 'example.com'], '"example.com"'],
  [['pool', 'set', '2001:db8::1::2'], '"2001:db8::1::2"'],
  [['pool', 'set', '2001:db8:1:2:3:4:5:6:7'], '"2001:db8:1:2:3:4:5:6:7"'],
  [['pool', 'set', '2001:db8::12345'], '"2001:db8::12345"'],
  [['pool', 'set', '2001:db8::g'], '"2001:db8::g"'],
  [['pool', 'set', 'fe80::1%eth0'], '"fe80::1%eth0"'],
  [['pool', 'set', '2001:db8::/129'], '"2001:db8::/129"'],
  [['pool', 'set', '2001:db8::1/64'], '2001:db8::/64'],
  [['pool', 'set', '2001:db8::9-2001:db8::1'], '"2001:db8::9-2001:db8::1"'],
  [['pool', 'set', '10.0.0.0/24', '10.0.0.128/25'], '"10.0.0.128/25"'],
  [['pool', 'set', '10.0.0.1', '10.0.0.1'], '"10.0.0.1"'],
  [['pool', 'set', '10.0.0.0/24, 10.0.0.5-10.0.0.9'], '"10.0.0.5-10.0.0.9"'],
  [['pool', 'set', '10.0.0.1 10.0.0.300'], '"10.0.0.300"'],
  [['pool', 'set', '10.0.0.0/24', '--name', 'Bad_Name'], 'Bad_Name'],
  [['pool', 'set', '10.0.0.0/24', '--name', '-x'], '-x'],
  [['pool', 'set', '10.0.0.0/24', '--advertise', 'ospf'], 'ospf'],
  [['pool', 'set', '10.0.0.0/24', '-o', 'xml'], 'xml'],
  [['pool', 'set', '10.0.0.0/24', '--bogus'], '--bogus'],
  [['pool', 'add', 'web', '10.0.0.256'], '"10.0.0.256"'],
  [['pool', 'add', 'web', '1.2.3.4/24'], '1.2.3.0/24'],
  [['pool', 'add', 'Web!', '10.0.0.1'], 'Web!'],
  [['pool', 'remove', 'default', '10.1.1.1-10.1.1.0'], '"10.1.1.1-10.1.1.0"'],
  [['pool', 'remove', 'default', 'garbage'], '"garbage"'],
  [['pool', 'set', '10.0.0.0/24', '203.0.113.0/24', '--name', 'other'], 'pool "default"'],
  [['pool', 'add', 'other', '203.0.113.200'], 'pool "default"'],
  [['pool', 'set', 'web', '10.0.0.1', '10.0.0.300'], '"10.0.0.300"'],
  [['pool', 'show', 'NOPE'], 'NOPE'],
]

describe('lbctl pool refuses bad input: exit 2, names the token, changes nothing', () => {
  let c: Cluster
  let before: Record<string, string>
  beforeAll(async () => {
    c = await startCluster()
    c.server.store.put({apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: {name: 'default', namespace: 'metallb-system'}, spec: {addresses: ['203.0.113.0/24']}})
    before = snapshot(c.server, KINDS)
  })
  afterAll(() => c.close())

  it(`has at least 40 cases (${CASES.length})`, () => expect(CASES.length).toBeGreaterThanOrEqual(40))

  it.each(CASES)('lbctl %j', async (args, token) => {
    const r = await runBin([...args, '--kubeconfig', c.kubeconfig])
    expect(r.code, `stdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(2)
    expect(r.stderr + r.stdout).toContain(token)
    expect(snapshot(c.server, KINDS)).toEqual(before)
  })

  it('the --json form carries the code, message and hint', async () => {
    const r = await runBin(['pool', 'set', '192.168.1.5/24', '--json', '--kubeconfig', c.kubeconfig])
    expect(r.code).toBe(2)
    expect(r.json.error).toMatchObject({code: 'BAD_ADDRESS', exitCode: 2})
    expect(r.json.error.details.problems[0].token).toBe('192.168.1.5/24')
    expect(r.json.error.hint).toContain('192.168.1.0/24')
  })
})
