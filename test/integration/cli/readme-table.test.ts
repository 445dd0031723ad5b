// The README's command table and conventions table follow the registry: every visible command has a row, and every
// command with --json takes the -o the conventions table promises.
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, expect, it} from 'vitest'
import {COMMANDS} from '../../../src/commands.js'
import {ROOT} from '../helpers.js'

const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
const section = (title: string): string => {
  const start = readme.indexOf(title)
  return readme.slice(start, readme.indexOf('\n## ', start + title.length))
}

describe('README tables', () => {
  it('every visible command has a row in the command table', () => {
    const table = section('## Commands').split('\n').filter((l) => l.startsWith('| `lbctl')).map((l) => l.split(' | ')[0])
    const missing = Object.entries(COMMANDS).filter(([, c]) => !c.hidden).map(([id]) => id.replaceAll(':', ' '))
      .filter((words) => !table.some((row) => new RegExp(`\`(lbctl )?${words}( |\`)`).test(row)))
    expect(missing).toEqual([])
  })

  it('the conventions table names the output formats every --json command takes', () => {
    const conventions = section('## Commands').split('\n').find((l) => l.startsWith('| output |'))
    expect(conventions).toContain('-o table\\|wide\\|json\\|yaml')
    for (const [id, c] of Object.entries(COMMANDS)) {
      if (!(c as {enableJsonFlag?: boolean}).enableJsonFlag) continue
      const output = ({...c.baseFlags, ...c.flags} as Record<string, {options?: readonly string[]} | undefined>).output
      expect(output?.options, id).toEqual(['table', 'wide', 'json', 'yaml'])
    }
  })
})
