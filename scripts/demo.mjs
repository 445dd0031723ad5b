// `npm run demo`: lbctl's main job. With a kubeconfig configured (KUBECONFIG or ~/.kube/config), it runs lbctl's
// read-only checks against that cluster. Without one, it starts the API server harness with the metallb.io CRDs and
// runs a short scripted session of real lbctl commands against it, as an operator would type them.
import {spawn} from 'node:child_process'
import {existsSync, mkdtempSync, rmSync} from 'node:fs'
import {homedir, tmpdir} from 'node:os'
import {delimiter, join} from 'node:path'

const root = new URL('..', import.meta.url).pathname
const bin = join(root, 'bin', 'run.js')
const bold = (s) => (process.stdout.isTTY && !process.env.NO_COLOR ? `\x1b[1m${s}\x1b[0m` : s)

// Asynchronous on purpose: the built-in API server runs in this process and must keep serving while lbctl runs.
async function lbctl(args, env, {expect = 0} = {}) {
  process.stdout.write(`\n${bold(`$ lbctl ${args.join(' ')}`)}\n`)
  const child = spawn(process.execPath, [bin, ...args], {env, stdio: 'inherit'})
  const code = await new Promise((resolve) => child.on('close', resolve))
  if (code !== 0 || expect !== 0) process.stdout.write(`(exit ${code}${code === expect ? (expect ? ', as expected' : '') : `, expected ${expect}`})\n`)
  if (code !== expect) process.exitCode = 1
  return code
}

const configured = process.env.KUBECONFIG
  ? process.env.KUBECONFIG.split(delimiter).some((p) => p && existsSync(p))
  : existsSync(join(homedir(), '.kube', 'config'))

if (configured && !process.env.LBCTL_DEMO_HARNESS) {
  console.log('Using your kubeconfig (read-only checks; set LBCTL_DEMO_HARNESS=1 to use the built-in API server instead).')
  await lbctl(['pool', 'list'], process.env)
} else {
  const {startApiServer} = await import(join(root, 'dist/test/harness/apiserver/index.js'))
  const {crdManifests} = await import(join(root, 'dist/src/lib/api/crds.js'))
  const dir = mkdtempSync(join(tmpdir(), 'lbctl-demo-'))
  const server = await startApiServer({crds: crdManifests()})
  const kubeconfig = join(dir, 'kubeconfig')
  await server.writeKubeconfig(kubeconfig)
  console.log(`No kubeconfig found: running against the built-in API server at ${server.url} (kubeconfig ${kubeconfig}).`)
  const env = {...process.env, KUBECONFIG: kubeconfig}
  try {
    server.store.put({apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'metallb-system'}})
    // A service that already holds an address, as the controller would have left it.
    server.store.put({
      apiVersion: 'v1', kind: 'Service', metadata: {name: 'shop', namespace: 'default'},
      spec: {type: 'LoadBalancer', ports: [{port: 443, protocol: 'TCP'}], selector: {app: 'shop'}},
      status: {loadBalancer: {ingress: [{ip: '203.0.113.89'}]}},
    })
    await lbctl(['pool', 'set', '203.0.113.88-203.0.113.89'], env)
    await lbctl(['pool', 'set', '203.0.113.88-203.0.113.89'], env)
    await lbctl(['pool', 'add', 'v6', '2001:db8:ffff::/64', '--no-auto-assign'], env)
    await lbctl(['pool', 'list'], env)
    await lbctl(['pool', 'show', 'default'], env)
    await lbctl(['pool', 'set', '203.0.113.300, 203.0.113.0/33'], env, {expect: 2})
    await lbctl(['pool', 'set', '203.0.113.88/30', '--name', 'other'], env, {expect: 2})
    await lbctl(['pool', 'set', '203.0.113.88-203.0.113.95', '--dry-run'], env)
    await lbctl(['pool', 'set', '203.0.113.88', '--dry-run', '--force'], env)
    await lbctl(['pool', 'remove', 'default'], env, {expect: 4})
    await lbctl(['pool', 'list', '-o', 'yaml'], env)
  } finally {
    await server.stop()
    rmSync(dir, {recursive: true, force: true})
  }
}
