// `lbctl bgp probe` input: numbers bounded, passwords counted in bytes and kept out of argv dumps and process lists.
import {mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, describe, expect, it} from 'vitest'
import {runBin} from '../helpers.js'

// 192.0.2.1 (TEST-NET-1) is never dialled: every case here is refused before any connection.
const BASE = ['bgp', 'probe', '--peer-address', '192.0.2.1', '--peer-asn', '64513', '--my-asn', '64512']
const dir = mkdtempSync(join(tmpdir(), 'lbctl-probe-'))
afterAll(() => rmSync(dir, {recursive: true, force: true}))

describe('lbctl bgp probe input', () => {
  it.each([
    [['--timeout', '0'], '--timeout'],
    [['--timeout', '-5'], '--timeout'],
    [['--duration', '-1'], '--duration'],
    [['--duration', '2147484'], '--duration'],
    [['--timeout', '2s', '--duration', '25h'], '--duration'],
  ])('%j is refused before any connection (exit 2, naming the flag)', async (extra, flag) => {
    const r = await runBin([...BASE, ...extra, '--json'])
    expect(r.code, r.stderr).toBe(2)
    expect(JSON.stringify(r.json)).toContain(flag)
  })

  it('a multibyte password of 82 bytes (41 characters) is refused as too long, counting bytes', async () => {
    const r = await runBin([...BASE, '--password', 'é'.repeat(41), '--json'])
    expect(r.code).toBe(2)
    expect(r.json.error.code).toBe('BAD_PASSWORD')
    expect(r.json.error.message).toContain('82 bytes')
  })

  it('with DEBUG=* the password never appears in the output, and a warning says why a flag is a bad place for it', async () => {
    const r = await runBin([...BASE, '--password', 'sekrit-ÄÖ-123', '--timeout', '0'], {DEBUG: '*'})
    expect(r.code).toBe(2)
    expect(r.stdout + r.stderr).not.toContain('sekrit-ÄÖ-123')
    expect(r.stderr).toContain('visible to other users')
  })

  it('--password-file and LBCTL_BGP_PASSWORD are read (and checked) without any warning', async () => {
    const file = join(dir, 'pw')
    writeFileSync(file, `${'x'.repeat(81)}\n`)
    const fromFile = await runBin([...BASE, '--password-file', file, '--json'])
    expect(fromFile.code).toBe(2)
    expect(fromFile.json.error.message).toContain('81 bytes')
    expect(fromFile.stderr).not.toContain('visible to other users')
    const fromEnv = await runBin([...BASE, '--json'], {LBCTL_BGP_PASSWORD: 'y'.repeat(90)})
    expect(fromEnv.code).toBe(2)
    expect(fromEnv.json.error.message).toContain('90 bytes')
    const missingFile = await runBin([...BASE, '--password-file', join(dir, 'nope'), '--json'])
    expect(missingFile.code).toBe(2)
    expect(missingFile.json.error.code).toBe('SECRET_FILE_UNREADABLE')
  })
})
