// Where the kubelet stand-in puts a pod: taints against tolerations (with the DaemonSet controller's own), nodeSelector.
import {describe, expect, it} from 'vitest'
import {speakerDaemonSet} from '../../../src/lib/install/workloads.js'
import {daemonSetTolerations, fits, selects, type Taint, tolerates} from './scheduling.js'

const opts = {namespace: 'metallb-system', controllerImage: 'r/c:1', speakerImage: 'r/s:1', controllerReplicas: 1, logLevel: 'info'}
const node = (taints: Taint[], labels: Record<string, string> = {'kubernetes.io/os': 'linux'}, extra: object = {}) => ({metadata: {name: 'n3', labels}, spec: {taints, ...extra}})
const controlPlane: Taint = {key: 'node-role.kubernetes.io/control-plane', effect: 'NoSchedule'}

describe('the kubelet stand-in\'s scheduling', () => {
  it('matches tolerations to taints as v1.Toleration.ToleratesTaint does', () => {
    const t: Taint = {key: 'k', value: 'v', effect: 'NoSchedule'}
    expect(tolerates({key: 'k', operator: 'Equal', value: 'v', effect: 'NoSchedule'}, t)).toBe(true)
    expect(tolerates({key: 'k', value: 'v'}, t)).toBe(true) // default operator Equal, any effect
    expect(tolerates({key: 'k', operator: 'Equal', value: 'w'}, t)).toBe(false)
    expect(tolerates({key: 'k', operator: 'Exists'}, t)).toBe(true)
    expect(tolerates({key: 'k', operator: 'Exists', effect: 'NoExecute'}, t)).toBe(false)
    expect(tolerates({operator: 'Exists'}, t)).toBe(true) // empty key with Exists: everything
    expect(tolerates({value: 'v'}, t)).toBe(false) // empty key needs Exists
    expect(tolerates({key: 'other', operator: 'Exists'}, t)).toBe(false)
  })

  it('puts install\'s speaker on a control-plane node only because its DaemonSet tolerates the taint', () => {
    const spec = (speakerDaemonSet(opts) as any).spec.template.spec
    expect(fits(spec, node([controlPlane]), {daemon: true})).toEqual({ok: true})
    expect(fits({...spec, tolerations: undefined}, node([controlPlane]), {daemon: true}))
      .toEqual({ok: false, reason: 'node n3 has the taint node-role.kubernetes.io/control-plane:NoSchedule the pod does not tolerate'})
    expect(fits(spec, node([controlPlane], {'kubernetes.io/os': 'windows'}), {daemon: true}).reason).toBe('node n3 does not match the nodeSelector')
  })

  it('adds the DaemonSet controller\'s tolerations: not-ready and unreachable, the pressures, unschedulable, and network-unavailable with hostNetwork', () => {
    const keys = (spec: object) => daemonSetTolerations(spec).map((t) => `${t.key}:${t.effect}`)
    expect(keys({})).toEqual(['node.kubernetes.io/not-ready:NoExecute', 'node.kubernetes.io/unreachable:NoExecute', 'node.kubernetes.io/disk-pressure:NoSchedule',
      'node.kubernetes.io/memory-pressure:NoSchedule', 'node.kubernetes.io/pid-pressure:NoSchedule', 'node.kubernetes.io/unschedulable:NoSchedule'])
    expect(keys({hostNetwork: true})).toContain('node.kubernetes.io/network-unavailable:NoSchedule')
    const notReady = node([{key: 'node.kubernetes.io/not-ready', effect: 'NoExecute'}])
    expect(fits({}, notReady, {daemon: true}).ok).toBe(true)
    expect(fits({}, notReady, {daemon: false}).ok).toBe(false)
    expect(fits({}, node([], undefined, {unschedulable: true}), {daemon: true}).ok).toBe(true)
    expect(fits({}, node([], undefined, {unschedulable: true}), {daemon: false}).reason).toBe('node n3 is unschedulable')
  })

  it('keeps a running pod through a new NoSchedule taint, and evicts it for a NoExecute one it does not tolerate', () => {
    expect(fits({}, node([controlPlane]), {daemon: true, running: true}).ok).toBe(true)
    expect(fits({}, node([{key: 'maintenance', effect: 'NoExecute'}]), {daemon: true, running: true}).ok).toBe(false)
    expect(fits({tolerations: [{key: 'maintenance', operator: 'Exists'}]}, node([{key: 'maintenance', effect: 'NoExecute'}]), {daemon: true, running: true}).ok).toBe(true)
    expect(fits({}, node([{key: 'soft', effect: 'PreferNoSchedule'}]), {daemon: false}).ok).toBe(true)
  })

  it('honours nodeSelector', () => {
    expect(selects({'kubernetes.io/os': 'linux'}, {'kubernetes.io/os': 'linux', x: 'y'})).toBe(true)
    expect(selects({'kubernetes.io/os': 'linux'}, {})).toBe(false)
    expect(selects(undefined, undefined)).toBe(true)
  })
})
