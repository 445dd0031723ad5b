// `npm run demo`: lbctl's main job. With a kubeconfig configured (KUBECONFIG or ~/.kube/config), it runs lbctl's
// read-only checks against that cluster (prepare --check, pool list). Without one, it starts the API server harness with the metallb.io CRDs and
// runs a short scripted session of real lbctl commands against it, as an operator would type them.
import {spawn} from 'node:child_process'
import {existsSync, mkdtempSync, openSync, readFileSync, rmSync} from 'node:fs'
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
  // expect 'any': a report whose answer depends on the cluster (e.g. prepare --check on yours), not a failure.
  if (expect === 'any') {
    if (code !== 0) process.stdout.write(`(exit ${code})\n`)
    return code
  }
  if (code !== 0 || expect !== 0) process.stdout.write(`(exit ${code}${code === expect ? (expect ? ', as expected' : '') : `, expected ${expect}`})\n`)
  if (code !== expect) process.exitCode = 1
  return code
}

// The controller from this repository, run against the built-in API server: services get addresses from the pools.
async function controllerSession(server, env, dir) {
  const logFile = join(dir, 'controller.log')
  const args = ['--kubeconfig', env.KUBECONFIG, '--leader-elect=false', '--metrics-port', '0', '--health-port', '0']
  process.stdout.write(`\n${bold(`$ controller ${args.join(' ')} &`)}   (log: ${logFile})\n`)
  const fd = openSync(logFile, 'a')
  const controller = spawn(process.execPath, [join(root, 'bin', 'controller.js'), ...args], {env, stdio: ['ignore', fd, fd]})
  const exited = new Promise((resolve) => controller.on('close', resolve))
  try {
    const svc = (name, extra = {}) => ({
      apiVersion: 'v1', kind: 'Service', metadata: {name, namespace: 'default', ...extra},
      spec: {type: 'LoadBalancer', ports: [{port: 80, protocol: 'TCP'}], selector: {app: name}},
    })
    await lbctl(['pool', 'add', 'web', '198.51.100.0/30'], env)
    for (const name of ['web-a', 'web-b']) server.store.put(svc(name))
    server.store.put(svc('api', {annotations: {'metallb.io/loadBalancerIPs': '203.0.113.88'}}))
    const v6 = svc('v6only', {annotations: {'metallb.io/address-pool': 'v6'}})
    server.store.put({...v6, spec: {...v6.spec, ipFamilyPolicy: 'SingleStack', ipFamilies: ['IPv6']}})
    server.store.put(svc('typo', {annotations: {'metallb.io/loadBalancerIPs': '192.0.2.10'}}))
    const names = ['shop', 'web-a', 'web-b', 'api', 'v6only']
    const ip = (n) => server.store.get('v1', 'Service', 'default', n)?.status?.loadBalancer?.ingress?.[0]?.ip
    for (let i = 0; i < 200 && names.some((n) => !ip(n)); i++) await new Promise((r) => setTimeout(r, 50))
    console.log('\nServices after the controller ran (kubectl get svc would show the same EXTERNAL-IP):')
    for (const n of names) console.log(`  default/${n.padEnd(8)} ${ip(n) ?? '<pending>'}`)
    const events = () => server.store.list('v1', 'Event').filter((e) => e.involvedObject?.name === 'typo')
    for (let i = 0; i < 100 && events().length === 0; i++) await new Promise((r) => setTimeout(r, 50))
    console.log(`  default/${'typo'.padEnd(8)} ${ip('typo') ?? '<pending>'}  (asks for 192.0.2.10, in no pool)`)
    for (const e of events()) console.log(`    event ${e.type} ${e.reason}: ${e.message}`)
    if (names.some((n) => !ip(n)) || ip('typo') || events().length === 0) {
      console.log(`(some services got no address; see ${logFile})`)
      process.exitCode = 1
    }
    await lbctl(['pool', 'list'], env)
    await lbctl(['pool', 'show', 'web'], env)
  } finally {
    controller.kill('SIGTERM')
    const code = await exited
    console.log(`\ncontroller stopped on SIGTERM (exit ${code}); its last log line: ${readFileSync(logFile, 'utf8').trim().split('\n').pop()}`)
  }
}

// The first step of an install: kube-proxy in IPVS mode with strict ARP. The built-in API server is given what a
// kubeadm cluster shows (nodes, the kube-proxy DaemonSet and its ConfigMap as kubeadm v1.31 writes them); its workload
// stand-in plays the kubelets, so the rollout that follows the change completes.
async function prepareSession(server, env) {
  const {kubeadmNodes, kubeProxyDaemonSet, kubeProxyConfigMap, kubeadmConfigCM} = await import(join(root, 'dist/test/harness/fixtures/clusters.js'))
  for (const o of [...kubeadmNodes(), kubeProxyDaemonSet(), kubeProxyConfigMap(), kubeadmConfigCM()]) server.store.put(o)
  console.log('\nThe built-in API server now also shows a kubeadm cluster: three nodes, kube-proxy in iptables mode.')
  await lbctl(['prepare', '--check'], env, {expect: 1})
  await lbctl(['prepare', '--ipvs', '--dry-run'], env)
  await lbctl(['prepare', '--ipvs', '--yes'], env)
  await lbctl(['prepare', '--ipvs', '--yes'], env)
  await lbctl(['prepare', '--check'], env)
}

// The speaker, end to end in network namespaces (root, iproute2, curl, kubectl): a client reaching a service, the owner
// killed, the client reaching the new owner, the gap printed. test/lab/speaker/demo-main.ts is the script.
async function speakerSession() {
  const {labPrerequisites} = await import(join(root, 'dist/test/harness/lab/prereq.js'))
  const pre = labPrerequisites(['curl', 'kubectl'])
  if (!pre.ok) {
    console.log(`\n(The speaker demo needs the network lab; missing: ${pre.missing.join(', ')}.)`)
    return
  }
  const {bundleEntry} = await import(join(root, 'dist/test/harness/lab/bundle.js'))
  const file = await bundleEntry('test/lab/speaker/demo-main.ts')
  const child = spawn(process.execPath, [file], {env: {...process.env, LBCTL_REPO_ROOT: root}, stdio: 'inherit'})
  const code = await new Promise((resolve) => child.on('close', resolve))
  if (code !== 0) process.exitCode = 1
}

const configured = process.env.KUBECONFIG
  ? process.env.KUBECONFIG.split(delimiter).some((p) => p && existsSync(p))
  : existsSync(join(homedir(), '.kube', 'config'))

if (configured && !process.env.LBCTL_DEMO_HARNESS) {
  console.log('Using your kubeconfig (read-only checks; set LBCTL_DEMO_HARNESS=1 to use the built-in API server instead).')
  await lbctl(['prepare', '--check'], process.env, {expect: 'any'})
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
    await prepareSession(server, env)
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
    await controllerSession(server, env, dir)
  } finally {
    await server.stop()
    rmSync(dir, {recursive: true, force: true})
  }
}
await speakerSession()
