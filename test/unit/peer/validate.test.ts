import {describe, expect, it} from 'vitest'
import {parseAsn, peerManifests, validatePeer} from '../../../src/lib/peer/validate.js'

const ok = {address: '198.18.0.1', asn: '64500', myAsn: '64512'}

describe('peer validation', () => {
  it.each([
    ['1', 1], ['4294967294', 4294967294], ['65000.1', 65000 * 65536 + 1],
  ])('ASN %s → %i', (s, n) => expect(parseAsn('--peer-asn', s)).toBe(n))

  it.each(['0', '4294967295', '4294967296', '-1', '23456', 'AS64500', '1.65536', ''])('refuses ASN %j', (s) => {
    expect(() => parseAsn('--peer-asn', s)).toThrow(expect.objectContaining({code: 'BAD_ASN'}))
  })

  it.each([
    [{address: '198.18.0.256'}, 'BAD_PEER_ADDRESS'],
    [{holdTime: '2s'}, 'BAD_HOLD_TIME'],
    [{holdTime: '70000s'}, 'BAD_HOLD_TIME'],
    [{holdTime: '1.5s'}, 'BAD_DURATION'],
    [{holdTime: '9s', keepaliveTime: '9s'}, 'BAD_KEEPALIVE_TIME'],
    [{port: '0'}, 'BAD_PORT'],
    [{sourceAddress: '2001:db8::1'}, 'BAD_SOURCE_ADDRESS'],
    [{password: ''}, 'EMPTY_PASSWORD'],
    [{password: 'x'.repeat(81)}, 'PASSWORD_TOO_LONG'],
    [{name: 'Router_1'}, 'BAD_PEER_NAME'],
  ])('%j → %s', (over, code) => {
    expect(() => validatePeer({...ok, ...over})).toThrow(expect.objectContaining({code}))
  })

  it('normalises and accepts hold time 0 (no keepalives) and 3 s', () => {
    expect(validatePeer({...ok, address: '2001:DB8::0:1', holdTime: '0'})).toMatchObject({address: '2001:db8::1', name: 'peer-2001-db8-1', holdTime: '0s'})
    expect(validatePeer({...ok, holdTime: '3s', keepaliveTime: '1s'})).toMatchObject({holdTime: '3s', keepaliveTime: '1s'})
  })

  it('puts the password in a basic-auth Secret the peer refers to, not in the peer', () => {
    const m = peerManifests(validatePeer({...ok, password: 'pw\n'}), 'lb', {})
    expect(JSON.stringify(m.peer)).not.toContain('cHc=')
    expect(m.peer.spec!.passwordSecret).toEqual({name: 'peer-198-18-0-1-bgp-password', namespace: 'lb'})
    expect(m.secret).toMatchObject({type: 'kubernetes.io/basic-auth', data: {password: Buffer.from('pw').toString('base64')}})
  })
})
