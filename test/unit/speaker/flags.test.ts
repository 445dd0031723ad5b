// The speaker's flags: defaults, MetalLB's environment names, and clear refusals.
import {describe, expect, it} from 'vitest'
import {parseFlags} from '../../../src/speaker/flags.js'

describe('speaker flags', () => {
  it('defaults: ports 7472/7474/7946, metallb-system, the lbctl member selector', () => {
    expect(parseFlags(['--node-name', 'n1'], {})).toEqual({
      nodeName: 'n1', kubeconfig: undefined, context: undefined, namespace: 'metallb-system', lbClass: undefined,
      metricsBindAddress: '0.0.0.0', metricsPort: 7472, healthBindAddress: '0.0.0.0', healthPort: 7474,
      memberlistPort: 7946, memberlistBindAddress: undefined, memberlistKeyFile: undefined, memberlistPreviousKeyFile: undefined,
      memberSelector: 'app.kubernetes.io/name=lbctl,app.kubernetes.io/component=speaker', arpOffload: 'auto', logLevel: 'info',
      diagnostics: true, diagnosticsBindAddress: '0.0.0.0', diagnosticsPort: 7473, diagnosticsCertFile: undefined, diagnosticsKeyFile: undefined,
    })
  })

  it('accepts MetalLB’s environment names; flags win over them', () => {
    const env = {METALLB_NODE_NAME: 'n2', METALLB_ML_BIND_ADDR: '198.18.0.2', METALLB_ML_LABELS: 'app=metallb,component=speaker', METALLB_ML_SECRET_KEY_PATH: '/etc/ml_secret_key', POD_NAMESPACE: 'lb'}
    expect(parseFlags([], env)).toMatchObject({nodeName: 'n2', memberlistBindAddress: '198.18.0.2', memberSelector: 'app=metallb,component=speaker',
      memberlistKeyFile: '/etc/ml_secret_key/secretkey', namespace: 'lb'})
    expect(parseFlags(['--node-name', 'x', '--memberlist-key-file', '/k'], env)).toMatchObject({nodeName: 'x', memberlistKeyFile: '/k'})
  })

  it('refuses what it cannot use, naming the flag and the fix', () => {
    const fail = (argv: string[], env = {}): {code?: string; message: string; hint?: string} => {
      try {
        parseFlags(argv, env)
      } catch (e) {
        return e as {code?: string; message: string; hint?: string}
      }
      throw new Error('accepted')
    }
    expect(fail([])).toMatchObject({code: 'INVALID_FLAG', message: 'the node name is missing'})
    expect(fail([]).hint).toContain('METALLB_NODE_NAME')
    expect(fail(['--node-name', 'n', '--metrics-port', '70000']).message).toBe('--metrics-port 70000 is not a port number')
    expect(fail(['--node-name', 'n', '--arp-offload', 'maybe']).message).toContain('--arp-offload maybe')
    expect(fail(['--node-name', 'n', '--member-selector', 'a in (b)']).message).toContain('--member-selector')
    expect(fail(['--node-name', 'n', '--bogus']).code).toBe('INVALID_FLAG')
    expect(fail(['--node-name', 'n', '--diagnostics-cert-file', '/c']).message).toContain('go together')
  })
})
