import {chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {delimiter, join} from 'node:path'
import {type ApiServer, type ApiServerOptions, startApiServer} from '../../harness/apiserver/index.js'
import {kubeadmConfigCM, kubeadmNodes, kubeProxyConfigMap, kubeProxyDaemonSet} from '../../unit/cluster/fixtures.js'

export interface TestCluster {
  server: ApiServer
  kubeconfig: string
  dir: string
  close(): Promise<void>
}

/** The API harness with whatever objects a distribution shows, and a kubeconfig for it. */
export async function startTestCluster(objects: object[], opts: ApiServerOptions = {}): Promise<TestCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-prepare-'))
  const server = await startApiServer({workloadReadyDelayMs: 50, ...opts})
  const kubeconfig = join(dir, 'kubeconfig')
  await server.writeKubeconfig(kubeconfig)
  for (const o of objects) server.store.put(o)
  return {
    server, kubeconfig, dir,
    async close() {
      await server.stop()
      rmSync(dir, {recursive: true, force: true})
    },
  }
}

/** A kubeadm cluster as `kubeadm init` + two joins leave it: three nodes, the kube-proxy DaemonSet and ConfigMap. */
export const kubeadmObjects = (configConf?: string): object[] => [...kubeadmNodes(), kubeProxyDaemonSet(), kubeProxyConfigMap(configConf), kubeadmConfigCM()]

export const getCM = (c: TestCluster) => c.server.store.get('v1', 'ConfigMap', 'kube-system', 'kube-proxy')
export const getDS = (c: TestCluster) => c.server.store.get('apps/v1', 'DaemonSet', 'kube-system', 'kube-proxy')

/**
 * A `juju` executable for PATH that answers like juju 3 does for `juju config [-m MODEL] APP [KEY[=VALUE]]`: prints
 * a value, or sets it silently. It records every invocation (argv) in calls.jsonl and keeps option values in
 * state.json; `fail` makes invocations whose arguments contain that text exit 1 with juju's error format.
 */
export function fakeJuju(dir: string, state: Record<string, Record<string, string>>, opts: {fail?: {match: string; stderr: string}} = {}) {
  const bin = join(dir, 'bin')
  const statePath = join(dir, 'juju-state.json')
  const callsPath = join(dir, 'juju-calls.jsonl')
  writeFileSync(statePath, JSON.stringify(state))
  writeFileSync(callsPath, '')
  writeFileSync(join(dir, 'juju-fail.json'), JSON.stringify(opts.fail ?? null))
  const script = `#!${process.execPath}
const fs = require('node:fs')
const path = require('node:path')
const dir = ${JSON.stringify(dir)}
const args = process.argv.slice(2)
fs.appendFileSync(path.join(dir, 'juju-calls.jsonl'), JSON.stringify(args) + '\\n')
const fail = JSON.parse(fs.readFileSync(path.join(dir, 'juju-fail.json'), 'utf8'))
if (fail && args.join(' ').includes(fail.match)) { process.stderr.write(fail.stderr + '\\n'); process.exit(1) }
const state = JSON.parse(fs.readFileSync(path.join(dir, 'juju-state.json'), 'utf8'))
const rest = args.slice(1)
let model = 'default'
if (rest[0] === '-m' || rest[0] === '--model') { model = rest[1]; rest.splice(0, 2) }
if (args[0] !== 'config' || rest.length !== 2) { process.stderr.write('ERROR this fake juju only knows "juju config [-m MODEL] APP KEY[=VALUE]"\\n'); process.exit(2) }
const [app, kv] = rest
const key = model + '/' + app
if (!state[key]) { process.stderr.write('ERROR application "' + app + '" not found (not found)\\n'); process.exit(1) }
const eq = kv.indexOf('=')
if (eq === -1) {
  if (!(kv in state[key])) { process.stderr.write('ERROR key "' + kv + '" not found in "' + app + '" application config.\\n'); process.exit(1) }
  process.stdout.write(state[key][kv] + '\\n')
} else {
  state[key][kv.slice(0, eq)] = kv.slice(eq + 1)
  fs.writeFileSync(path.join(dir, 'juju-state.json'), JSON.stringify(state))
}
`
  mkdirSync(bin, {recursive: true})
  writeFileSync(join(bin, 'juju'), script)
  chmodSync(join(bin, 'juju'), 0o755)
  return {
    bin,
    /** PATH with the fake juju first. */
    path: `${bin}${delimiter}${process.env.PATH ?? ''}`,
    calls: (): string[][] => readFileSync(callsPath, 'utf8').split('\n').filter(Boolean).map((l) => JSON.parse(l)),
    state: (): Record<string, Record<string, string>> => JSON.parse(readFileSync(statePath, 'utf8')),
  }
}
