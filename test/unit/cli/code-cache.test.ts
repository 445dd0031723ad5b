// The CLI script's V8 code cache (src/cli/code-cache.ts), with real V8 and real files: a cache is used only for the
// script bytes it was made from, and anything else in its place is ignored, never run.
import {chmodSync, copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, utimesSync, writeFileSync} from 'node:fs'
import {createHash, randomBytes} from 'node:crypto'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, beforeEach, describe, expect, it} from 'vitest'
import {cacheDir, decodeCache, encodeCache, loadScript} from '../../../src/cli/code-cache.js'

// A script of the shape scripts/bundle.mjs writes, with enough code that V8's cache of it is not empty. Each test's
// source is its own: V8 keeps compiled scripts per process and would not even look at a cache for a source it has.
let tag = ''
const script = (v: number): string =>
  `(function (require, module, exports, __filename, __dirname, importMetaUrl, dynamicImport) { // ${tag}\n` +
  `  function fib(n) { return n < 2 ? n : fib(n - 1) + fib(n - 2) }\n` +
  `  module.exports.value = ${v}; module.exports.fib = fib(12); module.exports.url = importMetaUrl\n` +
  `  module.exports.os = () => dynamicImport('node:os').then((m) => typeof m.platform)\n})\n`

describe('code cache', () => {
  let dir: string
  let file: string
  let cache: string
  beforeEach(() => {
    tag = randomBytes(8).toString('hex')
    dir = mkdtempSync(join(tmpdir(), 'lbctl-code-cache-'))
    file = join(dir, 'main.cjs')
    cache = join(dir, 'cache')
    writeFileSync(file, script(1))
  })
  afterEach(() => rmSync(dir, {recursive: true, force: true}))
  const files = (): string[] => readdirSync(cache).filter((f) => f.endsWith('.v8'))

  it('runs the script without a cache, writes one, and the next run uses it', async () => {
    const first = loadScript(file, cache)
    expect(first.status).toBe('none')
    expect(first.exports.value).toBe(1)
    expect(first.exports.fib).toBe(144)
    expect(first.exports.url).toBe(`file://${file}`)
    expect(await (first.exports.os as () => Promise<string>)()).toBe('function')
    expect(first.save('pool:list')).toBe(true)
    expect(files()).toHaveLength(1)
    const header = decodeCache(readFileSync(first.cacheFile!))!.header
    expect(header).toMatchObject({node: process.version, arch: process.arch, keys: ['pool:list']})
    expect(header.sha256).toMatch(/^[0-9a-f]{64}$/)

    const second = loadScript(file, cache)
    expect(second.status).toBe('accepted')
    expect(second.exports.value).toBe(1)
    // covered already: not written again; a command it does not cover yet is added
    expect(second.save('pool:list')).toBe(false)
    expect(second.save('pool:set')).toBe(true)
    expect(decodeCache(readFileSync(second.cacheFile!))!.header.keys).toEqual(['pool:list', 'pool:set'])
  })

  it('never uses the cache of other script bytes, even of the same length', () => {
    const a = loadScript(file, cache)
    a.save('x')
    const cacheOfA = a.cacheFile!
    writeFileSync(file, script(2)) // same length, other code
    const b0 = loadScript(file, cache)
    expect(b0.cacheFile).not.toBe(cacheOfA) // named by the script's hash
    copyFileSync(cacheOfA, b0.cacheFile!) // A's cache where B's would be
    const b = loadScript(file, cache)
    expect(b.status).toBe('invalid')
    expect(b.exports.value).toBe(2)
    expect(b.save('x')).toBe(true) // replaced by B's own
    expect(loadScript(file, cache).status).toBe('accepted')
  })

  it('ignores a truncated or corrupt cache file and replaces it', () => {
    loadScript(file, cache).save('x')
    const [name] = files()
    const path = join(cache, name!)
    const good = readFileSync(path)
    writeFileSync(path, good.subarray(0, 30)) // cut inside the header
    const cut = loadScript(file, cache)
    expect(cut.status).toBe('invalid')
    expect(cut.exports.value).toBe(1)
    // the right header over garbage, for a source this process has not compiled yet: V8's own checks refuse it
    tag = randomBytes(8).toString('hex')
    writeFileSync(file, script(1))
    const sha256 = createHash('sha256').update(readFileSync(file)).digest('hex')
    const {header, data} = decodeCache(good)!
    writeFileSync(join(cache, `main-${sha256.slice(0, 16)}-${process.version}-${process.arch}.v8`), encodeCache({...header, sha256}, Buffer.alloc(data.length, 0x5a)))
    const garbage = loadScript(file, cache)
    expect(garbage.status).toBe('rejected')
    expect(garbage.exports.value).toBe(1)
    expect(garbage.save('x')).toBe(true)
    expect(loadScript(file, cache).status).toBe('accepted')
  })

  it('ignores a cache file others could have written (group- or world-writable)', () => {
    const a = loadScript(file, cache)
    a.save('x')
    chmodSync(a.cacheFile!, 0o666)
    const b = loadScript(file, cache)
    expect(b.status).toBe('invalid')
    expect(b.save('x')).toBe(true) // replaced by one of its own
    expect(statSync(a.cacheFile!).mode & 0o777).toBe(0o600)
    expect(loadScript(file, cache).status).toBe('accepted')
  })

  it('a write removes the caches of other scripts left unwritten for a week, and nothing else', () => {
    loadScript(file, cache).save('x')
    const [ours] = files()
    const old = join(cache, 'main-0123456789abcdef-v20.0.0-x64.v8')
    const recent = join(cache, 'main-fedcba9876543210-v20.0.0-x64.v8')
    const other = join(cache, 'notes.txt')
    for (const f of [old, recent, other]) writeFileSync(f, 'x')
    const weekAgo = new Date(Date.now() - 8 * 24 * 3600 * 1000)
    utimesSync(old, weekAgo, weekAgo)
    utimesSync(other, weekAgo, weekAgo)
    tag = randomBytes(8).toString('hex') // another build of the script
    writeFileSync(file, script(1))
    expect(loadScript(file, cache).save('x')).toBe(true)
    expect(readdirSync(cache).sort()).toEqual([ours!, 'main-fedcba9876543210-v20.0.0-x64.v8', 'notes.txt', ...files().filter((f) => f !== ours && !f.startsWith('main-fedcba'))].sort())
    expect(existsSync(old)).toBe(false)
  })

  it('without a directory there is no cache, and a directory that cannot be written costs only the cache', () => {
    expect(cacheDir({LBCTL_CODE_CACHE: 'off', XDG_CACHE_HOME: '/x'})).toBeUndefined()
    const off = loadScript(file, undefined)
    expect(off.status).toBe('off')
    expect(off.save('x')).toBe(false)
    writeFileSync(cache, 'a file where the directory should be')
    const blocked = loadScript(file, cache)
    expect(blocked.exports.value).toBe(1)
    expect(blocked.save('x')).toBe(false)
  })

  it('lives under $XDG_CACHE_HOME/lbctl, else ~/.cache/lbctl', () => {
    expect(cacheDir({XDG_CACHE_HOME: '/x/cache'})).toBe('/x/cache/lbctl')
    expect(cacheDir({})).toMatch(/\/\.cache\/lbctl$/)
  })

  it('decodes only what it encoded', () => {
    const header = {sha256: 'a'.repeat(64), node: 'v20.0.0', arch: 'x64', keys: ['k']}
    const buf = encodeCache(header, Buffer.from([1, 2, 3]))
    expect(decodeCache(buf)).toEqual({header, data: Buffer.from([1, 2, 3])})
    expect(decodeCache(buf.subarray(0, buf.length - 3))).toBeUndefined() // no code
    expect(decodeCache(Buffer.from('not a cache'))).toBeUndefined()
    expect(decodeCache(encodeCache({...header, keys: [1 as unknown as string]}, Buffer.from([1])))).toBeUndefined()
  })
})
