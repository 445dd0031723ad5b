// Which invocations take the short way (src/cli/main.ts): lbctl's own commands, plainly named, without help. Anything
// else goes through oclif's full Config (plugins, hooks), as before.
import {describe, expect, it} from 'vitest'
import {normalizeArgv, ownCommand} from '../../../src/cli/main.js'

describe('ownCommand', () => {
  it.each([
    [['pool', 'list'], 'pool:list'],
    [['pool', 'list', '-o', 'json'], 'pool:list'],
    [['pool', 'set', '192.168.1.88-192.168.1.89', '--dry-run'], 'pool:set'],
    [['doctor', '-A'], 'doctor'],
    [['pool', 'list', '--', '--help'], 'pool:list'],
    [normalizeArgv(['-n', 'x', 'pool', 'list']), 'pool:list'],
  ])('%j runs %s', (argv, id) => {
    expect(ownCommand(argv)).toBe(id)
  })

  it.each([
    [[]], [['pool']], [['pool', 'lst']], [['pool', 'list', '--help']], [normalizeArgv(['pool', 'list', '-h'])],
    [['help', 'pool', 'list']], [['autocomplete', 'bash']], [['--version']], [['-n', 'x', 'pool', 'list']],
  ])('%j is left to oclif', (argv) => {
    expect(ownCommand(argv)).toBeUndefined()
  })
})
