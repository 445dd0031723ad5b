// Every --json output a script may read has one shape, described by a JSON schema in schemas/ (draft-07), and the
// commands' real output — through the built binary against the API harness — is validated against it, in every outcome.
import {readFileSync} from 'node:fs'
import {createServer, type AddressInfo, type Socket} from 'node:net'
import {join} from 'node:path'
import Ajv from 'ajv'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {type Cluster, ROOT, lbService, runBin, startCluster} from '../helpers.js'

const ajv = new Ajv({allErrors: true})
const schema = (name: string) => {
  const s = JSON.parse(readFileSync(join(ROOT, 'schemas', name), 'utf8')) as {$id: string}
  return ajv.getSchema(s.$id) ?? ajv.compile(s)
}
const valid = (name: string, data: unknown): string[] => {
  const v = schema(name)
  return v(data) ? [] : (v.errors ?? []).map((e) => `${e.dataPath} ${e.message} ${JSON.stringify(e.params)}`)
}

describe('--json output matches the schemas in schemas/', () => {
  let c: Cluster
  let run: (...args: string[]) => ReturnType<typeof runBin>
  beforeAll(async () => {
    c = await startCluster()
    run = (...args) => runBin([...args, '--json', '--kubeconfig', c.kubeconfig])
  })
  afterAll(() => c.close())

  it('the schemas are strict: an extra or a missing field is refused', () => {
    const ok = {pool: 'p', namespace: 'n', action: 'created', dryRun: false, added: [], removed: [], changed: [], affectedServices: [], warnings: []}
    expect(valid('pool-change.schema.json', ok)).toEqual([])
    expect(valid('pool-change.schema.json', {...ok, extra: 1})).not.toEqual([])
    const {dryRun: _, ...missing} = ok
    expect(valid('pool-change.schema.json', missing)).not.toEqual([])
    expect(valid('error.schema.json', {error: {code: 'X', exitCode: 9, message: 'm'}})).not.toEqual([])
  })

  it('pool set / add / remove in every outcome, pool list, pool show, and errors', async () => {
    const changes = [
      await run('pool', 'set', 'v4', '203.0.113.0/29'),
      await run('pool', 'set', 'v4', '203.0.113.0/29'),
      await run('pool', 'set', 'v4', '203.0.113.0/29', '--no-auto-assign', '--dry-run'),
      await run('pool', 'add', 'v6', '2001:db8:ffff::/48', '--advertise', 'bgp'),
      await run('pool', 'remove', 'v4', '203.0.113.4/30'),
      await run('pool', 'remove', 'gone'),
    ]
    for (const r of changes) {
      expect(r.code, r.stderr).toBe(0)
      expect(valid('pool-change.schema.json', r.json), r.stdout).toEqual([])
    }
    expect(changes.map((r) => r.json.action)).toEqual(['created', 'unchanged', 'updated', 'created', 'updated', 'absent'])
    c.server.store.put(lbService('web', '203.0.113.1'))
    const list = await run('pool', 'list')
    expect(valid('pool-list.schema.json', list.json), list.stdout).toEqual([])
    // an IPv6 /48 is 2^80 addresses: a decimal string, exact
    expect(list.json.pools.find((p: {name: string}) => p.name === 'v6').size).toBe((2n ** 80n).toString())
    const show = await run('pool', 'show', 'v4')
    expect(valid('pool-show.schema.json', show.json), show.stdout).toEqual([])
    expect(show.json.services).toEqual([{namespace: 'default', name: 'web', ips: ['203.0.113.1']}])
    const refused = await run('pool', 'remove', 'v4')
    expect(refused.code).toBe(4)
    const errors = [refused, await run('pool', 'show', 'nope'), await run('pool', 'set', '10.0.0.300')]
    for (const r of errors) expect(valid('error.schema.json', r.json), r.stdout).toEqual([])
  })
})

/** A BGP speaker in the test: answers our OPEN with its OPEN (AS 64497, or a NOTIFICATION when told), a KEEPALIVE and End-of-RIB. */
async function peer(reply: 'open' | 'bad-peer-as'): Promise<{port: number; close: () => Promise<void>}> {
  const msg = (type: number, body: Buffer) => {
    const b = Buffer.alloc(19 + body.length, 0xff)
    b.writeUInt16BE(19 + body.length, 16)
    b[18] = type
    body.copy(b, 19)
    return b
  }
  const open = Buffer.from([4, 0xfb, 0xf1, 0, 90, 198, 18, 0, 1, 0])
  const sockets: Socket[] = []
  const server = createServer((c) => {
    sockets.push(c)
    c.once('data', () => c.write(reply === 'open' ? Buffer.concat([msg(1, open), msg(4, Buffer.alloc(0)), msg(2, Buffer.alloc(4))]) : msg(3, Buffer.from([2, 2, 0xfc, 0x00]))))
    c.on('data', () => undefined)
    c.on('error', () => undefined)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    port: (server.address() as AddressInfo).port,
    close: async () => {
      for (const s of sockets) s.destroy()
      await new Promise((r) => server.close(r))
    },
  }
}

describe('bgp probe --json matches schemas/bgp-probe.schema.json, also when it fails (the steps kept, the error beside them)', () => {
  const probe = (port: number) => runBin(['bgp', 'probe', '--peer-address', '127.0.0.1', '--peer-port', String(port), '--peer-asn', '64497', '--my-asn', '64512', '--router-id', '198.18.0.2', '--duration', '0', '--timeout', '10s', '--json'])
  it('a session that comes up', async () => {
    const p = await peer('open')
    try {
      const r = await probe(p.port)
      expect(r.code, r.stderr).toBe(0)
      expect(valid('bgp-probe.schema.json', r.json), r.stdout).toEqual([])
      expect(r.json).toMatchObject({established: true, peerAsn: 64497, endOfRib: ['ipv4']})
    } finally {
      await p.close()
    }
  })
  it('a session the router refuses', async () => {
    const p = await peer('bad-peer-as')
    try {
      const r = await probe(p.port)
      expect(r.code).toBe(1)
      expect(valid('bgp-probe.schema.json', r.json), r.stdout).toEqual([])
      expect(r.json.error.code).toBe('BGP_NOTIFICATION')
      expect(r.json.steps.map((x: {step: string}) => x.step)).toContainEqual(expect.stringMatching(/^NOTIFICATION received: 2\/2/))
    } finally {
      await p.close()
    }
  })
})
