import chalk from 'chalk'
import {afterEach, describe, expect, it} from 'vitest'
import {configureColor} from '../../../src/lib/cli/output.js'
import {renderReport} from '../../../src/lib/doctor/render.js'
import type {DoctorReport} from '../../../src/lib/doctor/types.js'

const level = chalk.level
afterEach(() => {
  chalk.level = level
})

const report: DoctorReport = {
  version: 1, cluster: {server: 'https://198.18.0.10:6443', context: 'lab', namespace: 'metallb-system'}, implementation: 'lbctl',
  summary: {pass: 1, fail: 1, warn: 0, skip: 0}, ok: false,
  checks: [
    {id: 'pools.overlap', title: 'Pools do not overlap', status: 'pass', message: '1 pool, no overlap', evidence: []},
    {id: 'kube-proxy.strict-arp', title: 'kube-proxy mode and strict ARP', status: 'fail', message: 'IPVS without strict ARP', evidence: ['strictARP: false'], fix: 'lbctl prepare --ipvs --yes'},
  ],
  services: [],
}

describe('doctor tree', () => {
  it('marks checks with ✓ ✗ and shows evidence and fix of failures only', () => {
    chalk.level = 0
    expect(renderReport(report).split('\n')).toEqual([
      'Cluster lab (https://198.18.0.10:6443), load balancer in metallb-system: lbctl',
      '├─ ✓ Pools do not overlap: 1 pool, no overlap',
      '└─ ✗ kube-proxy mode and strict ARP: IPVS without strict ARP',
      '      strictARP: false',
      '      fix: lbctl prepare --ipvs --yes',
      '',
      '1 problem found: 1 failed, 0 warnings, 1 passed, 0 skipped',
    ])
  })

  it('colours on a terminal, never with NO_COLOR', () => {
    chalk.level = 1
    // eslint-disable-next-line no-control-regex
    expect(renderReport(report)).toMatch(/\x1b\[31m✗/)
    configureColor({isTTY: true} as NodeJS.WriteStream, {NO_COLOR: '1'})
    // eslint-disable-next-line no-control-regex
    expect(renderReport(report)).not.toMatch(/\x1b\[/)
  })
})
