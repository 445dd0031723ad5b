/**
 * Serve the API harness in the foreground: `node dist/test/harness/apiserver/main.js --kubeconfig PATH
 * [--port N] [--host H] [--crds] [--pid-file PATH] [--tls [--token T] [--service-account-dir DIR]]`. Writes the
 * kubeconfig, prints the URL, stops on SIGINT/SIGTERM.
 *
 * --crds also creates the metallb-system namespace, where MetalLB's objects live (as installing MetalLB does).
 * --pid-file writes the process id once the server is serving and the kubeconfig is written (so a script can wait for
 * the file, then `kill "$(cat PATH)"`), and removes it on exit.
 *
 * --tls serves HTTPS with a throwaway CA and server certificate (SANs: the host, loopback, localhost and the
 * in-cluster names of the kubernetes Service), writes the CA into the kubeconfig as certificate-authority-data, and
 * requires the bearer token (--token, or a random one). --service-account-dir writes what a pod's service account
 * volume holds (token, ca.crt, namespace), for running the daemons as in a pod.
 */
import {randomBytes} from 'node:crypto'
import {mkdir, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {parseArgs} from 'node:util'
import {startApiServer} from './index.js'
import {makeCertificates} from './tls.js'

const usage = 'usage: main.js --kubeconfig PATH [--port N] [--host H] [--crds] [--pid-file PATH] [--workload-ready-delay MS] [--tls [--token T] [--service-account-dir DIR]]'

/** Names clients dial: the listening address (unless it is a wildcard), loopback, and the kubernetes Service's names. */
const certificateHosts = (host: string): string[] => {
  const names = ['127.0.0.1', '::1', 'localhost', 'kubernetes', 'kubernetes.default', 'kubernetes.default.svc', 'kubernetes.default.svc.cluster.local']
  return [...new Set([...(host === '0.0.0.0' || host === '::' ? [] : [host]), ...names])]
}

async function loadCrds(): Promise<object[]> {
  // Imported at run time so that the harness builds whether or not the project's CRDs exist yet.
  const modPath = '../../../src/lib/api/crds.js'
  const mod = (await import(modPath)) as {crdManifests?: () => object[]}
  if (typeof mod.crdManifests !== 'function') throw new Error(`${modPath} does not export crdManifests()`)
  return mod.crdManifests()
}

async function main(): Promise<number> {
  let values
  try {
    ;({values} = parseArgs({
      options: {
        kubeconfig: {type: 'string'},
        port: {type: 'string', default: '0'},
        host: {type: 'string', default: '127.0.0.1'},
        crds: {type: 'boolean', default: false},
        'pid-file': {type: 'string'},
        'workload-ready-delay': {type: 'string'},
        tls: {type: 'boolean', default: false},
        token: {type: 'string'},
        'service-account-dir': {type: 'string'},
        help: {type: 'boolean', default: false},
      },
      strict: true,
    }))
  } catch (e) {
    console.error(`${(e as Error).message}\n${usage}`)
    return 2
  }
  if (values.help) {
    console.log(usage)
    return 0
  }
  if (!values.kubeconfig) {
    console.error(`--kubeconfig is required\n${usage}`)
    return 2
  }
  const port = Number(values.port)
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    console.error(`--port must be a TCP port number, got ${values.port}\n${usage}`)
    return 2
  }
  const saDir = values['service-account-dir']
  if (!values.tls && (values.token !== undefined || saDir !== undefined)) {
    console.error(`--token and --service-account-dir need --tls (clients send credentials only over TLS)\n${usage}`)
    return 2
  }
  const crds = values.crds ? await loadCrds() : []
  const delay = values['workload-ready-delay']
  const tls = values.tls ? makeCertificates({hosts: certificateHosts(values.host)}) : undefined
  const token = values.token ?? randomBytes(16).toString('hex')
  const server = await startApiServer({
    host: values.host, port, crds, workloadReadyDelayMs: delay === undefined ? undefined : Number(delay),
    ...(tls ? {tls, tokens: [token]} : {}),
  })
  if (values.crds) server.store.put({apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'metallb-system'}})
  await server.writeKubeconfig(values.kubeconfig)
  if (tls && saDir) {
    await mkdir(saDir, {recursive: true})
    await writeFile(join(saDir, 'token'), token, {mode: 0o600})
    await writeFile(join(saDir, 'ca.crt'), tls.ca)
    await writeFile(join(saDir, 'namespace'), 'metallb-system')
  }
  // Handlers first, then the pid file and the URL: whoever waits for either may signal at once, and a signal that
  // arrives before Node listens for it kills the process (exit by signal, not 0).
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  const pidFile = values['pid-file']
  if (pidFile) await writeFile(pidFile, `${process.pid}\n`)
  console.log(server.url)
  await stopped
  await server.stop()
  if (pidFile) await rm(pidFile, {force: true})
  return 0
}

main().then(
  (code) => {
    process.exitCode = code
  },
  (err) => {
    console.error(err instanceof Error ? err.message : err)
    process.exitCode = 1
  },
)
