import {mkdirSync} from 'node:fs'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {parse} from 'yaml'
import type {PrepareResult} from '../../../src/lib/cluster/types.js'
import {runBin, runInProcess} from '../helpers.js'
import {charmedNodes} from '../../unit/cluster/fixtures.js'
import {fakeJuju, startTestCluster, type TestCluster} from './setup.js'

const CP = 'kubernetes-control-plane'
const WORKER = 'kubernetes-worker'
const WORKER_EXTRA = '{conntrack: {maxPerCore: 0}, ipvs: {scheduler: lc}}'

describe('lbctl prepare --ipvs on Charmed Kubernetes (juju on PATH)', () => {
  let c: TestCluster
  let juju: ReturnType<typeof fakeJuju>
  beforeEach(async () => {
    c = await startTestCluster(charmedNodes())
    juju = fakeJuju(c.dir, {[`k8s/${CP}`]: {'proxy-extra-config': '{}'}, [`k8s/${WORKER}`]: {'proxy-extra-config': WORKER_EXTRA}})
  })
  afterEach(() => c.close())
  const lbctl = (args: string[]) => runBin(['prepare', ...args, '--juju-model', 'k8s', '--json', '--kubeconfig', c.kubeconfig], {PATH: juju.path})
  const sets = () => juju.calls().filter((a) => a.some((x) => x.startsWith('proxy-extra-config=')))

  it('reads both applications, merges keeping existing keys, sets both, verifies; a second run changes nothing', async () => {
    const r = await lbctl(['--ipvs', '--yes'])
    expect(r.code, r.stderr).toBe(0)
    const res = r.json as PrepareResult
    expect(res).toMatchObject({distribution: 'charmed-kubernetes', action: 'changed', ready: true, verified: true})
    expect(juju.calls().filter((a) => a[4].startsWith('proxy-extra-config')).slice(0, 4)).toEqual([
      ['config', '-m', 'k8s', CP, 'proxy-extra-config'],
      ['config', '-m', 'k8s', WORKER, 'proxy-extra-config'],
      ['config', '-m', 'k8s', CP, 'proxy-extra-config={mode: ipvs, ipvs: {strictARP: true}}'],
      ['config', '-m', 'k8s', WORKER, 'proxy-extra-config={conntrack: {maxPerCore: 0}, ipvs: {scheduler: lc, strictARP: true}, mode: ipvs}'],
    ])
    const state = juju.state()
    expect(state[`k8s/${CP}`]['proxy-extra-config']).toBe('{mode: ipvs, ipvs: {strictARP: true}}')
    expect(parse(state[`k8s/${WORKER}`]['proxy-extra-config'])).toEqual({conntrack: {maxPerCore: 0}, ipvs: {scheduler: 'lc', strictARP: true}, mode: 'ipvs'})
    expect(res.diff).toContain(`-${WORKER}: ${WORKER_EXTRA}`)
    expect(res.warnings.join('\n')).toMatch(/juju status.*reboot the machines/)

    const again = await lbctl(['--ipvs', '--yes'])
    expect(again.code, again.stderr).toBe(0)
    expect(again.json).toMatchObject({action: 'unchanged', ready: true})
    expect(sets()).toHaveLength(2)
  })

  it('warns about proxy-mode in proxy-extra-args, which kube-proxy ignores next to the charm\'s --config', async () => {
    juju = fakeJuju(c.dir, {
      [`k8s/${CP}`]: {'proxy-extra-config': '{}', 'proxy-extra-args': 'v=2 proxy-mode=userspace'},
      [`k8s/${WORKER}`]: {'proxy-extra-config': WORKER_EXTRA, 'proxy-extra-args': ''},
    })
    const r = await lbctl(['--ipvs', '--dry-run'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.json.warnings.filter((w: string) => w.includes('proxy-extra-args'))).toEqual([
      `${CP}'s proxy-extra-args has proxy-mode=userspace, which kube-proxy ignores because the charm starts it with --config (proxy-extra-config decides); remove it so nobody is misled: juju config -m k8s ${CP} proxy-extra-args=v=2`,
    ])
    expect(juju.state()[`k8s/${CP}`]['proxy-extra-args']).toBe('v=2 proxy-mode=userspace')
  })

  it('--check reads through juju: not ready (exit 1) and sets nothing; --dry-run sets nothing', async () => {
    const check = await lbctl(['--check'])
    expect(check.code).toBe(1)
    expect(check.json.error.code).toBe('KUBE_PROXY_NOT_READY')
    expect(check.json.error.message).toContain('from juju config')
    const dry = await lbctl(['--ipvs', '--dry-run'])
    expect(dry.code, dry.stderr).toBe(0)
    expect(dry.json.action).toBe('would-change')
    expect(dry.json.juju.commands).toEqual([
      `juju config -m k8s ${CP} proxy-extra-config='{mode: ipvs, ipvs: {strictARP: true}}'`,
      `juju config -m k8s ${WORKER} proxy-extra-config='{conntrack: {maxPerCore: 0}, ipvs: {scheduler: lc, strictARP: true}, mode: ipvs}'`,
    ])
    expect(sets()).toEqual([])
  })

  it('a failing juju is reported with its stderr (exit 3); a failed read sets nothing', async () => {
    juju = fakeJuju(c.dir, {[`k8s/${CP}`]: {'proxy-extra-config': '{}'}})
    const r = await lbctl(['--ipvs', '--yes'])
    expect(r.code).toBe(3)
    expect(r.json.error.code).toBe('JUJU_FAILED')
    expect(r.json.error.message).toContain(`\`juju config -m k8s ${WORKER} proxy-extra-config\` exited with 1: ERROR application "${WORKER}" not found (not found)`)
    expect(sets()).toEqual([])
  })

  it('a set that fails half-way says which application was already set and what is left', async () => {
    juju = fakeJuju(c.dir, {[`k8s/${CP}`]: {'proxy-extra-config': '{}'}, [`k8s/${WORKER}`]: {'proxy-extra-config': WORKER_EXTRA}},
      {fail: {match: `${WORKER} proxy-extra-config=`, stderr: 'ERROR permission denied (unauthorized access)'}})
    const r = await lbctl(['--ipvs', '--yes'])
    expect(r.code).toBe(3)
    expect(r.json.error.message).toContain('ERROR permission denied (unauthorized access)')
    expect(r.json.error.message).toContain(`(${CP} was already set)`)
    expect(r.json.error.hint).toContain(`juju config -m k8s ${WORKER} proxy-extra-config=`)
  })

  it('in process too (juju found on this process\'s PATH)', async () => {
    const saved = process.env.PATH
    process.env.PATH = juju.path
    try {
      const r = await runInProcess(['prepare', '--ipvs', '--yes', '--no-strict-arp', '--juju-model', 'k8s', '--json', '--kubeconfig', c.kubeconfig])
      expect(r.code, r.stderr).toBe(0)
      expect(r.json).toMatchObject({action: 'changed', wanted: {strictARP: 'unchanged'}})
      expect(juju.state()[`k8s/${CP}`]['proxy-extra-config']).toBe('{mode: ipvs}')
    } finally {
      process.env.PATH = saved
    }
  })
})

describe('lbctl prepare --ipvs on Charmed Kubernetes without the juju CLI', () => {
  it('prints the exact commands (the seed\'s value) and changes nothing', async () => {
    const c = await startTestCluster(charmedNodes())
    try {
      const empty = join(c.dir, 'empty-path')
      mkdirSync(empty)
      const r = await runBin(['prepare', '--ipvs', '--kubeconfig', c.kubeconfig], {PATH: empty})
      expect(r.code, r.stderr).toBe(0)
      expect(r.stdout).toContain(`juju config ${CP} proxy-extra-config\n`)
      expect(r.stdout).toContain(`juju config ${CP} proxy-extra-config='{mode: ipvs, ipvs: {strictARP: true}}'`)
      expect(r.stdout).toContain(`juju config ${WORKER} proxy-extra-config='{mode: ipvs, ipvs: {strictARP: true}}'`)
      expect(r.stdout).toMatch(/juju CLI is not on PATH/)
      const check = await runBin(['prepare', '--check', '--json', '--kubeconfig', c.kubeconfig], {PATH: empty})
      expect(check.code).toBe(1)
      expect(check.json.error.code).toBe('KUBE_PROXY_UNVERIFIED')
    } finally {
      await c.close()
    }
  })
})
