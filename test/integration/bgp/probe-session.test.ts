// `lbctl bgp probe` (the built binary) against a BGP speaker in the test that records what it receives: every early
// exit says goodbye with a Cease, a failure's --json keeps the steps in the shape of success, the steps are in the
// order things happened, capabilities are named, and numbers agree with their nouns.
import {spawn} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {createSocket, type Socket as UdpSocket} from 'node:dgram'
import {join} from 'node:path'
import Ajv from 'ajv'
import {afterEach, describe, expect, it} from 'vitest'
import {parse as parseYaml} from 'yaml'
import {BIN, ROOT, runBin, tryJson} from '../helpers.js'
import {type Received, recordingPeer, type RecordingPeer} from './recording-peer.js'

const ajv = new Ajv({allErrors: true})
const validate = ajv.compile(JSON.parse(readFileSync(join(ROOT, 'schemas', 'bgp-probe.schema.json'), 'utf8')) as object)
const schemaErrors = (data: unknown): string[] => (validate(data) ? [] : (validate.errors ?? []).map((e) => `${e.dataPath} ${e.message}`))

const args = (port: number, ...extra: string[]) => ['bgp', 'probe', '--peer-address', '127.0.0.1', '--peer-port', String(port), '--peer-asn', '64497',
  '--my-asn', '64512', '--router-id', '198.18.0.2', ...extra]
const isCease = (m: Received) => m.type === 'notification' && m.code === 6
const stepsOf = (json: {steps: {step: string}[]}) => json.steps.map((s) => s.step)

let peer: RecordingPeer | undefined
let udp: UdpSocket | undefined
afterEach(async () => {
  await peer?.close()
  udp?.close()
  peer = udp = undefined
})

describe('bgp probe ends every session it opened with a Cease', () => {
  it('--bfd without --source-address is refused before any connection (USAGE, exit 2, a hint)', async () => {
    peer = await recordingPeer()
    const r = await runBin([...args(peer.port, '--bfd'), '--json'])
    expect(r.code, r.stdout).toBe(2)
    expect(r.json.error).toMatchObject({code: 'USAGE', exitCode: 2})
    expect(r.json.error.message).toContain('--source-address')
    expect(r.json.error.hint).toContain('--source-address')
    expect(peer.connections).toBe(0)
  })

  it('a timeout after OPEN (no KEEPALIVE comes): Cease sent, exit 1, --json keeps the steps in order with the error beside them', async () => {
    peer = await recordingPeer({reply: 'open-no-keepalive'})
    const r = await runBin([...args(peer.port, '--timeout', '1s'), '--json'])
    expect(r.code, r.stderr).toBe(1)
    expect(peer.received.some(isCease), JSON.stringify(peer.received)).toBe(true)
    expect(schemaErrors(r.json), r.stdout).toEqual([])
    expect(r.json).toMatchObject({established: false, exit: 'failed', error: {code: 'BGP_NO_OPEN', exitCode: 1}})
    const steps = stepsOf(r.json)
    const at = (prefix: string) => steps.findIndex((s) => s.startsWith(prefix))
    expect(at('TCP connected')).toBeGreaterThanOrEqual(0)
    expect(at('TCP connected')).toBeLessThan(at('OPEN sent'))
    expect(at('OPEN sent')).toBeLessThan(at('OPEN received'))
    expect(at('NOTIFICATION sent: 6/2')).toBeGreaterThan(at('OPEN received'))
  })

  it('SIGINT while waiting for the router: Cease sent, exit 1 (INTERRUPTED)', async () => {
    peer = await recordingPeer({reply: 'open-no-keepalive'})
    const child = spawn(process.execPath, [BIN, ...args(peer.port, '--timeout', '60s'), '--json'], {env: {...process.env, NO_COLOR: '1'}, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    child.stdout.on('data', (d) => (stdout += d))
    const exited = new Promise<number | null>((resolve) => child.on('close', resolve))
    // Our KEEPALIVE answers its OPEN: from then on the probe waits in OpenConfirm.
    await peer.waitFor((m) => m.type === 'keepalive')
    child.kill('SIGINT')
    expect(await exited).toBe(1)
    await peer.waitFor(isCease, 2000)
    const json = tryJson(stdout)
    expect(json.error.code).toBe('INTERRUPTED')
    expect(schemaErrors(json), stdout).toEqual([])
  })

  it('an error after Established (BFD cannot start: its port is taken): Cease sent, exit 1, the steps kept', async () => {
    // Our own socket on 127.0.0.1:3784 (BFD's port, RFC 5881) makes the probe's BFD fail once the session is up.
    udp = createSocket('udp4')
    await new Promise<void>((resolve, reject) => {
      udp!.once('error', reject)
      udp!.bind(3784, '127.0.0.1', resolve)
    })
    peer = await recordingPeer()
    const r = await runBin([...args(peer.port, '--bfd', '--source-address', '127.0.0.1', '--timeout', '10s'), '--json'])
    expect(r.code, r.stdout + r.stderr).toBe(1)
    expect(r.json.error.code).toBe('BFD_FAILED')
    expect(schemaErrors(r.json), r.stdout).toEqual([])
    expect(r.json).toMatchObject({established: true, exit: 'failed'})
    expect(stepsOf(r.json).some((s) => s.startsWith('Established with AS 64497'))).toBe(true)
    await peer.waitFor(isCease, 2000)
  })

  it('a session that comes up and finishes: withdrawn, Cease sent, exit 0', async () => {
    peer = await recordingPeer()
    const r = await runBin([...args(peer.port, '--announce', '203.0.113.10/32'), '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(schemaErrors(r.json), r.stdout).toEqual([])
    await peer.waitFor(isCease, 2000)
  })
})

describe('bgp probe output for people', () => {
  it('capabilities IANA names are named (FQDN, ADD-PATH, LLGR, BGP role), unknown codes by number', async () => {
    const fqdn = Buffer.from([6, ...Buffer.from('router'), 0])
    peer = await recordingPeer({capabilities: [[73, fqdn], [69, Buffer.from([0, 1, 1, 1])], [71, Buffer.alloc(0)], [9, Buffer.from([0])], [200, Buffer.alloc(0)]]})
    const r = await runBin([...args(peer.port), '--json'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json.capabilities).toEqual(['FQDN (73)', 'ADD-PATH (69)', 'long-lived graceful restart (71)', 'BGP role (9)', 'capability 200'])
  })

  it('numbers agree with their nouns ("1 prefix", "2 prefixes", "1 message"), in the steps and the summary', async () => {
    const plural = /\b1 (prefixes|messages|answers)\b/
    peer = await recordingPeer()
    const one = await runBin(args(peer.port, '--announce', '203.0.113.10/32'))
    expect(one.code, one.stderr).toBe(0)
    expect(one.stdout + one.stderr).not.toMatch(plural)
    expect(one.stderr).toMatch(/UPDATE sent: 1 prefix announced, 0 withdrawn in 1 message\b/)
    expect(one.stdout).toContain('1 prefix announced')
    const two = await runBin(args(peer.port, '--announce', '203.0.113.10/32', '--announce', '203.0.113.11/32'))
    expect(two.code, two.stderr).toBe(0)
    expect(two.stdout).toContain('2 prefixes announced')
    expect(two.stdout + two.stderr).not.toMatch(plural)
  })

  it('-o yaml is --json\'s data as YAML (success and failure)', async () => {
    peer = await recordingPeer()
    const [j, y] = [await runBin([...args(peer.port), '--json']), await runBin([...args(peer.port), '-o', 'yaml'])]
    expect(y.code, y.stderr).toBe(0)
    // Times and the local port differ between runs; the rest does not.
    const stable = (d: any) => ({...d, localAddress: undefined, steps: d.steps.map((s: {step: string}) => s.step.replace(/from 127\.0\.0\.1.*/, '').replace(/\d+\.\d+s/g, ''))})
    expect(stable(parseYaml(y.stdout))).toEqual(stable(j.json))
    await peer.close()
    peer = await recordingPeer({reply: 'open-no-keepalive'})
    const fy = await runBin([...args(peer.port, '--timeout', '1s'), '-o', 'yaml'])
    expect(fy.code).toBe(1)
    expect(parseYaml(fy.stdout)).toMatchObject({established: false, exit: 'failed', error: {code: 'BGP_NO_OPEN'}})
  })
})
