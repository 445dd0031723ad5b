import {describe, expect, it} from 'vitest'
import {daemonUsage, flag, parse, parseDaemonFlags, wantsHelp} from '../../../src/lib/daemon/flags.js'

const SPECS = {
  'node-name': flag<string | undefined>({help: 'this node', arg: 'NAME', parse: parse.string, default: undefined, env: ['LBCTL_NODE_NAME', 'METALLB_NODE_NAME']}),
  port: flag({help: 'a port', arg: 'N', parse: parse.port, default: 7472}),
  host: flag({help: 'bind', arg: 'ADDR', parse: parse.bindAddress, default: '0.0.0.0', env: ['METALLB_HOST']}),
  wait: flag({help: 'how long', arg: 'D', parse: parse.duration({bare: 's', minMs: 1000}), default: 15_000, defaultText: '15s'}),
  verbose: flag({help: 'more', parse: parse.bool, default: false}),
  mode: flag({help: 'mode', arg: 'M', parse: parse.oneOf(['l2', 'bgp'] as const), default: 'l2' as 'l2' | 'bgp'}),
  ident: flag({help: 'who', arg: 'ID', parse: parse.string, default: (env: NodeJS.ProcessEnv) => `${env.POD_NAME ?? 'x'}-1`}),
}

describe('daemon flags', () => {
  it('defaults, computed defaults, and both spellings of a value', () => {
    expect(parseDaemonFlags(SPECS, [], {})).toEqual({'node-name': undefined, port: 7472, host: '0.0.0.0', wait: 15_000, verbose: false, mode: 'l2', ident: 'x-1'})
    expect(parseDaemonFlags(SPECS, ['--port', '1', '--host=[::1]', '--wait=1m30s', '--mode', 'bgp'], {POD_NAME: 'p'}))
      .toMatchObject({port: 1, host: '::1', wait: 90_000, mode: 'bgp', ident: 'p-1'})
  })

  it('booleans: --x, --x=BOOL (Go\'s forms), --no-x', () => {
    for (const [argv, want] of [[['--verbose'], true], [['--verbose=false'], false], [['--verbose=T'], true], [['--verbose=0'], false], [['--no-verbose'], false]] as const) {
      expect(parseDaemonFlags(SPECS, [...argv], {}).verbose).toBe(want)
    }
  })

  it('environment variables in order when the flag is absent; the flag wins; empty counts as absent', () => {
    expect(parseDaemonFlags(SPECS, [], {METALLB_NODE_NAME: 'm', METALLB_HOST: '10.0.0.1'})).toMatchObject({'node-name': 'm', host: '10.0.0.1'})
    expect(parseDaemonFlags(SPECS, [], {LBCTL_NODE_NAME: 'l', METALLB_NODE_NAME: 'm'})['node-name']).toBe('l')
    expect(parseDaemonFlags(SPECS, [], {LBCTL_NODE_NAME: '', METALLB_NODE_NAME: 'm'})['node-name']).toBe('m')
    expect(parseDaemonFlags(SPECS, ['--node-name', 'f'], {LBCTL_NODE_NAME: 'l'})['node-name']).toBe('f')
  })

  it.each([
    [['--bogus'], 'INVALID_FLAG', 'unknown flag --bogus'],
    [['stray'], 'INVALID_FLAG', 'unexpected argument "stray": this daemon takes flags only'],
    [['--port'], 'INVALID_FLAG', '--port needs a value (N)'],
    [['--port', '70000'], 'INVALID_FLAG', '--port 70000 is not a port number'],
    [['--no-port'], 'INVALID_FLAG', 'unknown flag --no-port'],
    [['--verbose=maybe'], 'INVALID_FLAG', '--verbose=maybe is not a boolean'],
    [['--mode', 'ospf'], 'INVALID_FLAG', '--mode ospf is not one of l2, bgp'],
    [['--wait', '500ms'], 'DURATION_OUT_OF_RANGE', '--wait "500ms" is out of range: it must be at least 1s'],
    [['--host', ''], 'INVALID_FLAG', '--host "" is not an address to listen on'],
  ])('refuses %j with a bad-input error naming the flag', (argv, code, message) => {
    expect(() => parseDaemonFlags(SPECS, argv, {})).toThrow(expect.objectContaining({code, category: 'bad-input', message}))
  })

  it('a bad environment value names the variable', () => {
    expect(() => parseDaemonFlags({p: flag({help: '', arg: 'N', parse: parse.port, default: 1, env: ['P']})}, [], {P: 'x'})).toThrow('$P x is not a port number')
  })

  it('--help lists every flag with its default and variables', () => {
    expect(wantsHelp(['--port', '1', '-h'])).toBe(true)
    const u = daemonUsage('Usage: d', SPECS)
    expect(u).toContain('--node-name NAME')
    expect(u).toMatch(/--verbose\[=BOOL\] +more \(default false\)/)
    expect(u).toMatch(/--wait D +how long \(default 15s\)/)
    expect(u).toContain('(env $LBCTL_NODE_NAME, $METALLB_NODE_NAME)')
  })
})
