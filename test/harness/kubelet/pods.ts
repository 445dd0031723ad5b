// What the kubelet stand-in makes of a workload's pod template, without I/O: the template's hash (how a rollout tells
// old pods from new), the Pod object, the container's environment (fieldRef resolved as the kubelet resolves it) and
// the `podman run` arguments that give the container what the pod spec asks for.
import {createHash} from 'node:crypto'

/** A pod as the stand-in places it: which node, which network namespace, which address. */
export interface Placement {
  namespace: string
  name: string
  nodeName: string
  /** The node's address (status.hostIP). */
  hostIP: string
  /** The pod's address: the node's with hostNetwork, else the pod network slot's. */
  podIP: string
  /** The network namespace the container joins (/run/netns/NAME). */
  netns: string
}

export interface Mounts {
  /** Host directory holding token, ca.crt, namespace (mounted read-only at SA_MOUNT), unless automount is off. */
  serviceAccount?: string
  /** Volume name → host directory (Secret volumes, written by the stand-in). */
  volumes: Record<string, string>
}

export const SA_MOUNT = '/var/run/secrets/kubernetes.io/serviceaccount'

/** Stable JSON (sorted keys), so equal templates hash equally. */
const stable = (v: unknown): string =>
  Array.isArray(v) ? `[${v.map(stable).join(',')}]`
    : v && typeof v === 'object' ? `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stable((v as Record<string, unknown>)[k])}`).join(',')}}`
      : JSON.stringify(v)

/** A short hash of the pod template (the role of pod-template-hash / controller-revision-hash). */
export const templateHash = (template: unknown): string => createHash('sha256').update(stable(template ?? {})).digest('hex').slice(0, 10)

/** The Pod object the stand-in creates for a workload's pod, before its status is known. */
export function podObject(owner: {kind: string; name: string; uid: string}, template: any, p: Placement, hash: string): any {
  const hashLabel = owner.kind === 'DaemonSet' ? 'controller-revision-hash' : 'pod-template-hash'
  return {
    apiVersion: 'v1', kind: 'Pod',
    metadata: {
      name: p.name, namespace: p.namespace,
      labels: {...(template?.metadata?.labels ?? {}), [hashLabel]: hash},
      annotations: {...(template?.metadata?.annotations ?? {})},
      ownerReferences: [{apiVersion: 'apps/v1', kind: owner.kind, name: owner.name, uid: owner.uid, controller: true, blockOwnerDeletion: true}],
    },
    spec: {...structuredClone(template?.spec ?? {}), nodeName: p.nodeName, serviceAccountName: template?.spec?.serviceAccountName ?? 'default'},
    status: {phase: 'Pending', hostIP: p.hostIP, podIP: p.podIP, podIPs: [{ip: p.podIP}], conditions: [{type: 'Ready', status: 'False'}]},
  }
}

/** The value of a downward-API fieldRef, or an error naming the field (the kubelet refuses to start the container). */
export function fieldValue(pod: any, fieldPath: string): string {
  switch (fieldPath) {
    case 'metadata.name': return pod.metadata.name
    case 'metadata.namespace': return pod.metadata.namespace
    case 'metadata.uid': return pod.metadata.uid ?? ''
    case 'spec.nodeName': return pod.spec.nodeName
    case 'spec.serviceAccountName': return pod.spec.serviceAccountName ?? 'default'
    case 'status.podIP': return pod.status?.podIP ?? ''
    case 'status.hostIP': return pod.status?.hostIP ?? ''
  }
  const label = /^metadata\.labels\['(.+)'\]$/.exec(fieldPath)
  if (label) return pod.metadata.labels?.[label[1]] ?? ''
  throw new Error(`fieldRef ${fieldPath} is not supported by the kubelet stand-in (test/harness/kubelet/pods.ts)`)
}

/**
 * The container's environment: KUBERNETES_SERVICE_HOST/PORT (the API server as pods see it), then the container's env
 * in order, `value` or `valueFrom.fieldRef` (secretKeyRef and configMapKeyRef are not needed by lbctl and refused).
 */
export function containerEnv(container: any, pod: any, api: {host: string; port: number}): Record<string, string> {
  const env: Record<string, string> = {KUBERNETES_SERVICE_HOST: api.host, KUBERNETES_SERVICE_PORT: String(api.port), KUBERNETES_SERVICE_PORT_HTTPS: String(api.port)}
  for (const e of container.env ?? []) {
    if (e.valueFrom?.fieldRef) env[e.name] = fieldValue(pod, e.valueFrom.fieldRef.fieldPath)
    else if (e.valueFrom) throw new Error(`env ${e.name}: only value and valueFrom.fieldRef are supported by the kubelet stand-in`)
    else env[e.name] = (e.value ?? '').replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m: string, k: string) => env[k] ?? m)
  }
  return env
}

/** The user the container runs as: the container's securityContext, then the pod's, else the image's (undefined). */
export function runAs(container: any, podSpec: any): string | undefined {
  const c = container.securityContext ?? {}
  const p = podSpec.securityContext ?? {}
  const uid = c.runAsUser ?? p.runAsUser
  const gid = c.runAsGroup ?? p.runAsGroup
  if (uid === undefined) return gid === undefined ? undefined : `0:${gid}`
  return gid === undefined ? String(uid) : `${uid}:${gid}`
}

/** `podman run` arguments (after `run`) for a pod's container: detached, named, labelled, in the pod's network. */
export function podmanRunArgs(o: {containerName: string; labels: Record<string, string>; container: any; pod: any; placement: Placement; env: Record<string, string>; mounts: Mounts; runFlags: string[]}): string[] {
  const c = o.container
  const sc = c.securityContext ?? {}
  const args = ['-d', '--name', o.containerName, '--pull', 'never', ...o.runFlags,
    ...Object.entries(o.labels).flatMap(([k, v]) => ['--label', `${k}=${v}`]),
    '--network', `ns:/run/netns/${o.placement.netns}`, '--hostname', o.pod.spec.hostNetwork ? o.placement.nodeName : o.pod.metadata.name]
  const user = runAs(c, o.pod.spec)
  // The kubelet's check (CreateContainerConfigError); an image's own USER is not known here, so only an explicit 0.
  if ((sc.runAsNonRoot ?? o.pod.spec.securityContext?.runAsNonRoot) && user?.split(':')[0] === '0')
    throw new Error('container\'s runAsUser breaks non-root policy (runAsNonRoot with runAsUser 0)')
  if (user !== undefined) args.push('--user', user)
  // Kubernetes mounts no tmpfs on a read-only root; podman would add /tmp, /run and /var/tmp unless told not to.
  if (sc.readOnlyRootFilesystem) args.push('--read-only', '--read-only-tmpfs=false')
  if (sc.allowPrivilegeEscalation === false) args.push('--security-opt', 'no-new-privileges')
  if (sc.privileged) args.push('--privileged')
  for (const cap of sc.capabilities?.drop ?? []) args.push('--cap-drop', String(cap))
  for (const cap of sc.capabilities?.add ?? []) args.push('--cap-add', String(cap))
  for (const [k, v] of Object.entries(o.env)) args.push('--env', `${k}=${v}`)
  if (o.mounts.serviceAccount) args.push('--volume', `${o.mounts.serviceAccount}:${SA_MOUNT}:ro`)
  for (const m of c.volumeMounts ?? []) {
    const dir = o.mounts.volumes[m.name]
    if (!dir) throw new Error(`volumeMount ${m.name}: no such volume (or a kind of volume the kubelet stand-in does not support)`)
    args.push('--volume', `${dir}:${m.mountPath}${m.readOnly ? ':ro' : ''}`)
  }
  if (c.workingDir) args.push('--workdir', c.workingDir)
  // command replaces the image's ENTRYPOINT (and so its CMD), args replace CMD: Kubernetes' rules.
  if (c.command?.length) args.push('--entrypoint', JSON.stringify(c.command))
  args.push(c.image, ...(c.args ?? []))
  return args
}

/** Whether a node's labels satisfy a pod spec's nodeSelector. */
export const selects = (nodeSelector: Record<string, string> | undefined, labels: Record<string, string> | undefined): boolean =>
  Object.entries(nodeSelector ?? {}).every(([k, v]) => labels?.[k] === v)

/** The port a probe names (a number, or a container port's name). */
export function probePort(container: any, port: number | string): number | undefined {
  if (typeof port === 'number') return port
  if (/^\d+$/.test(port)) return Number(port)
  return (container.ports ?? []).find((p: any) => p.name === port)?.containerPort
}
