// Membership in the network lab: three node namespaces on a bridge, one member process in each (real UDP, real
// kernel). A node's link goes down → the others see it dead and it leaves itself out; link up → one view again.
import type {ChildProcess} from 'node:child_process'
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {bundleEntry} from '../../harness/lab/bundle.js'
import {cleanupStale, Lab, type LabNode, requireLab} from '../../harness/lab/index.js'

const PREFIX = 'mbr'
const NODES = ['a', 'b', 'c']
const ADDR: Record<string, string> = {a: '198.18.40.1', b: '198.18.40.2', c: '198.18.40.3'}
const ADDR6: Record<string, string> = {a: '2001:db8:40::1', b: '2001:db8:40::2', c: '2001:db8:40::3'}

describe.runIf(requireLab())('membership in the lab (3 namespaces on a bridge)', () => {
  let lab: Lab
  let dir: string
  const nodes = new Map<string, LabNode>()
  const views = new Map<string, string>()
  const views6 = new Map<string, string>()
  const procs: ChildProcess[] = []
  const procs6 = new Map<string, ChildProcess>()

  beforeAll(async () => {
    cleanupStale(PREFIX)
    dir = mkdtempSync(join(tmpdir(), 'lbctl-mbr-'))
    const keyFile = join(dir, 'secretkey')
    writeFileSync(keyFile, 'bGFiLW1lbWJlcnNoaXAta2V5\n')
    lab = await Lab.create(PREFIX)
    const lan = await lab.addBridge('lan')
    for (const n of NODES) {
      const node = await lab.addNode(n, {bridge: lan, ipv4: `${ADDR[n]}/24`, ipv6: `${ADDR6[n]}/64`})
      // Linux drops IPv6 addresses when a link goes down unless told otherwise; a server's static address stays.
      await node.sysctl('net.ipv6.conf.eth0.keep_addr_on_down', 1)
      nodes.set(n, node)
    }
    const main = await bundleEntry('test/unit/speaker/membership/member-main.ts')
    const candidates = NODES.map((node) => ({node, address: ADDR[node]}))
    for (const n of NODES) {
      const p = nodes.get(n)!.spawn(process.execPath, [main, JSON.stringify({node: n, bindAddress: ADDR[n], port: 7946, keyFile, candidates})])
      procs.push(p)
      createInterface({input: p.stdout!}).on('line', (line) => {
        const e = JSON.parse(line) as {event: string; alive?: string[]}
        if (e.event === 'view') views.set(n, e.alive!.join())
      })
      // A second membership over IPv6 on another port, in the same namespaces.
      const candidates6 = NODES.map((node) => ({node, address: ADDR6[node]}))
      const p6 = nodes.get(n)!.spawn(process.execPath, [main, JSON.stringify({node: n, bindAddress: ADDR6[n], port: 7947, keyFile, candidates: candidates6})])
      procs6.set(n, p6)
      createInterface({input: p6.stdout!}).on('line', (line) => {
        const e = JSON.parse(line) as {event: string; alive?: string[]}
        if (e.event === 'view') views6.set(n, e.alive!.join())
      })
    }
  })

  afterAll(async () => {
    await lab?.destroy()
    if (dir) rmSync(dir, {recursive: true, force: true})
  })

  async function until(pred: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
    const end = Date.now() + timeoutMs
    while (!pred()) {
      if (Date.now() > end) {
        throw new Error(`timed out waiting for ${what}; views: ${JSON.stringify(Object.fromEntries(views))}, IPv6: ${JSON.stringify(Object.fromEntries(views6))}`)
      }
      await new Promise((r) => setTimeout(r, 20))
    }
  }

  it('all three see all three, then a link down drops the node, and link up brings it back', async () => {
    await until(() => NODES.every((n) => views.get(n) === 'a,b,c'), 'every node to see a,b,c')
    await nodes.get('c')!.setLink('eth0', 'down')
    await until(() => views.get('a') === 'a,b' && views.get('b') === 'a,b', 'a and b to drop c')
    // c hears nobody: it leaves itself out rather than announce from a private view.
    await until(() => views.get('c') === '', 'c to leave itself out')
    await nodes.get('c')!.setLink('eth0', 'up')
    await until(() => NODES.every((n) => views.get(n) === 'a,b,c'), 'one view again after link up')
    expect(procs.every((p) => p.exitCode === null)).toBe(true)
  })

  it('over IPv6: a member SIGKILLed in its namespace is dropped by the others', async () => {
    await until(() => NODES.every((n) => views6.get(n) === 'a,b,c'), 'every node to see a,b,c over IPv6')
    procs6.get('b')!.kill('SIGKILL')
    await until(() => views6.get('a') === 'a,c' && views6.get('c') === 'a,c', 'a and c to drop b over IPv6')
  })
})
