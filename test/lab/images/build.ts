// The lab's images, built once per state of their inputs: `npm run images` (scripts/images.mjs) on the local bases, tagged
// localhost/lbctl-labtest/lbctl-{controller,speaker}:labtest. The image suites run in parallel worker processes, so
// the build runs under a lock, and a suite that finds the images the last build made from the same committed inputs
// and bases (a marker in the base cache) uses them instead of building again.
import {existsSync, mkdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import {execa} from 'execa'
import {BUILD_BASE, CACHE, ensureBases, podman, RUN_FLAGS, RUNTIME_BASE} from './bases.js'

export const LAB_REGISTRY = 'localhost/lbctl-labtest'
export const LAB_TAG = 'labtest'
export const labImage = (c: 'controller' | 'speaker', tag = LAB_TAG) => `${LAB_REGISTRY}/lbctl-${c}:${tag}`

const ROOT = fileURLToPath(new URL('../../../', import.meta.url))
const LOCK = join(CACHE, 'images.lock')
/** What goes into the images (images/Containerfile's COPY lines, and the script's labels). */
const INPUTS = ['package.json', 'package-lock.json', 'native', 'tsconfig.json', 'bin', 'src', 'images', 'scripts/images.mjs']

export interface LabImages {
  builder?: string
  revision: string
  /** 0 s when the images of this revision were there already. */
  images: Array<{target: string; image: string; seconds: number; sizeBytes?: number}>
  /** Seconds spent making the bases (0 when cached). */
  basesSeconds: number
  reused: boolean
}

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0)
    return true
  } catch {
    return false
  }
}

async function locked<T>(fn: () => Promise<T>): Promise<T> {
  mkdirSync(CACHE, {recursive: true})
  const deadline = Date.now() + 30 * 60_000
  for (;;) {
    try {
      mkdirSync(LOCK)
      break
    } catch {
      const pid = Number(existsSync(join(LOCK, 'pid')) ? readFileSync(join(LOCK, 'pid'), 'utf8') : NaN)
      if (Number.isInteger(pid) && !alive(pid)) rmSync(LOCK, {recursive: true, force: true})
      if (Date.now() > deadline) throw new Error(`${LOCK} held for 30 minutes (by pid ${pid}); remove it if no build runs`)
      await new Promise((r) => setTimeout(r, 1000))
    }
  }
  writeFileSync(join(LOCK, 'pid'), String(process.pid))
  try {
    return await fn()
  } finally {
    rmSync(LOCK, {recursive: true, force: true})
  }
}

const git = (args: string[]) => execa('git', args, {cwd: ROOT, reject: false})
const imageId = async (image: string) => {
  const r = await podman(['image', 'inspect', '--format', '{{.Id}}', image])
  return r.exitCode === 0 ? r.stdout.trim() : undefined
}
const MARKER = join(CACHE, 'lab-images.json')

/** What the images are made of: the committed inputs (tree ids) and both bases (image ids). */
async function buildKey(): Promise<string | undefined> {
  if ((await git(['status', '--porcelain', '--', ...INPUTS])).stdout.trim()) return undefined // uncommitted changes: always build
  const trees = await Promise.all(INPUTS.map(async (p) => (await git(['rev-parse', `HEAD:${p}`])).stdout.trim()))
  return JSON.stringify({trees, build: await imageId(BUILD_BASE), runtime: await imageId(RUNTIME_BASE)})
}

/** The images there now, if the last build here was made of the same inputs and bases, and nobody retagged them. */
async function existing(key: string | undefined): Promise<LabImages | undefined> {
  if (!key || !existsSync(MARKER)) return undefined
  const m = JSON.parse(readFileSync(MARKER, 'utf8')) as {key: string; ids: Record<string, string>; built: LabImages}
  if (m.key !== key) return undefined
  for (const target of ['controller', 'speaker'] as const) if ((await imageId(labImage(target))) !== m.ids[target]) return undefined
  return {...m.built, images: m.built.images.map((i) => ({...i, seconds: 0})), basesSeconds: 0, reused: true}
}

/** Both images of the checked-out revision, built unless they exist already. */
export function labImages(): Promise<LabImages> {
  return locked(async () => {
    const bases = await ensureBases()
    const key = await buildKey()
    const have = await existing(key)
    if (have) return have
    const r = await execa('node', [join(ROOT, 'scripts', 'images.mjs'), '--registry', LAB_REGISTRY, '--tag', LAB_TAG, '--json',
      '--build-arg', `BUILD_IMAGE=${BUILD_BASE}`, '--build-arg', `RUNTIME_IMAGE=${RUNTIME_BASE}`, '--', ...RUN_FLAGS], {reject: false, stdin: 'ignore'})
    if (r.exitCode !== 0) throw new Error(`npm run images failed:\n${r.stderr.slice(-4000)}`)
    const built: LabImages = {...JSON.parse(r.stdout), basesSeconds: bases.seconds, reused: false}
    if (key) writeFileSync(MARKER, JSON.stringify({key, ids: {controller: await imageId(labImage('controller')), speaker: await imageId(labImage('speaker'))}, built}))
    return built
  })
}
