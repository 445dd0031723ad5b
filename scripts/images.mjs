#!/usr/bin/env node
// `npm run images [-- --push REGISTRY] [--registry PREFIX] [--tag T] [--builder podman|buildah|docker]
//                  [--build-arg K=V …] [--target controller|speaker] [--from PREFIX:TAG] [--json]`
// Builds lbctl's controller and speaker images from images/Containerfile with whichever builder exists, tags them
// REGISTRY/lbctl-{controller,speaker}:VERSION (the package version unless --tag), and pushes them with --push.
// --from PREFIX:TAG tags images built before (PREFIX/lbctl-{controller,speaker}:TAG) instead of building them again
// (the tests push the images test/lab/images built). Extra builder flags after `--` (e.g. `-- --runtime runc`); CONTAINERS_CONF is honoured by podman and buildah.
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {parseArgs} from 'node:util'
import {execa} from 'execa'

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..')
const TARGETS = ['controller', 'speaker']
const DEFAULT_REGISTRY = 'ghcr.io/lbctl'

function fail(message, hint) {
  process.stderr.write(`images: ${message}\n${hint ? `  ${hint}\n` : ''}`)
  process.exit(2)
}

const dash = process.argv.indexOf('--', 2)
const own = dash < 0 ? process.argv.slice(2) : process.argv.slice(2, dash)
const passthrough = dash < 0 ? [] : process.argv.slice(dash + 1)
let opts
try {
  opts = parseArgs({args: own, options: {
    push: {type: 'string'}, registry: {type: 'string'}, tag: {type: 'string'}, builder: {type: 'string'},
    'build-arg': {type: 'string', multiple: true}, from: {type: 'string'}, target: {type: 'string', multiple: true}, json: {type: 'boolean'},
  }}).values
} catch (err) {
  fail(err.message, 'See the comment at the top of scripts/images.mjs for the flags.')
}

/** podman, then buildah, then docker (whose client may exist without a daemon: ask it). */
async function findBuilder(wanted) {
  const probes = {podman: ['--version'], buildah: ['--version'], docker: ['info', '--format', '{{.ServerVersion}}']}
  for (const name of wanted ? [wanted] : Object.keys(probes)) {
    if (!probes[name]) fail(`--builder ${name} is not one of podman, buildah, docker`)
    const r = await execa(name, probes[name], {reject: false, timeout: 15_000})
    if (r.exitCode === 0) return name
  }
  fail(wanted ? `${wanted} cannot build here` : 'no image builder found (podman, buildah or a docker with a daemon)', 'Install one, e.g. `apt-get install podman runc`.')
}

const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'))
const version = opts.tag ?? pkg.version
if (!/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/.test(version)) fail(`--tag ${version} is not an image tag`)
const registry = (opts.push ?? opts.registry ?? DEFAULT_REGISTRY).replace(/\/+$/, '')
const targets = opts.target ?? TARGETS
for (const t of targets) if (!TARGETS.includes(t)) fail(`--target ${t} is not one of ${TARGETS.join(', ')}`)
for (const a of opts['build-arg'] ?? []) if (!/^[A-Z_][A-Z0-9_]*=/.test(a)) fail(`--build-arg ${a} is not KEY=VALUE`)
const from = opts.from === undefined ? undefined : /^(.+\/[^/:]+|[^/:]+):([A-Za-z0-9_][A-Za-z0-9_.-]{0,127})$/.exec(opts.from.replace(/\/+$/, ''))
if (opts.from !== undefined && !from) fail(`--from ${opts.from} is not PREFIX:TAG`, 'E.g. --from localhost/lbctl-labtest:labtest for localhost/lbctl-labtest/lbctl-controller:labtest.')
const builder = await findBuilder(opts.builder)
const revision = (await execa('git', ['rev-parse', 'HEAD'], {cwd: ROOT, reject: false})).stdout.trim() || 'unknown'

const results = []
for (const target of targets) {
  const image = `${registry}/lbctl-${target}:${version}`
  const args = [
    builder === 'buildah' ? 'bud' : 'build', '-f', join(ROOT, 'images', 'Containerfile'), '--target', target, '-t', image,
    '--build-arg', `VERSION=${version}`, '--build-arg', `REVISION=${revision}`,
    ...(opts['build-arg'] ?? []).flatMap((a) => ['--build-arg', a]),
    // The build stage runs `npm ci`: it needs the host's network (the npm registry), nothing else.
    '--network', 'host',
    ...passthrough, ROOT,
  ]
  const started = Date.now()
  // The builder's output goes to stderr under --json, so stdout stays one JSON document.
  const out = opts.json ? 2 : 'inherit'
  if (from) {
    const source = `${from[1]}/lbctl-${target}:${from[2]}`
    process.stderr.write(`images: ${builder} tag ${source} ${image}\n`)
    const r = await execa(builder, ['tag', source, image], {stdout: out, stderr: 'inherit', reject: false, stdin: 'ignore'})
    if (r.exitCode !== 0) fail(`tagging ${source} as ${image} failed (${builder} exited ${r.exitCode})`, `Is ${source} there? \`${builder} images\` lists what is; build it without --from.`)
  } else {
    process.stderr.write(`images: ${builder} ${args.join(' ')}\n`)
    const r = await execa(builder, args, {stdout: out, stderr: 'inherit', reject: false, stdin: 'ignore'})
    if (r.exitCode !== 0) fail(`building ${image} failed (${builder} exited ${r.exitCode})`, 'The output above says why.')
    // podman's layer cache keys a LABEL on its unexpanded text: a rebuild with new VERSION/REVISION values but unchanged
    // sources keeps the previous build's labels. A literal LABEL on top stamps the right ones (an empty layer).
    const stampDir = mkdtempSync(join(tmpdir(), 'lbctl-images-'))
    writeFileSync(join(stampDir, 'Containerfile'), `FROM ${image}\nLABEL org.opencontainers.image.version="${version}" org.opencontainers.image.revision="${revision}"\n`)
    const stamp = await execa(builder, [builder === 'buildah' ? 'bud' : 'build', '-t', image, '-f', join(stampDir, 'Containerfile'), ...passthrough, stampDir], {
      stdout: out, stderr: 'inherit', reject: false, stdin: 'ignore'})
    rmSync(stampDir, {recursive: true, force: true})
    if (stamp.exitCode !== 0) fail(`labelling ${image} failed (${builder} exited ${stamp.exitCode})`, 'The output above says why.')
  }
  const inspect = await execa(builder, ['image', 'inspect', '--format', '{{.Size}}', image], {reject: false})
  results.push({target, image, seconds: Math.round((Date.now() - started) / 100) / 10, sizeBytes: Number(inspect.stdout.trim()) || undefined})
  if (opts.push) {
    const local = /^(localhost|127\.0\.0\.1|\[::1\])(:\d+)?\//.test(image)
    const pushArgs = ['push', ...(local && builder !== 'docker' ? ['--tls-verify=false'] : []), image]
    const p = await execa(builder, pushArgs, {stdout: out, stderr: 'inherit', reject: false, stdin: 'ignore'})
    if (p.exitCode !== 0) fail(`pushing ${image} failed (${builder} exited ${p.exitCode})`, `Check that the registry is reachable and that you are logged in (\`${builder} login ${registry.split('/')[0]}\`).`)
    results[results.length - 1].pushed = true
  }
}
if (opts.json) process.stdout.write(JSON.stringify({builder, version, revision, images: results}, null, 2) + '\n')
else for (const r of results) process.stdout.write(`${r.image}  ${r.sizeBytes ? `${(r.sizeBytes / 1e6).toFixed(1)} MB` : ''}  built in ${r.seconds} s${r.pushed ? ', pushed' : ''}\n`)
