/**
 * Loads lbctl's CLI script (dist/cli/main.cjs, see scripts/bundle.mjs) with a V8 code cache, so that a run does not
 * parse and compile again what the last runs compiled: the bytecode of oclif, the command registry, the YAML parser,
 * the HTTP client. Node 20 has no module.enableCompileCache, so the script is a classic script compiled with
 * vm.Script and `cachedData`.
 *
 * The cache lives in $XDG_CACHE_HOME/lbctl (default ~/.cache/lbctl, where oclif keeps lbctl's cache too), one file
 * per script and Node version. A cache is used only when its header names the SHA-256 of the script's bytes, this
 * Node version and architecture, and only when the file is the user's own and writable by nobody else (V8 runs what
 * a cache holds); V8 checks its own version and flags on top (`cachedDataRejected`). Anything else — a missing,
 * foreign, truncated or corrupt file — is ignored and replaced after the run. A cache is rewritten after a
 * run of a command it did not cover yet (its header lists the commands it covers), so it ends up holding the code of
 * the commands actually used. Writing is atomic (temporary file, rename) and best effort: a read-only home only costs
 * the speed. A write also removes the caches of other scripts (earlier lbctl builds) left unwritten for a week. LBCTL_CODE_CACHE=off turns it off; DEBUG=lbctl:code-cache says what happened on stderr.
 *
 * Only node built-ins here: this runs before anything else is loaded.
 */
import {createHash} from 'node:crypto'
import {closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {homedir} from 'node:os'
import {dirname, join} from 'node:path'
import {pathToFileURL} from 'node:url'
import vm from 'node:vm'

const MAGIC = 'lbctl-v8-code-cache/1\n'
/** A cache stops growing after this many commands (a bound on rewrites, not on correctness). */
const MAX_KEYS = 64
/** When a cache is written, the caches of other scripts (older lbctl builds) not written for this long go. */
const STALE_MS = 7 * 24 * 3600 * 1000

export interface CacheHeader {
  sha256: string
  node: string
  arch: string
  /** The commands whose runs the cached code covers. */
  keys: string[]
}

export type CacheStatus = 'off' | 'none' | 'invalid' | 'rejected' | 'accepted'

export interface LoadedScript {
  /** What the script put on `module.exports`. */
  exports: Record<string, unknown>
  status: CacheStatus
  /** The cache file used or to be written (undefined when the cache is off). */
  cacheFile?: string
  /**
   * After the run: writes the cache when it was missing, unusable, or did not cover `key` (the command that ran).
   * Returns whether it wrote. Never throws.
   */
  save(key: string): boolean
}

/** The cache directory: $XDG_CACHE_HOME/lbctl, or ~/.cache/lbctl; undefined when LBCTL_CODE_CACHE=off. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (env.LBCTL_CODE_CACHE === 'off') return undefined
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'lbctl')
}

export function encodeCache(header: CacheHeader, data: Buffer): Buffer {
  const h = Buffer.from(JSON.stringify(header))
  const len = Buffer.alloc(4)
  len.writeUInt32BE(h.length)
  return Buffer.concat([Buffer.from(MAGIC), len, h, data])
}

/** The header and code of a cache file, or undefined when it is not one (wrong magic, truncated, bad header). */
export function decodeCache(buf: Buffer): {header: CacheHeader; data: Buffer} | undefined {
  if (buf.length < MAGIC.length + 4 || buf.toString('latin1', 0, MAGIC.length) !== MAGIC) return undefined
  const n = buf.readUInt32BE(MAGIC.length)
  const start = MAGIC.length + 4
  if (start + n > buf.length) return undefined
  let header: CacheHeader
  try {
    header = JSON.parse(buf.toString('utf8', start, start + n)) as CacheHeader
  } catch {
    return undefined
  }
  if (typeof header?.sha256 !== 'string' || typeof header.node !== 'string' || typeof header.arch !== 'string' ||
    !Array.isArray(header.keys) || !header.keys.every((k) => typeof k === 'string')) return undefined
  const data = buf.subarray(start + n)
  return data.length > 0 ? {header, data} : undefined
}

function debug(msg: string): void {
  if (/(^|,)\s*(\*|lbctl[:*]|lbctl:code-cache)/.test(process.env.DEBUG ?? '')) process.stderr.write(`lbctl:code-cache ${msg}\n`)
}

/**
 * The cache file's bytes; undefined when there is none. A file someone else could have written (another owner, or
 * writable by group or others) is `foreign`: V8 runs what a cache holds, so only the user's own file is used.
 */
function readOwn(file: string): Buffer | 'foreign' | undefined {
  let fd: number | undefined
  try {
    fd = openSync(file, 'r')
    const st = fstatSync(fd)
    if ((process.getuid && st.uid !== process.getuid()) || (st.mode & 0o022) !== 0) return 'foreign'
    return readFileSync(fd)
  } catch {
    return undefined
  } finally {
    if (fd !== undefined) closeSync(fd)
  }
}

/** Removes the cache files of other scripts in `dir` that were not written for STALE_MS (best effort). */
function prune(dir: string, keep: string, now = Date.now()): void {
  try {
    for (const f of readdirSync(dir)) {
      const path = join(dir, f)
      if (path === keep || !/^main-[0-9a-f]{16}-.*\.v8$/.test(f)) continue
      if (now - statSync(path).mtimeMs > STALE_MS) rmSync(path, {force: true})
    }
  } catch {
    // another run pruned first, or the directory is not ours to clean: the next write tries again
  }
}

/**
 * Compiles and runs `file`, a script built as `(function (require, module, exports, __filename, __dirname,
 * importMetaUrl, dynamicImport) {…})`, with the code cache in `dir` (undefined: no cache).
 */
export function loadScript(file: string, dir: string | undefined): LoadedScript {
  const bytes = readFileSync(file)
  const sha256 = createHash('sha256').update(bytes).digest('hex')
  const cacheFile = dir ? join(dir, `main-${sha256.slice(0, 16)}-${process.version}-${process.arch}.v8`) : undefined
  let status: CacheStatus = dir ? 'none' : 'off'
  let keys: string[] = []
  let cachedData: Buffer | undefined
  const raw = cacheFile ? readOwn(cacheFile) : undefined
  if (raw === 'foreign') {
    status = 'invalid'
  } else if (raw) {
    const c = decodeCache(raw)
    if (c && c.header.sha256 === sha256 && c.header.node === process.version && c.header.arch === process.arch) {
      cachedData = c.data
      keys = c.header.keys
    } else {
      status = 'invalid'
    }
  }
  const script = new vm.Script(bytes.toString('utf8'), {filename: file, cachedData})
  if (cachedData) status = script.cachedDataRejected ? 'rejected' : 'accepted'
  debug(`${status} ${cacheFile ?? ''}`)

  const url = pathToFileURL(file)
  const mod = {exports: {} as Record<string, unknown>}
  const dynamicImport = (specifier: string): Promise<unknown> =>
    import(specifier.startsWith('.') ? new URL(specifier, url).href : specifier)
  const fn = script.runInThisContext() as (...a: unknown[]) => void
  fn(createRequire(url), mod, mod.exports, file, dirname(file), url.href, dynamicImport)

  return {
    exports: mod.exports, status, cacheFile,
    save(key: string): boolean {
      if (!cacheFile || !dir) return false
      if (status === 'accepted' && (keys.includes(key) || keys.length >= MAX_KEYS)) return false
      const next = status === 'accepted' ? [...keys, key] : [key]
      const tmp = `${cacheFile}.${process.pid}.tmp`
      try {
        const data = script.createCachedData()
        mkdirSync(dir, {recursive: true, mode: 0o700})
        writeFileSync(tmp, encodeCache({sha256, node: process.version, arch: process.arch, keys: next}, data), {mode: 0o600})
        renameSync(tmp, cacheFile)
        debug(`wrote ${cacheFile} (${data.length} bytes; ${next.join(', ')})`)
        prune(dir, cacheFile)
        return true
      } catch (e) {
        debug(`not written: ${(e as Error).message}`)
        try {
          rmSync(tmp, {force: true})
        } catch {
          // nothing was written there either
        }
        return false
      }
    },
  }
}
