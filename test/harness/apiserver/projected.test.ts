import {lstatSync, readFileSync, readlinkSync} from 'node:fs'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {projectServiceAccountToken} from './projected.js'
import {harness, raw, waitFor, type Harness} from './test-helpers.js'

let h: Harness
beforeAll(async () => {
  h = await harness()
  await h.core.createNamespacedServiceAccount({namespace: 'default', body: {metadata: {name: 'speaker'}}})
})
afterAll(async () => h.close())

const whoami = async (token: string) => {
  const r = await raw(h.server, 'POST', '/apis/authentication.k8s.io/v1/selfsubjectreviews', {}, {Authorization: `Bearer ${token}`})
  return r.status === 201 ? r.body.status.userInfo.username : r.status
}

describe('projected service-account token (the kubelet stand-in)', () => {
  it('writes token, ca.crt and namespace through an atomically swapped ..data directory', () => {
    const p = projectServiceAccountToken(h.server, join(h.dir, 'sa1'), {namespace: 'default', serviceAccount: 'speaker', ca: 'PEM'})
    try {
      expect(readlinkSync(join(p.dir, 'token'))).toBe('..data/token')
      expect(lstatSync(join(p.dir, '..data')).isSymbolicLink()).toBe(true)
      expect(readFileSync(join(p.dir, 'token'), 'utf8')).toBe(p.token)
      expect(readFileSync(join(p.dir, 'namespace'), 'utf8')).toBe('default')
      expect(readFileSync(join(p.dir, 'ca.crt'), 'utf8')).toBe('PEM')
    } finally {
      p.stop()
    }
  })

  it('rotates at 80% of the lifetime; the old token works until it expires', async () => {
    const p = projectServiceAccountToken(h.server, join(h.dir, 'sa2'), {namespace: 'default', serviceAccount: 'speaker', expirationSeconds: 1000})
    try {
      const first = p.token
      expect(await whoami(first)).toBe('system:serviceaccount:default:speaker')
      h.server.advanceClock(790_000)
      expect(p.rotateIfDue()).toBe(false)
      h.server.advanceClock(10_000)
      await waitFor(() => p.writes === 2, 5000, 'the rotation at 80%')
      const second = p.token
      expect(second).not.toBe(first)
      expect(readFileSync(join(p.dir, 'token'), 'utf8')).toBe(second)
      expect(await whoami(first)).toBe('system:serviceaccount:default:speaker')
      h.server.advanceClock(200_000)
      expect(await whoami(first)).toBe(401)
      expect(await whoami(second)).toBe('system:serviceaccount:default:speaker')
    } finally {
      p.stop()
    }
  })

  it('rotates a long-lived token after 24 hours', () => {
    const p = projectServiceAccountToken(h.server, join(h.dir, 'sa3'), {namespace: 'default', serviceAccount: 'speaker', expirationSeconds: 7 * 24 * 3600, checkIntervalMs: 3_600_000})
    try {
      h.server.advanceClock(23 * 3600 * 1000)
      expect(p.rotateIfDue()).toBe(false)
      h.server.advanceClock(3600 * 1000)
      expect(p.rotateIfDue()).toBe(true)
      expect(p.writes).toBe(2)
    } finally {
      p.stop()
    }
  })
})
