import {execFileSync} from 'node:child_process'
import {mkdtempSync, readFileSync, symlinkSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {ROOT, runBin} from '../helpers.js'

const version = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version

describe('lbctl as a program', () => {
  it('--version prints name/version/platform', async () => {
    const r = await runBin(['--version'])
    expect(r.code).toBe(0)
    expect(r.stdout).toMatch(new RegExp(`^lbctl/${version.replace(/\./g, '\\.')} linux-\\w+ node-v\\d+`))
  })

  it('help lists the pool commands, with examples on each', async () => {
    const top = await runBin(['--help'])
    expect(top.code).toBe(0)
    expect(top.stdout).toContain('pool')
    const set = await runBin(['pool', 'set', '--help'])
    expect(set.stdout).toContain('EXAMPLES')
    expect(set.stdout).toContain('--kubeconfig')
    expect(set.stdout).toContain('--dry-run')
  })

  it('unknown commands are bad input (exit 2)', async () => {
    const r = await runBin(['pool', 'explode'])
    expect(r.code).toBe(2)
  })

  it('offers shell completion', async () => {
    const r = await runBin(['autocomplete', 'bash'])
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout).toMatch(/lbctl autocomplete/i)
  })

  it('works as a kubectl plugin (kubectl lbctl …)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lbctl-plugin-'))
    symlinkSync(join(ROOT, 'bin', 'kubectl-lbctl.js'), join(dir, 'kubectl-lbctl'))
    const out = execFileSync('kubectl', ['lbctl', '--version'], {env: {...process.env, PATH: `${dir}:${process.env.PATH}`}, encoding: 'utf8'})
    expect(out).toContain(`lbctl/${version}`)
    const help = execFileSync('kubectl', ['lbctl', 'pool', '--help'], {env: {...process.env, PATH: `${dir}:${process.env.PATH}`}, encoding: 'utf8'})
    expect(help).toContain('pool set')
  })

  it('no colour when NO_COLOR is set or output is not a terminal', async () => {
    const r = await runBin(['pool', 'set', 'nope'], {NO_COLOR: '1', FORCE_COLOR: '3'})
    // eslint-disable-next-line no-control-regex
    expect(r.stderr + r.stdout).not.toMatch(/\x1b\[/)
  })
})
