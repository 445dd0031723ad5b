// The container side of the kubelet stand-in: podman containers labelled with the stand-in's id and its process id,
// Secret volumes written to disk, the container's output as the pod's log, and HTTP probes from the pod's namespace.
import {type ChildProcess, spawn} from 'node:child_process'
import {chownSync, mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {createInterface} from 'node:readline'
import {execa} from 'execa'
import type {ApiServer} from '../apiserver/index.js'
import {sh} from '../lab/netns.js'
import {type Placement, PodStartError, probePort} from './pods.js'

export const LABEL = 'lbctl-kubelet'
export const PID_LABEL = 'lbctl-kubelet-pid'

/** Remove containers a stand-in left behind when its process died (killed test runs): their pid is gone. */
export async function removeStaleContainers(): Promise<string[]> {
  const r = await execa('podman', ['ps', '-a', '--filter', `label=${PID_LABEL}`, '--format', 'json'], {reject: false})
  const stale = (r.exitCode === 0 ? JSON.parse(r.stdout || '[]') as Array<{Names: string[]; Labels: Record<string, string>}> : [])
    .filter((c) => {
      try {
        process.kill(Number(c.Labels[PID_LABEL]), 0)
        return false
      } catch {
        return true
      }
    }).map((c) => c.Names[0])
  if (stale.length) await execa('podman', ['rm', '-f', '-t', '0', ...stale], {reject: false})
  return stale
}

/** A pod's container whose output is followed (the child is kept so it can be stopped). */
export interface LogTarget {
  name: string
  container: string
  placement: Placement
  logs?: ChildProcess
}

/** The containers of one stand-in, as podman lists them (name, state, labels). */
export async function containersOf(id: string): Promise<Array<{Names: string[]; State: string; Labels: Record<string, string>}>> {
  const r = await execa('podman', ['ps', '-a', '--filter', `label=${LABEL}=${id}`, '--format', 'json'], {reject: false})
  return r.exitCode === 0 ? JSON.parse(r.stdout || '[]') : []
}

/**
 * The pod's Secret volumes, written under podDir (volume name → host directory). As the kubelet does, the files
 * belong to the pod's fsGroup, so a non-root container can read them; a Secret that is not there keeps the pod
 * ContainerCreating (the kubelet's FailedMount) until it is.
 */
export function secretVolumes(spec: any, podDir: string, getSecret: (name: string) => any): Record<string, string> {
  const volumes: Record<string, string> = {}
  const fsGroup: number | undefined = spec.securityContext?.fsGroup
  for (const v of spec.volumes ?? []) {
    if (!v.secret) continue
    const secret = getSecret(v.secret.secretName)
    if (!secret) throw new PodStartError('ContainerCreating', `secret "${v.secret.secretName}" not found`)
    const dir = join(podDir, 'volumes', v.name)
    mkdirSync(dir, {recursive: true})
    for (const [k, b64] of Object.entries<string>(secret.data ?? {})) {
      writeFileSync(join(dir, k), Buffer.from(b64, 'base64'), {mode: v.secret.defaultMode ?? 0o644})
      if (fsGroup !== undefined) chownSync(join(dir, k), -1, fsGroup)
    }
    volumes[v.name] = dir
  }
  return volumes
}

/** The container's output as the pod's log (`kubectl logs`, `previous=true` after a restart). */
export function followLogs(p: LogTarget, server: Pick<ApiServer, 'appendPodLog'>, container: string, since?: string): void {
  const child = spawn('podman', ['logs', '-f', ...(since ? ['--since', since] : []), p.container], {stdio: ['ignore', 'pipe', 'pipe']})
  p.logs = child
  for (const stream of [child.stdout, child.stderr]) {
    createInterface({input: stream}).on('line', (line) => {
      try {
        server.appendPodLog(p.placement.namespace, p.name, container, line)
      } catch {
        // the pod is gone
      }
    })
  }
  child.on('error', () => undefined)
}

/** An HTTP GET probe from the pod's network namespace: true for 2xx/3xx (no probe: true). */
export async function httpProbe(p: {spec: any; placement: Placement}, probe: any): Promise<boolean> {
  const get = probe?.httpGet
  if (!get) return true
  const port = probePort(p.spec.containers[0], get.port)
  const host = p.placement.podIP.includes(':') ? `[${p.placement.podIP}]` : p.placement.podIP
  const url = `${(get.scheme ?? 'HTTP').toLowerCase()}://${host}:${port}${get.path ?? '/'}`
  // The kubelet probes from the host; the pod's (or node's) namespace is where the pod's address answers.
  const r = await sh('ip', ['netns', 'exec', p.placement.netns, 'curl', '-sk', '-o', '/dev/null', '-w', '%{http_code}', '-m', String(probe.timeoutSeconds ?? 1), url], {timeoutMs: 10_000})
  const code = Number(r.stdout.trim())
  return code >= 200 && code < 400
}
