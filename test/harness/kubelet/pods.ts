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

/** A pod the kubelet cannot start as specified: the container waits with this reason (CreateContainerConfigError …). */
export class PodStartError extends Error {
  constructor(readonly reason: 'CreateContainerConfigError' | 'ContainerCreating' | 'CreateContainerError', message: string) {
    super(message)
  }
}

/** Stable JSON (sorted keys), so equal templates hash equally. */
export const stable = (v: unknown): string =>
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
  throw new PodStartError('CreateContainerConfigError', `fieldRef ${fieldPath} is not supported by the kubelet stand-in (test/harness/kubelet/pods.ts)`)
}

/** Where `secretKeyRef` / `configMapKeyRef` are resolved from (the stand-in's watched caches of the pod's namespace). */
export interface EnvSources {
  secret(name: string): {data?: Record<string, string>} | undefined
  configMap(name: string): {data?: Record<string, string>} | undefined
}

const NO_SOURCES: EnvSources = {secret: () => undefined, configMap: () => undefined}

/** The value of a secretKeyRef / configMapKeyRef, undefined for an optional one that is missing, else the kubelet's error. */
function keyRef(kind: 'Secret' | 'ConfigMap', ref: {name?: string; key: string; optional?: boolean}, namespace: string, sources: EnvSources): string | undefined {
  const obj = kind === 'Secret' ? sources.secret(ref.name ?? '') : sources.configMap(ref.name ?? '')
  const raw = obj?.data?.[ref.key]
  if (raw !== undefined) return kind === 'Secret' ? Buffer.from(raw, 'base64').toString('utf8') : raw
  if (ref.optional) return undefined
  // kubelet_pods.go makeEnvironmentVariables: the API's NotFound for the object, its own words for a missing key.
  throw new PodStartError('CreateContainerConfigError', obj ? `couldn't find key ${ref.key} in ${kind} ${namespace}/${ref.name}`
    : `${kind === 'Secret' ? 'secrets' : 'configmaps'} "${ref.name}" not found`)
}

/**
 * The container's environment: KUBERNETES_SERVICE_HOST/PORT (the API server as pods see it), then the container's env
 * in order: `value` (with `$(VAR)` references), `valueFrom.fieldRef`, `secretKeyRef`, `configMapKeyRef` (a missing
 * object or key that is not optional: PodStartError CreateContainerConfigError, as the kubelet refuses to start it).
 */
export function containerEnv(container: any, pod: any, api: {host: string; port: number}, sources: EnvSources = NO_SOURCES): Record<string, string> {
  const env: Record<string, string> = {KUBERNETES_SERVICE_HOST: api.host, KUBERNETES_SERVICE_PORT: String(api.port), KUBERNETES_SERVICE_PORT_HTTPS: String(api.port)}
  const ns = pod.metadata.namespace
  for (const e of container.env ?? []) {
    const from = e.valueFrom
    let v: string | undefined
    if (from?.fieldRef) v = fieldValue(pod, from.fieldRef.fieldPath)
    else if (from?.secretKeyRef) v = keyRef('Secret', from.secretKeyRef, ns, sources)
    else if (from?.configMapKeyRef) v = keyRef('ConfigMap', from.configMapKeyRef, ns, sources)
    else if (from) throw new PodStartError('CreateContainerConfigError', `env ${e.name}: only value, fieldRef, secretKeyRef and configMapKeyRef are supported by the kubelet stand-in`)
    else v = (e.value ?? '').replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (m: string, k: string) => env[k] ?? m)
    if (v !== undefined) env[e.name] = v
  }
  return env
}

const SUFFIX: Record<string, number> = {n: 1e-9, u: 1e-6, m: 1e-3, '': 1, k: 1e3, M: 1e6, G: 1e9, T: 1e12, P: 1e15, E: 1e18,
  Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40, Pi: 2 ** 50, Ei: 2 ** 60}

/** A resource.Quantity (`256Mi`, `50m`, `1.5`, `1e3`) as a number (bytes, cores); an error naming it when it is not one. */
export function parseQuantity(q: string | number): number {
  if (typeof q === 'number') return q
  const m = /^([+-]?(?:\d+\.?\d*|\.\d+))(?:([eE][+-]?\d+)|(Ki|Mi|Gi|Ti|Pi|Ei|[numkMGTPE])?)$/.exec(q.trim())
  if (!m) throw new PodStartError('CreateContainerConfigError', `quantity "${q}" is not a resource quantity (e.g. 256Mi, 500m, 2)`)
  return Number(m[1] + (m[2] ?? '')) * SUFFIX[m[3] ?? '']
}

/**
 * The container's resources as podman (runc, cgroup v1 here) enforces them, as the kubelet maps them: limits.memory →
 * memory.limit_in_bytes (`--memory`), limits.cpu → a CFS quota over a 100 ms period (`--cpus`), requests.cpu →
 * cpu.shares (milli-CPU × 1024 / 1000, at least 2). requests.memory sets nothing on cgroup v1 (it only schedules).
 */
export function resourceArgs(container: any): string[] {
  const {limits = {}, requests = {}} = container.resources ?? {}
  const args: string[] = []
  if (limits.memory !== undefined) args.push('--memory', String(Math.floor(parseQuantity(limits.memory))))
  if (limits.cpu !== undefined) args.push('--cpus', String(Math.ceil(parseQuantity(limits.cpu) * 1000) / 1000))
  const cpuRequest = requests.cpu ?? limits.cpu
  if (cpuRequest !== undefined) args.push('--cpu-shares', String(Math.max(2, Math.floor(Math.ceil(parseQuantity(cpuRequest) * 1000) * 1024 / 1000))))
  return args
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
    throw new PodStartError('CreateContainerConfigError', 'container\'s runAsUser breaks non-root policy (runAsNonRoot with runAsUser 0)')
  if (user !== undefined) args.push('--user', user)
  // Kubernetes mounts no tmpfs on a read-only root; podman would add /tmp, /run and /var/tmp unless told not to.
  if (sc.readOnlyRootFilesystem) args.push('--read-only', '--read-only-tmpfs=false')
  if (sc.allowPrivilegeEscalation === false) args.push('--security-opt', 'no-new-privileges')
  if (sc.privileged) args.push('--privileged')
  for (const cap of sc.capabilities?.drop ?? []) args.push('--cap-drop', String(cap))
  for (const cap of sc.capabilities?.add ?? []) args.push('--cap-add', String(cap))
  args.push(...resourceArgs(c))
  for (const [k, v] of Object.entries(o.env)) args.push('--env', `${k}=${v}`)
  if (o.mounts.serviceAccount) args.push('--volume', `${o.mounts.serviceAccount}:${SA_MOUNT}:ro`)
  for (const m of c.volumeMounts ?? []) {
    const dir = o.mounts.volumes[m.name]
    if (!dir) throw new PodStartError('CreateContainerConfigError', `volumeMount ${m.name}: no such volume (or a kind of volume the kubelet stand-in does not support)`)
    args.push('--volume', `${dir}:${m.mountPath}${m.readOnly ? ':ro' : ''}`)
  }
  if (c.workingDir) args.push('--workdir', c.workingDir)
  // command replaces the image's ENTRYPOINT (and so its CMD), args replace CMD: Kubernetes' rules.
  if (c.command?.length) args.push('--entrypoint', JSON.stringify(c.command))
  args.push(c.image, ...(c.args ?? []))
  return args
}

/** The port a probe names (a number, or a container port's name). */
export function probePort(container: any, port: number | string): number | undefined {
  if (typeof port === 'number') return port
  if (/^\d+$/.test(port)) return Number(port)
  return (container.ports ?? []).find((p: any) => p.name === port)?.containerPort
}
