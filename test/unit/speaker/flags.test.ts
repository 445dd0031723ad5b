// The speaker's flags: defaults, MetalLB's environment names, and clear refusals.
import {describe, expect, it} from 'vitest'
import {parseFlags} from '../../../src/speaker/flags.js'

describe('speaker flags', () => {
  it('defaults: ports 7472/7474/7946, metallb-system, the lbctl member selector', () => {
    expect(parseFlags(['--node-name', 'n1'], {})).toEqual({
      nodeName: 'n1', kubeconfig: undefined, context: undefined, namespace: 'metallb-system', lbClass: undefined,
      metricsBindAddress: '0.0.0.0', metricsPort: 7472, healthBindAddress: '0.0.0.0', healthPort: 7474,
      memberlistPort: 7946, memberlistBindAddress: undefined, memberlistKeyFile: undefined, memberlistPreviousKeyFile: undefined, memberlistKeyGraceMs: 180_000, memberlistTimers: {},
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
    expect(fail(['--node-name', 'n', '--memberlist-probe-interval', '30ms', '--memberlist-probe-timeout', '40ms']).message).toContain('must be shorter than the probe interval')
    expect(parseFlags(['--node-name', 'n', '--memberlist-probe-interval', '30ms', '--memberlist-probe-timeout', '12ms', '--memberlist-suspicion-mult', '3'], {}).memberlistTimers)
      .toEqual({probeIntervalMs: 30, probeTimeoutMs: 12, suspicionMult: 3})
  })
})

describe('speaker candidates', () => {
  it('Ready, Running speaker Pods with a node and an IP, one per node (the newest), not being deleted', async () => {
    const {speakerCandidates, parseMemberSelector} = await import('../../../src/speaker/candidates.js')
    const sel = parseMemberSelector('app=s')
    if (sel instanceof Error) throw sel
    const pod = (name: string, node: string, ip: string, o: {ready?: boolean; created?: string; labels?: Record<string, string>; deleting?: boolean} = {}) => ({
      apiVersion: 'v1', kind: 'Pod',
      metadata: {name, labels: o.labels ?? {app: 's'}, creationTimestamp: o.created ?? '2026-01-01T00:00:00Z', ...(o.deleting ? {deletionTimestamp: '2026-01-02T00:00:00Z'} : {})},
      spec: {nodeName: node}, status: {phase: 'Running', podIP: ip, conditions: [{type: 'Ready', status: o.ready === false ? 'False' : 'True'}]},
    })
    expect(speakerCandidates([
      pod('a', 'n2', '198.18.0.2'), pod('b', 'n1', '198.18.0.1'), pod('c', 'n3', '198.18.0.3', {ready: false}),
      pod('d', 'n4', '198.18.0.4', {labels: {app: 'other'}}), pod('e', 'n5', '198.18.0.5', {deleting: true}),
      pod('f', 'n1', '198.18.0.11', {created: '2026-01-03T00:00:00Z'}),
    ], sel)).toEqual([{node: 'n1', address: '198.18.0.11'}, {node: 'n2', address: '198.18.0.2'}])
    expect(parseMemberSelector('a in (b)')).toBeInstanceOf(Error)
  })
})
