// Key files as a mounted Secret changes them: an atomic symlink swap of `..data` in the directory.
import {mkdirSync, mkdtempSync, renameSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterEach, describe, expect, it} from 'vitest'
import {deriveKey} from '../../../../src/speaker/membership/auth.js'
import {type KeyLoad, KeyFiles, loadKeys} from '../../../../src/speaker/membership/keyfile.js'

let files: KeyFiles | undefined
afterEach(() => files?.stop())

/** What kubelet's atomic writer does: write a new timestamped dir, point `..data` at it with a rename. */
function mountSecret(dir: string, version: string, data: Record<string, string>): void {
  const ts = join(dir, `..${version}`)
  mkdirSync(ts)
  for (const [k, v] of Object.entries(data)) writeFileSync(join(ts, k), v)
  symlinkSync(`..${version}`, join(dir, '..data_tmp'))
  renameSync(join(dir, '..data_tmp'), join(dir, '..data'))
  for (const k of Object.keys(data)) {
    try {
      symlinkSync(join('..data', k), join(dir, k))
    } catch {
      // exists already: it points through ..data
    }
  }
}

function nextChange(f: KeyFiles, timeoutMs: number): Promise<KeyLoad> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no key change within ${timeoutMs} ms`)), timeoutMs)
    f.once('change', (k) => {
      clearTimeout(t)
      resolve(k)
    })
  })
}

describe('memberlist key files', () => {
  it('names the problem when there is no key', async () => {
    expect((await loadKeys(undefined)).problem).toMatch(/--memberlist-key-file/)
    const dir = mkdtempSync(join(tmpdir(), 'lbctl-key-'))
    writeFileSync(join(dir, 'empty'), '\n')
    expect((await loadKeys(join(dir, 'empty'))).problem).toMatch(/is empty/)
    expect((await loadKeys(join(dir, 'absent'))).problem).toMatch(/ENOENT/)
    writeFileSync(join(dir, 'k'), 'abc')
    expect((await loadKeys(join(dir, 'k'), join(dir, 'absent'))).ring).toEqual({current: deriveKey(Buffer.from('abc')), previous: undefined})
  })

  it('sees a Secret update (symlink swap) through the directory watch', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lbctl-key-'))
    mountSecret(dir, 'v1', {secretkey: 'one', previoussecretkey: ''})
    files = new KeyFiles({current: join(dir, 'secretkey'), previous: join(dir, 'previoussecretkey'), pollMs: 3_600_000})
    const first = await files.start()
    expect(first.ring?.current.equals(deriveKey(Buffer.from('one'))!)).toBe(true)
    const change = nextChange(files, 10_000)
    mountSecret(dir, 'v2', {secretkey: 'two', previoussecretkey: 'one'})
    const k = await change
    expect(k.ring?.current.equals(deriveKey(Buffer.from('two'))!)).toBe(true)
    expect(k.ring?.previous?.equals(deriveKey(Buffer.from('one'))!)).toBe(true)
  })

  it('finds a key that appears later (directory not there at start) by polling', async () => {
    const base = mkdtempSync(join(tmpdir(), 'lbctl-key-'))
    const dir = join(base, 'ml_secret_key')
    files = new KeyFiles({current: join(dir, 'secretkey'), pollMs: 50})
    expect((await files.start()).problem).toMatch(/ENOENT/)
    const change = nextChange(files, 10_000)
    mkdirSync(dir)
    mountSecret(dir, 'v1', {secretkey: 'late'})
    expect((await change).ring?.current.equals(deriveKey(Buffer.from('late'))!)).toBe(true)
    rmSync(base, {recursive: true, force: true})
  })
})
