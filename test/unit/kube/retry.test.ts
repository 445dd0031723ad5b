import {describe, expect, it} from 'vitest'
import {backoffDelay, withRetry} from '../../../src/lib/kube/retry.js'
import {isRetryable, toKubeError} from '../../../src/lib/kube/errors.js'
import {ApiException} from '@kubernetes/client-node'

const ctx = {verb: 'list' as const, resource: 'ipaddresspools.metallb.io', namespace: 'metallb-system', server: 'https://k:6443', context: 'prod'}

describe('withRetry', () => {
  it('retries retryable errors with growing delays, then succeeds', async () => {
    const delays: number[] = []
    let calls = 0
    const v = await withRetry(async () => {
      calls++
      if (calls < 3) throw new ApiException(503, 'x', '', {})
      return 'ok'
    }, {attempts: 5, baseMs: 100, maxMs: 10_000, random: () => 1, sleep: async (ms) => void delays.push(ms), retryable: isRetryable})
    expect(v).toBe('ok')
    expect(calls).toBe(3)
    expect(delays).toEqual([100, 200])
  })

  it('gives up after the last attempt and throws the last error', async () => {
    let calls = 0
    await expect(withRetry(async () => {
      calls++
      throw new ApiException(500, 'boom', '', {})
    }, {attempts: 3, baseMs: 1, maxMs: 1, sleep: async () => {}, retryable: isRetryable})).rejects.toMatchObject({code: 500})
    expect(calls).toBe(3)
  })

  it('does not retry answers such as 404 or 409', async () => {
    let calls = 0
    await expect(withRetry(async () => {
      calls++
      throw new ApiException(409, 'conflict', '', {})
    }, {attempts: 5, baseMs: 1, maxMs: 1, sleep: async () => {}, retryable: isRetryable})).rejects.toBeTruthy()
    expect(calls).toBe(1)
  })

  it('honours Retry-After on 429', async () => {
    const delays: number[] = []
    let calls = 0
    await withRetry(async () => {
      if (calls++ === 0) throw new ApiException(429, 'slow down', '', {'retry-after': '2'})
      return 1
    }, {attempts: 3, baseMs: 10, maxMs: 60_000, sleep: async (ms) => void delays.push(ms), retryable: isRetryable})
    expect(delays).toEqual([2000])
  })

  it('backoff is capped and jittered within [exp/2, exp]', () => {
    expect(backoffDelay(10, 100, 1000, () => 0)).toBe(500)
    expect(backoffDelay(10, 100, 1000, () => 1)).toBe(1000)
    expect(backoffDelay(0, 100, 1000, () => 0.5)).toBe(75)
  })
})

describe('toKubeError', () => {
  it('403 names the verb, the resource and the namespace', () => {
    const e = toKubeError(new ApiException(403, 'x', {message: 'ipaddresspools is forbidden'}, {}), ctx)
    expect(e.category).toBe('unreachable')
    expect(e.code).toBe('FORBIDDEN')
    expect(e.message).toContain('list ipaddresspools.metallb.io in namespace metallb-system')
    expect(e.hint).toContain('kubectl auth can-i list ipaddresspools.metallb.io -n metallb-system')
  })

  it('401 names the server and the context', () => {
    const e = toKubeError(new ApiException(401, 'x', '', {}), ctx)
    expect(e.code).toBe('UNAUTHORIZED')
    expect(e.message).toContain('https://k:6443')
    expect(e.hint).toContain('prod')
  })

  it('connection refused names the server and context', () => {
    const e = toKubeError(Object.assign(new Error('request to https://k:6443 failed, reason: connect ECONNREFUSED'), {code: 'ECONNREFUSED'}), ctx)
    expect(e.code).toBe('UNREACHABLE')
    expect(e.category).toBe('unreachable')
    expect(e.message).toMatch(/https:\/\/k:6443 \(context prod\): ECONNREFUSED/)
  })

  it('422 lists the fields the server refused', () => {
    const e = toKubeError(new ApiException(422, 'x', {message: 'invalid', details: {causes: [{field: 'spec.addresses', message: 'Required value'}]}}, {}), {...ctx, verb: 'apply', name: 'p'})
    expect(e.category).toBe('bad-input')
    expect(e.message).toContain('spec.addresses: Required value')
  })

  it('an unknown kind means the CRDs are missing', () => {
    const e = toKubeError(new Error('Unrecognized API version and kind: metallb.io/v1beta1 IPAddressPool'), ctx)
    expect(e.code).toBe('CRDS_MISSING')
    expect(e.category).toBe('missing')
  })

  it('classifies retryable errors', () => {
    expect(isRetryable(new ApiException(500, '', '', {}))).toBe(true)
    expect(isRetryable(new ApiException(404, '', '', {}))).toBe(false)
    expect(isRetryable(Object.assign(new Error('socket hang up'), {}))).toBe(true)
    expect(isRetryable(new Error('bad things'))).toBe(false)
  })
})
