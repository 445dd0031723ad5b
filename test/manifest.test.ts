import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {describe, expect, it} from 'vitest'
import {COMMANDS} from '../src/commands.js'

// npm test builds first, so dist/ holds what the sources say; the committed manifest must match it.
describe('oclif.manifest.json', () => {
  it('is up to date with the commands (run `npm run build` and commit it)', () => {
    const fresh = execFileSync(process.execPath, ['scripts/manifest.mjs', '--check'], {encoding: 'utf8'})
    expect(readFileSync('oclif.manifest.json', 'utf8')).toBe(fresh)
  })
  it('lists every registered command and nothing else', () => {
    const manifest = JSON.parse(readFileSync('oclif.manifest.json', 'utf8')) as {commands: Record<string, unknown>}
    expect(Object.keys(manifest.commands).sort()).toEqual(Object.keys(COMMANDS).sort())
  })
  it('every command has a summary and examples', () => {
    const manifest = JSON.parse(readFileSync('oclif.manifest.json', 'utf8')) as {commands: Record<string, {summary?: string; description?: string; examples?: string[]}>}
    for (const [id, c] of Object.entries(manifest.commands)) {
      expect(c.summary ?? c.description, id).toBeTruthy()
      expect(c.examples?.length ?? 0, id).toBeGreaterThan(0)
    }
  })
})
