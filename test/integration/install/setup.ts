import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {type ApiServer, startApiServer} from '../../harness/apiserver/index.js'
import {crdManifests} from '../../../src/lib/api/crds.js'
import {KUBEADM_CONFIG_CONF, kubeadmNodes, kubeProxyConfigMap, kubeProxyDaemonSet} from '../../harness/fixtures/clusters.js'
import {type CliResult, runBin, runInProcess} from '../helpers.js'

export interface InstallCluster {
  server: ApiServer
  kubeconfig: string
  dir: string
  lbctl: (args: string[], env?: NodeJS.ProcessEnv) => Promise<CliResult>
  bin: (args: string[], env?: NodeJS.ProcessEnv) => Promise<CliResult>
  close(): Promise<void>
}

/** kube-proxy in IPVS mode without strict ARP (the layer-2 hazard install must catch). */
export const IPVS_NO_STRICT_ARP = KUBEADM_CONFIG_CONF.replace('mode: ""', 'mode: "ipvs"')

/**
 * An empty kubeadm-like cluster: three Linux nodes and kube-proxy (iptables mode unless `proxyConf` says otherwise),
 * no CRDs unless `crds`; workloads become ready after 20 ms.
 */
export async function startInstallCluster(opts: {crds?: boolean; proxyConf?: string; objects?: object[]} = {}): Promise<InstallCluster> {
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-install-'))
  const server = await startApiServer({crds: opts.crds ? crdManifests() : [], workloadReadyDelayMs: 20})
  const kubeconfig = join(dir, 'kubeconfig')
  await server.writeKubeconfig(kubeconfig)
  for (const o of [...kubeadmNodes(), kubeProxyDaemonSet(), kubeProxyConfigMap(opts.proxyConf), ...(opts.objects ?? [])]) server.store.put(o)
  await settle(server)
  return {
    server, kubeconfig, dir,
    lbctl: (args, env) => withEnv(env, () => runInProcess([...args, '--kubeconfig', kubeconfig])),
    bin: (args, env) => runBin([...args, '--kubeconfig', kubeconfig], env),
    async close() {
      await server.stop()
      rmSync(dir, {recursive: true, force: true})
    },
  }
}

async function withEnv<T>(env: NodeJS.ProcessEnv | undefined, fn: () => Promise<T>): Promise<T> {
  const saved: NodeJS.ProcessEnv = {}
  for (const [k, v] of Object.entries(env ?? {})) {
    saved[k] = process.env[k]
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
  }
  try {
    return await fn()
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k]
      else process.env[k] = v
    }
  }
}

/** Wait until the harness's own status updates (workload ready counts) are done: no write for 200 ms. */
export async function settle(server: ApiServer): Promise<void> {
  const deadline = Date.now() + 10_000
  let last = server.store.resourceVersion
  let quietSince = Date.now()
  while (Date.now() - quietSince < 200 && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 25))
    if (server.store.resourceVersion !== last) {
      last = server.store.resourceVersion
      quietSince = Date.now()
    }
  }
}

/** The store's global resourceVersion: unchanged means nothing at all was written. */
export const revision = (server: ApiServer): string => server.store.resourceVersion

export function writeFile(dir: string, name: string, text: string): string {
  const p = join(dir, name)
  writeFileSync(p, text, {mode: 0o600})
  return p
}
