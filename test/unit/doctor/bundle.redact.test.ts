import {describe, expect, it} from 'vitest'
import {redactDeep, redactObject, redactText} from '../../../src/lib/doctor/bundle.js'

describe('bundle redaction', () => {
  it('keeps Secret keys and drops their values', () => {
    const redacted: string[] = []
    const out = redactObject({apiVersion: 'v1', kind: 'Secret', metadata: {name: 'memberlist', namespace: 'metallb-system'}, data: {secretkey: 'c2VjcmV0'}, stringData: {previoussecretkey: 'old'}}, redacted)
    expect(out.data).toEqual({secretkey: '<redacted>'})
    expect(out.stringData).toEqual({previoussecretkey: '<redacted>'})
    expect(redacted).toEqual(['Secret/metallb-system/memberlist: data', 'Secret/metallb-system/memberlist: stringData'])
  })

  it('drops BGPPeer passwords and password lines of ConfigMaps, leaving the rest', () => {
    const redacted: string[] = []
    const peer = redactObject({kind: 'BGPPeer', metadata: {name: 'tor', namespace: 'm'}, spec: {myASN: 1, password: 'p4ss'}}, redacted)
    expect(peer.spec).toEqual({myASN: 1, password: '<redacted>'})
    const cm = redactObject({kind: 'ConfigMap', metadata: {name: 'config', namespace: 'm'}, data: {config: 'peers:\n- peer-asn: 64513\n  password: "p4ss word"\n'}}, redacted)
    expect(cm.data.config).toBe('peers:\n- peer-asn: 64513\n  password: <redacted>\n')
    expect(redacted).toEqual(['BGPPeer/m/tor: spec.password', 'ConfigMap/m/config: data.config (password lines)'])
  })

  it('redacts password-like lines in logs, case-insensitively, and nothing else', () => {
    expect(redactText('level=info msg=up\nBGP_PASSWORD=hunter2\nsecretKey: abc\ntoken = xyz\n')).toBe('level=info msg=up\nBGP_PASSWORD=<redacted>\nsecretKey: <redacted>\ntoken = <redacted>\n')
  })

  it('redacts password-like keys anywhere in diagnostics JSON', () => {
    expect(redactDeep({node: 'a', sessions: [{peer: 'tor', password: 'x', auth: {tokenValue: 'y'}, prefixes: 2}]})).toEqual({node: 'a', sessions: [{peer: 'tor', password: '<redacted>', auth: {tokenValue: '<redacted>'}, prefixes: 2}]})
  })
})
