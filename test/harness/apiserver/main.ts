/**
 * Serve the API harness in the foreground: `node dist/test/harness/apiserver/main.js --kubeconfig PATH
 * [--port N] [--host H] [--crds]`. Writes the kubeconfig, prints the URL, stops on SIGINT/SIGTERM.
 */
import {parseArgs} from 'node:util'
import {startApiServer} from './index.js'

const usage = 'usage: main.js --kubeconfig PATH [--port N] [--host H] [--crds] [--workload-ready-delay MS]'

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
        'workload-ready-delay': {type: 'string'},
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
  const crds = values.crds ? await loadCrds() : []
  const delay = values['workload-ready-delay']
  const server = await startApiServer({host: values.host, port, crds, workloadReadyDelayMs: delay === undefined ? undefined : Number(delay)})
  await server.writeKubeconfig(values.kubeconfig)
  console.log(server.url)
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve)
    process.once('SIGTERM', resolve)
  })
  await server.stop()
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
