import {describe, expect, it} from 'vitest'
import chalk from 'chalk'
import {configureColor, render, renderTable, toJson} from '../../../src/lib/cli/output.js'
import {errorJson, ExitCode, exitCodeOf, type ExitCodeValue, LbctlError, toLbctlError} from '../../../src/lib/cli/errors.js'
import {toOclifError} from '../../../src/lib/cli/base.js'
import {type ErrorCategory, LbctlError as CoreLbctlError, missing as coreMissing} from '../../../src/lib/errors.js'

describe('output', () => {
  it('renders aligned tables with upper-case headers; wide columns only with -o wide', () => {
    chalk.level = 0
    const rows = [{a: 'x', b: 10n}, {a: 'longer', b: 2n}]
    const cols = [{header: 'Name', get: (r: {a: string}) => r.a}, {header: 'Size', get: (r: {b: bigint}) => r.b, align: 'right' as const}, {header: 'Extra', get: () => 'w', wide: true}]
    expect(renderTable(rows, cols)).toBe('NAME    SIZE\nx         10\nlonger     2')
    expect(renderTable(rows, cols, true).split('\n')[0]).toBe('NAME    SIZE  EXTRA')
  })

  it('JSON keeps bigints exact: numbers when safe, strings beyond 2^53', () => {
    expect(JSON.parse(toJson({a: 5n, b: 2n ** 64n}))).toEqual({a: 5, b: '18446744073709551616'})
  })

  it('yaml and json formats', () => {
    expect(render('yaml', {a: 1n})).toBe('a: 1\n')
    expect(render('table', {}, {rows: [], columns: []})).toBe('No resources found.')
  })

  it('no colour with NO_COLOR or without a TTY', () => {
    chalk.level = 3
    configureColor({isTTY: true} as NodeJS.WriteStream, {NO_COLOR: '1'})
    expect(chalk.level).toBe(0)
    chalk.level = 3
    configureColor({isTTY: false} as NodeJS.WriteStream, {})
    expect(chalk.level).toBe(0)
    chalk.level = 3
    configureColor({isTTY: true} as NodeJS.WriteStream, {})
    expect(chalk.level).toBe(3)
  })
})

describe('errors', () => {
  it('carry a code, an exit code and a hint, and serialise for --json', () => {
    const e = new LbctlError('pool "x" overlaps', {code: 'POOL_OVERLAP', exitCode: ExitCode.BAD_INPUT, hint: 'pick others'})
    expect(e.category).toBe('bad-input')
    expect(errorJson(e)).toMatchObject({code: 'POOL_OVERLAP', exitCode: 2, message: 'pool "x" overlaps', hint: 'pick others'})
    const o = toOclifError(e)
    expect([o.oclif.exit, o.exitCode, o.message, o.suggestions]).toEqual([2, 2, 'pool "x" overlaps', ['pick others']])
  })

  it('unknown errors become INTERNAL (70); oclif usage errors become BAD_INPUT', () => {
    expect(exitCodeOf(toLbctlError(new Error('x')))).toBe(70)
    expect(exitCodeOf(toLbctlError(Object.assign(new Error('Unexpected argument'), {oclif: {exit: 2}})))).toBe(2)
  })

  it('every category has its documented exit code, and library errors are LbctlErrors to the CLI', () => {
    const cases: Array<[ErrorCategory, number]> = [['problems', 1], ['bad-input', 2], ['unreachable', 3], ['data-loss', 4], ['missing', 5], ['conflict', 6], ['bug', 70]]
    for (const [category, exit] of cases) {
      const lib = new CoreLbctlError('m', {code: 'C', category})
      expect(exitCodeOf(lib)).toBe(exit)
      expect(lib).toBeInstanceOf(LbctlError)
      expect(new LbctlError('m', {code: 'C', exitCode: exit as ExitCodeValue}).category).toBe(category)
    }
    expect(coreMissing('X', 'm')).toBeInstanceOf(LbctlError)
    expect(new Error('m')).not.toBeInstanceOf(LbctlError)
  })
})

describe('the CLI adds its flags to library hints', () => {
  it('library hints name no CLI flag; the CLI\'s do', () => {
    const lib = new CoreLbctlError('x', {code: 'ADDRESSES_IN_USE', category: 'data-loss', hint: 'Move or delete those services first, or force it (they lose their addresses).'})
    expect(toLbctlError(lib).hint).toBe('Move or delete those services first, or pass --force to do it anyway (they lose their addresses).')
    const down = new CoreLbctlError('x', {code: 'UNREACHABLE', category: 'unreachable', hint: 'Check that the cluster is up (`kubectl --context prod cluster-info`), or choose another cluster.'})
    expect(toLbctlError(down).hint).toBe('Check that the cluster is up (`kubectl --context prod cluster-info`), or choose another with --kubeconfig/--context.')
    const juju = new CoreLbctlError('x', {code: 'JUJU_FAILED', category: 'unreachable', hint: 'Check that juju can reach the controller (`juju status`).'})
    expect(toLbctlError(juju).hint).toBe('Check that juju can reach the controller (`juju status`, `--juju-model`).')
    expect(toLbctlError(coreMissing('OTHER', 'm', 'h')).hint).toBe('h')
  })
})
