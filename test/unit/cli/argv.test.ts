import {describe, expect, it} from 'vitest'
import {normalizeArgv} from '../../../src/lib/cli/argv.js'
import {toOclifError} from '../../../src/lib/cli/base.js'
import {closestCommands, distance} from '../../../src/lib/cli/not-found.js'
import {LbctlError} from '../../../src/lib/errors.js'

describe('normalizeArgv', () => {
  it.each([
    [['pool', 'list', '-h'], ['pool', 'list', '--help']],
    [['-h'], ['--help']],
    [['-n', 'metallb-system', 'pool', 'list'], ['pool', 'list', '-n', 'metallb-system']],
    [['--kubeconfig', '/k', '--context=c', '-nx', '--json', 'pool', 'show', 'a'], ['pool', 'show', 'a', '--kubeconfig', '/k', '--context=c', '-nx', '--json']],
    [['-o', 'yaml', 'pool', 'set', 'a', '10.0.0.0/24', '--', '-h'], ['pool', 'set', 'a', '10.0.0.0/24', '-o', 'yaml', '--', '-h']],
    // after the command, nothing moves; an argument after `--` is never touched
    [['pool', 'list', '-n', 'x'], ['pool', 'list', '-n', 'x']],
    // only flags: left where they are, for oclif to report
    [['-n', 'x'], ['-n', 'x']],
    // an unknown leading flag stops the scan (oclif reports it)
    [['--bogus', '-n', 'x', 'pool', 'list'], ['--bogus', '-n', 'x', 'pool', 'list']],
  ])('%j → %j', (input, output) => expect(normalizeArgv(input)).toEqual(output))
})

describe('the closest command', () => {
  const ids = ['pool list', 'pool show', 'pool set', 'pool add', 'pool remove', 'bgp probe', 'l2 probe', 'prepare']
  it('names the closest, or nothing when nothing is close', () => {
    expect(distance('kitten', 'sitting')).toBe(3)
    expect(closestCommands('pool lst', ids)).toEqual(['pool list'])
    expect(closestCommands('pool remvoe', ids)).toEqual(['pool remove'])
    expect(closestCommands('prepar', ids)).toEqual(['prepare'])
    expect(closestCommands('bgp prob', ids)).toEqual(['bgp probe'])
    expect(closestCommands('frobnicate the world', ids)).toEqual([])
  })
})

describe('hints', () => {
  it('a hint that repeats the message is not printed; one that adds something is', () => {
    const same = toOclifError(new LbctlError('no answer from 198.18.0.1: check the router\'s firewall', {code: 'X', category: 'problems', hint: 'Check the router\'s firewall.'}))
    expect(same.suggestions).toBeUndefined()
    const more = toOclifError(new LbctlError('no answer from 198.18.0.1', {code: 'X', category: 'problems', hint: 'Try `nc -vz 198.18.0.1 179`.'}))
    expect(more.suggestions).toEqual(['Try `nc -vz 198.18.0.1 179`.'])
  })
})
