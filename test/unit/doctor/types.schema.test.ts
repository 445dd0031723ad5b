import {readFileSync} from 'node:fs'
import Ajv from 'ajv'
import {describe, expect, it} from 'vitest'
import {CHECK_IDS, STAGES} from '../../../src/lib/doctor/types.js'

const schema = JSON.parse(readFileSync(new URL('../../../schemas/doctor.schema.json', import.meta.url), 'utf8'))
const validate = new Ajv({allErrors: true}).compile(schema)

const report = (over: Record<string, unknown> = {}) => ({
  version: 1, cluster: {server: 'https://198.18.0.10:6443', context: 'lab', namespace: 'metallb-system'}, implementation: 'lbctl',
  summary: {pass: 1, fail: 0, warn: 0, skip: 0}, ok: true,
  checks: [{id: 'pools.overlap', title: 'Pools do not overlap', status: 'pass', message: '1 pool, no overlap', evidence: []}],
  services: [], ...over,
})

describe('schemas/doctor.schema.json', () => {
  it('lists exactly the check ids and stages the code has', () => {
    expect(schema.definitions.check.properties.id.enum).toEqual([...CHECK_IDS])
    expect(schema.definitions.service.properties.brokenAt.enum).toEqual([...STAGES])
  })

  it('accepts a report and refuses unknown ids, statuses and fields', () => {
    expect(validate(report())).toBe(true)
    expect(validate(report({checks: [{id: 'no.such', title: 't', status: 'pass', message: 'm', evidence: []}]}))).toBe(false)
    expect(validate(report({checks: [{id: 'pools.overlap', title: 't', status: 'ok', message: 'm', evidence: []}]}))).toBe(false)
    expect(validate(report({extra: 1}))).toBe(false)
    expect(validate(report({services: [{namespace: 'web', name: 'shop', addresses: [], brokenAt: 'nowhere', stages: []}]}))).toBe(false)
  })
})
