// Issue 5 "Done when": `lbctl l2 probe` in the client namespace reports one MAC for an owned address, nothing for an
// unowned one, and two MACs when another namespace's kernel also answers (strict ARP off) — with the exit codes.
// Issue 17: the built binary's --json has one shape in every outcome (schemas/l2-probe.schema.json): the results stay
// where they are when the answer is "not announced" or "conflict", with the error beside them; -o yaml is the same data.
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import Ajv from 'ajv'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parse as parseYaml} from 'yaml'
import {BIN, ROOT} from '../../integration/helpers.js'
import {cleanupStale, missingBuild, missingNative, requireLab} from '../../harness/lab/index.js'
import {ExitCode} from '../../../src/lib/cli/errors.js'
import type {ProbeResult} from '../../../src/lib/l2/probe.js'
import {l2Lab, type L2Lab, UNOWNED4, UNOWNED6, VIP4, VIP6} from '../../harness/lab/l2-lab.js'

const PREFIX = 'l2p'
const DUP4 = '203.0.113.30'
const DUP6 = '2001:db8:ffff::30'

const ajv = new Ajv({allErrors: true})
const schemaErrors = (name: string, data: unknown): string[] => {
  const v = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'schemas', name), 'utf8')) as object)
  return v(data) ? [] : (v.errors ?? []).map((e) => `${e.dataPath} ${e.message}`)
}

describe.runIf(requireLab([], [...missingNative(), ...missingBuild()]))('lbctl l2 probe in the lab (the built binary)', () => {
  let l: L2Lab
  beforeAll(async () => {
    cleanupStale(PREFIX)
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

  const run = (...args: string[]) => l.client.exec(process.execPath, [BIN, 'l2', 'probe', '--interface', 'eth0', '--timeout', '300', ...args], {env: {...process.env, NO_COLOR: '1'}})
  const probe = async (...args: string[]): Promise<{exitCode: number; json: any; stderr: string}> => {
    const r = await run('--json', ...args)
    const json = JSON.parse(r.stdout)
    // Every outcome but bad input (error.schema.json) has the probe's own shape.
    expect(schemaErrors(r.exitCode === ExitCode.BAD_INPUT ? 'error.schema.json' : 'l2-probe.schema.json', json), r.stdout).toEqual([])
    return {exitCode: r.exitCode, json, stderr: r.stderr}
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

  it('nothing for unowned addresses: exit 1, NOT_ANNOUNCED, the results where success has them', async () => {
    const r = await probe(UNOWNED4, UNOWNED6)
    expect(r.exitCode).toBe(ExitCode.PROBLEMS)
    expect(r.json.error.code).toBe('NOT_ANNOUNCED')
    expect(r.json.error.details).toBeUndefined()
    expect(r.json.status).toBe('not-announced')
    expect(r.json.results.map((x: any) => [x.address, x.status, x.answers.length])).toEqual([[UNOWNED4, 'not-announced', 0], [UNOWNED6, 'not-announced', 0]])
  })

  it('two MACs when a kernel also answers: exit 6, ADDRESS_CONFLICT, a list of answers (mac, ip, interface)', async () => {
    for (const addr of [DUP4, DUP6]) {
      const r = await probe(addr)
      expect(r.exitCode).toBe(ExitCode.CONFLICT)
      expect(r.json.error.code).toBe('ADDRESS_CONFLICT')
      expect(r.json.status).toBe('conflict')
      const answers = r.json.results[0].answers.map((a: any) => ({mac: a.mac, ip: a.ip, interface: a.interface}))
      expect(answers.sort((x: any, y: any) => x.mac.localeCompare(y.mac))).toEqual([l.a.mac, l.b.mac].sort().map((mac) => ({mac, ip: addr, interface: 'eth0'})))
    }
  })

  it('-o yaml is the same data as --json, also for a conflict (exit code unchanged); the table lists each MAC on its own line', async () => {
    const [json, yaml, table] = [await run('--json', DUP4), await run('-o', 'yaml', DUP4), await run(DUP4)]
    expect([json.exitCode, yaml.exitCode, table.exitCode]).toEqual([ExitCode.CONFLICT, ExitCode.CONFLICT, ExitCode.CONFLICT])
    const [j, y] = [JSON.parse(json.stdout), parseYaml(yaml.stdout)]
    // rtt and counts differ between two runs; the shape and the answers do not.
    const strip = (d: any) => ({...d, results: d.results.map((x: any) => ({...x, answers: x.answers.map((a: any) => a.mac).sort()}))})
    expect(strip(y)).toEqual(strip(j))
    const rows = table.stdout.trim().split('\n').slice(1)
    expect(rows.map((row) => row.split(/\s+/).slice(0, 3)).sort()).toEqual([l.a.mac, l.b.mac].sort().map((mac) => [DUP4, 'conflict', mac]))
    expect(table.stderr).toContain('more than one MAC answers')
  })

  it('bad input is exit 2 and names the problem', async () => {
    const r = await probe('203.0.113.300')
    expect(r.exitCode).toBe(ExitCode.BAD_INPUT)
    expect(r.json.error.code).toBe('BAD_ADDRESS')
  })
})
