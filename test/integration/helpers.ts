import {spawn} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {format} from 'node:util'
import {run as oclifRun} from '@oclif/core'
import {crdManifests} from '../../src/lib/api/crds.js'
import {type ApiServer, type ApiServerOptions, startApiServer} from '../harness/apiserver/index.js'

export const ROOT = new URL('../..', import.meta.url).pathname
export const BIN = join(ROOT, 'bin', 'run.js')

export interface Cluster {
  server: ApiServer
  kubeconfig: string
  dir: string
  close(): Promise<void>
}

/** The API server harness with the metallb.io CRDs and the metallb-system namespace, plus a kubeconfig for it. */
export async function startCluster(opts: {crds?: boolean} & Pick<ApiServerOptions, 'tls' | 'tokens'> = {}): Promise<Cluster> {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-it-'))
  const server = await startApiServer({crds: opts.crds === false ? [] : crdManifests(), tls: opts.tls, tokens: opts.tokens})
  const kubeconfig = join(dir, 'kubeconfig')
  await server.writeKubeconfig(kubeconfig)
  server.store.put({apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'metallb-system'}})
  return {
    server, kubeconfig, dir,
    async close() {
      await server.stop()
      rmSync(dir, {recursive: true, force: true})
    },
  }
}

export interface CliResult {
  code: number
  stdout: string
  stderr: string
  /** stdout parsed as JSON, when it is JSON. */
  json?: any
}

/** Run the built binary, as a user would. */
export function runBin(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {env: {...process.env, NO_COLOR: '1', ...env}, stdio: ['ignore', 'pipe', 'pipe']})
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d) => (stdout += d))
    child.stderr.on('data', (d) => (stderr += d))
    child.on('error', reject)
    child.on('close', (code) => resolve({code: code ?? -1, stdout, stderr, json: tryJson(stdout)}))
  })
}

/** Run a command in this process through oclif (same registry and bundle as the binary). */
export async function runInProcess(args: string[]): Promise<CliResult> {
  let stdout = ''
  let stderr = ''
  const out = process.stdout.write.bind(process.stdout)
  const err = process.stderr.write.bind(process.stderr)
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += String(chunk)), true)) as typeof process.stdout.write
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += String(chunk)), true)) as typeof process.stderr.write
  // oclif prints with console.log/console.error (which vitest intercepts), so capture those too.
  const log = console.log
  const error = console.error
  console.log = (...a: unknown[]) => void (stdout += format(...a) + '\n')
  console.error = (...a: unknown[]) => void (stderr += format(...a) + '\n')
  const before = process.exitCode
  process.exitCode = undefined
  let code = 0
  try {
    await oclifRun(args, ROOT)
    code = Number(process.exitCode ?? 0)
  } catch (e) {
    const x = e as {oclif?: {exit?: number}; exitCode?: number; message?: string}
    code = x.exitCode ?? x.oclif?.exit ?? 1
    stderr += x.message ?? String(e)
  } finally {
    process.stdout.write = out
    process.stderr.write = err
    console.log = log
    console.error = error
    process.exitCode = before
  }
  return {code, stdout, stderr, json: tryJson(stdout)}
}

export function tryJson(s: string): any {
  try {
    return JSON.parse(s)
  } catch {
    return undefined
  }
}

/** resourceVersions of every object in the harness, to prove a refused command changed nothing. */
export function snapshot(server: ApiServer, kinds: Array<[string, string]>): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [apiVersion, kind] of kinds) {
    for (const o of server.store.list(apiVersion, kind)) out[`${kind}/${o.metadata.namespace ?? ''}/${o.metadata.name}`] = o.metadata.resourceVersion
  }
  return out
}

export function lbService(name: string, ip: string | string[], namespace = 'default'): Record<string, unknown> {
  return {
    apiVersion: 'v1', kind: 'Service', metadata: {name, namespace},
    spec: {type: 'LoadBalancer', ports: [{port: 80, protocol: 'TCP'}], selector: {app: name}},
    status: {loadBalancer: {ingress: (Array.isArray(ip) ? ip : [ip]).map((i) => ({ip: i}))}},
  }
}
