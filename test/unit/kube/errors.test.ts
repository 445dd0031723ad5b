import {describe, expect, it} from 'vitest'
import {toKubeError, tlsFailure, type RequestContext} from '../../../src/lib/kube/errors.js'

const ctx: RequestContext = {verb: 'list', resource: 'services', server: 'https://10.96.0.1:443', context: 'in-cluster'}
/** How client-node (node-fetch) wraps a failed TLS handshake. */
const fetchError = (code: string, reason: string) =>
  Object.assign(new Error(`Failed to fetch resource metadata for v1/Service: request to https://10.96.0.1:443/api/v1 failed, reason: ${reason}`), {name: 'FetchError', code, errno: code})

describe('TLS failures', () => {
  it.each([
    ['UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'unable to verify the first certificate'],
    ['SELF_SIGNED_CERT_IN_CHAIN', 'self-signed certificate in certificate chain'],
    ['DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'],
    ['CERT_HAS_EXPIRED', 'certificate has expired'],
    ['ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames: IP: 10.96.0.1 is not in the cert's list: 127.0.0.1"],
    ['EPROTO', 'write EPROTO 40F8:error:0A00010B:SSL routines:ssl3_get_record:wrong version number'],
  ])('%s becomes TLS_FAILED, naming the server, with the reason and a hint', (code, reason) => {
    for (const err of [fetchError(code, reason), new Error('outer', {cause: Object.assign(new Error(reason), {code})})]) {
      const e = toKubeError(err, ctx)
      expect(e.message).toBe(`cannot verify the API server at https://10.96.0.1:443 (context in-cluster): TLS: ${reason} (${code})`)
      expect([e.code, e.category]).toEqual(['TLS_FAILED', 'unreachable'])
      expect(e.hint).toContain('openssl s_client -connect 10.96.0.1:443')
    }
  })

  it('leaves other failures alone', () => {
    expect(tlsFailure(Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:6443'), {code: 'ECONNREFUSED'}))).toBeUndefined()
    expect(tlsFailure(Object.assign(new Error('HTTP 401'), {statusCode: 401}))).toBeUndefined()
    expect(toKubeError(Object.assign(new Error('connect ECONNREFUSED'), {code: 'ECONNREFUSED'}), ctx).code).toBe('UNREACHABLE')
  })
})
