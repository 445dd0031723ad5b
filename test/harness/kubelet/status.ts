// The status the stand-in writes (pure): a Pod's from its container's state, a workload's from its pods.

export interface PodState {
  placement: {hostIP: string; podIP: string}
  ready: boolean
  restarts: number
  startedAt: number
  waiting?: {reason: string; message: string}
  terminating?: boolean
  lastTerminated?: {exitCode: number; reason: string; finishedAt: string}
}

/** A Pod's status as the kubelet reports it: phase, conditions, the container's state, restartCount and lastState. */
export function podStatus(container: any, s: PodState): any {
  const running = !s.waiting && !s.terminating
  const ready = s.ready ? 'True' : 'False'
  return {
    phase: running ? 'Running' : 'Pending', hostIP: s.placement.hostIP, podIP: s.placement.podIP, podIPs: [{ip: s.placement.podIP}],
    conditions: [{type: 'Ready', status: ready}, {type: 'ContainersReady', status: ready}, {type: 'PodScheduled', status: 'True'}],
    containerStatuses: [{
      name: container.name, image: container.image, ready: s.ready, restartCount: s.restarts, started: running,
      state: running ? {running: {startedAt: new Date(s.startedAt).toISOString()}} : {waiting: s.waiting ?? {reason: 'ContainerCreating', message: ''}},
      ...(s.lastTerminated ? {lastState: {terminated: s.lastTerminated}} : {}),
    }],
  }
}

/** A DaemonSet's status: `desired` nodes, the pods there, how many are ready and run the current template. */
export function daemonSetStatus(o: {desired: number; pods: number; ready: number; updated: number; generation: number}): any {
  return {currentNumberScheduled: o.pods, desiredNumberScheduled: o.desired, numberMisscheduled: 0, numberReady: o.ready, numberAvailable: o.ready,
    numberUnavailable: Math.max(0, o.desired - o.ready), updatedNumberScheduled: o.updated, observedGeneration: o.generation}
}

/** A Deployment's status from its pods. */
export function deploymentStatus(o: {want: number; pods: number; ready: number; updated: number; generation: number}): any {
  return {replicas: o.pods, updatedReplicas: o.updated, readyReplicas: o.ready, availableReplicas: o.ready, unavailableReplicas: Math.max(0, o.want - o.ready),
    observedGeneration: o.generation, conditions: [{type: 'Available', status: o.ready >= Math.min(o.want, 1) ? 'True' : 'False', reason: 'MinimumReplicasAvailable'}]}
}
