// The diagnostics client against a small HTTPS server that speaks the documented JSON (CONTRACTS.md). This tests the
// client; the speaker that serves the real endpoint is tested with the speaker.
import https from 'node:https'
import type {AddressInfo} from 'node:net'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {DiagnosticsError, diagnosticsClient, type SpeakerEndpoint} from '../../../src/lib/doctor/diagnostics.js'
import {makeCertificates} from '../../harness/apiserver/tls.js'

let server: https.Server
let ep: SpeakerEndpoint
let ca: string
const seen: Array<{url: string; auth?: string}> = []
const routes: Record<string, (res: import('node:http').ServerResponse) => void> = {}

beforeAll(async () => {
  const certs = makeCertificates()
  ca = certs.ca
  server = https.createServer({key: certs.key, cert: certs.cert}, (req, res) => {
    seen.push({url: req.url ?? '', auth: req.headers.authorization})
    const addr = new URL(req.url ?? '/', 'https://x').searchParams.get('address') ?? ''
    const route = routes[addr]
    if (route) return route(res)
    res.writeHead(200, {'content-type': 'application/json'})
    res.end(JSON.stringify({node: 'node-b', address: addr, results: [{interface: 'eth0', answers: [{mac: '02:00:00:00:00:0A', ip: addr}]}]}))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  ep = {node: 'node-b', url: `https://127.0.0.1:${(server.address() as AddressInfo).port}`}
})
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())))

describe('diagnostics client', () => {
  it('probes with the bearer token and the query of the contract, and reads the answers', async () => {
    const r = await diagnosticsClient({token: 't0k'}).probe(ep, '203.0.113.1', {interface: 'eth0', timeoutMs: 500})
    expect(r).toEqual({node: 'node-b', address: '203.0.113.1', results: [{interface: 'eth0', answers: [{mac: '02:00:00:00:00:0a', ip: '203.0.113.1'}]}]})
    expect(seen.at(-1)).toEqual({url: '/v1/probe?address=203.0.113.1&interface=eth0&timeoutMs=500', auth: 'Bearer t0k'})
  })

  it('verifies the certificate when given a CA', async () => {
    await expect(diagnosticsClient({ca}).probe(ep, '203.0.113.1')).resolves.toMatchObject({node: 'node-b'})
    const other = makeCertificates({caName: 'someone-else'})
    await expect(diagnosticsClient({ca: other.ca}).probe(ep, '203.0.113.1')).rejects.toThrow(/cannot reach the speaker on node-b/)
  })

  it('turns the documented JSON errors into a message with the status', async () => {
    routes['203.0.113.250'] = (res) => {
      res.writeHead(400, {'content-type': 'application/json'})
      res.end(JSON.stringify({error: {code: 'NotInPool', message: 'address 203.0.113.250 is in no IPAddressPool'}}))
    }
    const err = await diagnosticsClient().probe(ep, '203.0.113.250').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(DiagnosticsError)
    expect((err as DiagnosticsError).message).toBe('speaker on node-b answered HTTP 400: address 203.0.113.250 is in no IPAddressPool')
    expect((err as DiagnosticsError).status).toBe(400)
    expect((err as DiagnosticsError).code).toBe('NotInPool')
  })

  it('refuses answers it does not understand, naming the field', async () => {
    routes['203.0.113.251'] = (res) => {
      res.writeHead(200, {'content-type': 'application/json'})
      res.end(JSON.stringify({node: 'node-b', results: [{interface: 'eth0', answers: [{mac: 'not-a-mac'}]}]}))
    }
    await expect(diagnosticsClient().probe(ep, '203.0.113.251')).rejects.toThrow('results[0].answers[0].mac is not a MAC address')
  })

  it('gives up after the timeout', async () => {
    routes['203.0.113.252'] = () => undefined
    await expect(diagnosticsClient({timeoutMs: 100}).probe(ep, '203.0.113.252')).rejects.toThrow('did not answer within 100 ms')
  })

  it('says when nothing listens', async () => {
    await expect(diagnosticsClient().probe({node: 'node-z', url: 'https://127.0.0.1:1'}, '203.0.113.1')).rejects.toThrow('cannot reach the speaker on node-z (https://127.0.0.1:1): ECONNREFUSED')
  })
})
