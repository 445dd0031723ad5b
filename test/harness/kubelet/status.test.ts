// The status the kubelet stand-in writes, from a container's state and a workload's pods.
import {describe, expect, it} from 'vitest'
import {daemonSetStatus, deploymentStatus, podStatus} from './status.js'

const placement = {hostIP: '198.18.44.1', podIP: '198.18.44.21'}
const container = {name: 'speaker', image: 'r/s:1'}

describe('the kubelet stand-in\'s status', () => {
  it('reports a running, ready container with its restarts and how the last one ended', () => {
    const s = podStatus(container, {placement, ready: true, restarts: 2, startedAt: Date.parse('2026-01-01T00:00:00Z'),
      lastTerminated: {exitCode: 137, reason: 'OOMKilled', finishedAt: '2026-01-01T00:00:00Z'}})
    expect(s).toMatchObject({phase: 'Running', hostIP: '198.18.44.1', podIP: '198.18.44.21', podIPs: [{ip: '198.18.44.21'}]})
    expect(s.conditions.filter((c: any) => c.status === 'True').map((c: any) => c.type)).toEqual(['Ready', 'ContainersReady', 'PodScheduled'])
    expect(s.containerStatuses).toEqual([{name: 'speaker', image: 'r/s:1', ready: true, restartCount: 2, started: true,
      state: {running: {startedAt: '2026-01-01T00:00:00.000Z'}}, lastState: {terminated: {exitCode: 137, reason: 'OOMKilled', finishedAt: '2026-01-01T00:00:00Z'}}}])
  })

  it('reports a container that cannot start as Pending, waiting with the kubelet\'s reason', () => {
    const s = podStatus(container, {placement, ready: false, restarts: 0, startedAt: 0, waiting: {reason: 'CreateContainerConfigError', message: 'couldn\'t find key k in Secret ns/s'}})
    expect(s.phase).toBe('Pending')
    expect(s.conditions.find((c: any) => c.type === 'Ready').status).toBe('False')
    expect(s.containerStatuses[0]).toMatchObject({ready: false, started: false, state: {waiting: {reason: 'CreateContainerConfigError', message: 'couldn\'t find key k in Secret ns/s'}}})
    expect(s.containerStatuses[0].lastState).toBeUndefined()
  })

  it('counts a DaemonSet\'s and a Deployment\'s pods', () => {
    expect(daemonSetStatus({desired: 2, pods: 3, ready: 1, updated: 2, generation: 4})).toEqual({currentNumberScheduled: 3, desiredNumberScheduled: 2, numberMisscheduled: 0,
      numberReady: 1, numberAvailable: 1, numberUnavailable: 1, updatedNumberScheduled: 2, observedGeneration: 4})
    expect(deploymentStatus({want: 1, pods: 2, ready: 1, updated: 1, generation: 3})).toMatchObject({replicas: 2, updatedReplicas: 1, readyReplicas: 1, unavailableReplicas: 0,
      observedGeneration: 3, conditions: [{type: 'Available', status: 'True'}]})
    expect(deploymentStatus({want: 2, pods: 1, ready: 0, updated: 1, generation: 1}).conditions[0].status).toBe('False')
  })
})
