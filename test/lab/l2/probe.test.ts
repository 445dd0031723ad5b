// Issue 5 "Done when": `lbctl l2 probe` in the client namespace reports one MAC for an owned address, nothing for an
// unowned one, and two MACs when another namespace's kernel also answers (strict ARP off) — with the exit codes.
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {bundleEntry} from '../../harness/lab/bundle.js'
import {cleanupStale, missingNative, requireLab} from '../../harness/lab/index.js'
import {ExitCode} from '../../../src/lib/cli/errors.js'
import type {ProbeResult} from '../../../src/lib/l2/probe.js'
import {l2Lab, type L2Lab, UNOWNED4, UNOWNED6, VIP4, VIP6} from '../../harness/lab/l2-lab.js'

const PREFIX = 'l2p'
const DUP4 = '203.0.113.30'
const DUP6 = '2001:db8:ffff::30'

describe.runIf(requireLab([], missingNative()))('lbctl l2 probe in the lab', () => {
  let l: L2Lab
  let cli: string
  beforeAll(async () => {
    cleanupStale(PREFIX)
    cli = await bundleEntry('test/harness/lab/fixtures/l2-probe-cli-main.ts')
    l = await l2Lab(PREFIX)
    await l.ra.own(VIP4)
    await l.ra.own(VIP6)
    // B's kernel carries the addresses A's responder also claims: the strict-ARP-off symptom.
    await l.b.addAddress(`${DUP4}/32`)
    await l.b.addAddress(`${DUP6}/128`)
    await l.ra.own(DUP4)
    await l.ra.own(DUP6)
  })
  afterAll(async () => {
    await l?.destroy()
  })

  const probe = async (...args: string[]): Promise<{exitCode: number; json: any; stderr: string}> => {
    const r = await l.client.exec(process.execPath, [cli, '--interface', 'eth0', '--timeout', '300', '--json', ...args])
    return {exitCode: r.exitCode, json: JSON.parse(r.stdout), stderr: r.stderr}
  }

  it('one MAC (the owner\'s) for owned addresses: exit 0', async () => {
    const r = await probe(VIP4, VIP6)
    expect(r.exitCode, r.stderr).toBe(ExitCode.OK)
    const res = r.json as ProbeResult
    expect(res.status).toBe('announced')
    expect(res.results.map((x) => [x.address, x.status, x.answers.map((a) => a.mac)])).toEqual([
      [VIP4, 'announced', [l.a.mac]], [VIP6, 'announced', [l.a.mac]],
    ])
    expect(res.results.every((x) => x.answers[0].rttMs > 0 && x.answers[0].rttMs < 300)).toBe(true)
  })

  it('nothing for unowned addresses: exit 1, NOT_ANNOUNCED', async () => {
    const r = await probe(UNOWNED4, UNOWNED6)
    expect(r.exitCode).toBe(ExitCode.PROBLEMS)
    expect(r.json.error.code).toBe('NOT_ANNOUNCED')
    expect(r.json.error.details.results.map((x: any) => x.answers.length)).toEqual([0, 0])
  })

  it('two MACs when a kernel also answers: exit 6, ADDRESS_CONFLICT', async () => {
    for (const addr of [DUP4, DUP6]) {
      const r = await probe(addr)
      expect(r.exitCode).toBe(ExitCode.CONFLICT)
      expect(r.json.error.code).toBe('ADDRESS_CONFLICT')
      const macs = r.json.error.details.results[0].answers.map((a: any) => a.mac).sort()
      expect(macs).toEqual([l.a.mac, l.b.mac].sort())
    }
  })

  it('bad input is exit 2 and names the problem', async () => {
    const r = await probe('203.0.113.300')
    expect(r.exitCode).toBe(ExitCode.BAD_INPUT)
    expect(r.json.error.code).toBe('BAD_ADDRESS')
  })
})
