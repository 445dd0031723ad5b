// Real UDP on loopback: three members in this process, one in a child process killed with SIGKILL.
import {type ChildProcess, spawn} from 'node:child_process'
import {createSocket} from 'node:dgram'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {bundleEntry} from '../../../harness/lab/bundle.js'
import {poll} from '../../../harness/poll.js'
import {GossipMembership} from '../../../../src/speaker/membership/membership.js'

const dir = mkdtempSync(join(tmpdir(), 'lbctl-ml-udp-'))
const keyFile = join(dir, 'secretkey')
writeFileSync(keyFile, 'bG9vcGJhY2stdGVzdC1rZXk=\n')
const NODES = ['n1', 'n2', 'n3', 'n4']
const address = (n: string): string => `127.0.0.${10 + NODES.indexOf(n)}`
const candidates = NODES.map((node) => ({node, address: address(node)}))
const members: GossipMembership[] = []
let child: ChildProcess | undefined
let port = 0

afterAll(async () => {
  child?.kill('SIGKILL')
  for (const m of members) await m.stop()
})

async function freePort(): Promise<number> {
  const s = createSocket('udp4')
  await new Promise<void>((r) => s.bind(0, '127.0.0.10', () => r()))
  const port = s.address().port
  await new Promise<void>((r) => s.close(() => r()))
  return port
}

/** Whether `pred` held within `timeoutMs` (test/harness/poll.ts, its timeout turned into false for the assertion). */
const within = (pred: () => boolean, timeoutMs: number): Promise<boolean> =>
  poll(pred, {timeoutMs, intervalMs: 10}).then(() => true, () => pred())

const alive = (m: GossipMembership): string => [...m.view().alive].sort().join()

describe('membership over real UDP (loopback)', () => {
  it('three members here and one in a child: all see four; SIGKILL the child and the others drop it', async () => {
    port = await freePort()
    for (const node of ['n1', 'n2', 'n3']) {
      const m = new GossipMembership({node, bindAddress: address(node), port, keyFile})
      m.setCandidates(candidates)
      await m.start()
      members.push(m)
    }
    const main = await bundleEntry('test/unit/speaker/membership/member-main.ts')
    child = spawn(process.execPath, [main, JSON.stringify({node: 'n4', bindAddress: address('n4'), port, keyFile, candidates})], {stdio: ['pipe', 'pipe', 'inherit']})
    expect(await within(() => members.every((m) => alive(m) === 'n1,n2,n3,n4'), 10_000)).toBe(true)
    for (const m of members) expect(m.view().source).toBe('gossip')
    child.kill('SIGKILL')
    expect(await within(() => members.every((m) => alive(m) === 'n1,n2,n3'), 10_000)).toBe(true)
    expect(members[0].memberState('n4')?.state).toBe('dead')
    expect(members[0].stats().dropped.auth).toBe(0)
  })

  it('a graceful leave over UDP: the others mark it left (not dead) and drop it', async () => {
    const main = await bundleEntry('test/unit/speaker/membership/member-main.ts')
    const c = spawn(process.execPath, [main, JSON.stringify({node: 'n4', bindAddress: address('n4'), port, keyFile, candidates})], {stdio: ['pipe', 'pipe', 'inherit']})
    child = c
    expect(await within(() => members.every((m) => alive(m) === 'n1,n2,n3,n4'), 10_000)).toBe(true)
    c.stdin!.write(JSON.stringify({cmd: 'leave'}) + '\n')
    expect(await within(() => members.every((m) => alive(m) === 'n1,n2,n3'), 10_000)).toBe(true)
    for (const m of members) expect(m.memberState('n4')?.state).toBe('left')
  })

  it('a port already taken: the API view without this speaker, and the reason', async () => {
    const port = await freePort()
    const holder = createSocket('udp4')
    await new Promise<void>((r) => holder.bind(port, '127.0.0.20', () => r()))
    const m = new GossipMembership({node: 'x', bindAddress: '127.0.0.20', port, keyFile})
    m.setCandidates([{node: 'x', address: '127.0.0.20'}, {node: 'y', address: '127.0.0.21'}])
    await m.start()
    try {
      expect(m.view()).toEqual({alive: new Set(['y']), source: 'api', reason: expect.stringMatching(/EADDRINUSE/)})
    } finally {
      await m.stop()
      holder.close()
    }
  })
})
