// The README runs as written: every shell block marked `<!-- readme-test: run -->` runs verbatim, in order, in one
// bash with `set -e`, with lbctl on PATH (a temporary bin directory), TMPDIR a scratch directory and the working
// directory the clone's top (the blocks use dist/ and bin/ as a reader would). Each block's output must contain the
// lines of the `<!-- readme-test: output -->` block that follows it. Needs the built tree (`npm run build`, which
// `npm test` runs first) and kubectl.
import {spawn} from 'node:child_process'
import {existsSync, readFileSync} from 'node:fs'
import {mkdir, mkdtemp, readdir, rm, symlink} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {missingTools, requirePrerequisites} from '../harness/lab/prereq.js'
import {poll} from '../harness/poll.js'
import {BIN, ROOT} from './helpers.js'

interface Block {
  script: string
  expected: string[]
}

/** The run blocks of a README and the expected output after each (lines, trailing blanks trimmed). */
export function readmeBlocks(markdown: string): Block[] {
  const blocks: Block[] = []
  const re = /<!-- readme-test: (run|output) -->\n```[a-z]*\n([\s\S]*?)```/g
  for (const m of markdown.matchAll(re)) {
    if (m[1] === 'run') blocks.push({script: m[2]!, expected: []})
    else if (blocks.length > 0) blocks[blocks.length - 1]!.expected.push(...m[2]!.split('\n').map((l) => l.trimEnd()).filter((l) => l !== ''))
  }
  return blocks
}

const marker = (i: number) => `::readme-block-${i}-done::`

describe.runIf(requirePrerequisites('README test', 'kubectl', missingTools(['kubectl'])))('README.md runs as written', () => {
  let dir: string
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lbctl-readme-'))
    await mkdir(join(dir, 'bin'))
    await mkdir(join(dir, 'tmp'))
    await symlink(BIN, join(dir, 'bin', 'lbctl'))
  })
  afterAll(async () => rm(dir, {recursive: true, force: true}))

  it('finds the blocks of "Try it without a cluster"', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8')
    const section = readme.slice(readme.indexOf('## Try it without a cluster'), readme.indexOf('\n## ', readme.indexOf('## Try it without a cluster') + 1))
    expect(readmeBlocks(section).length).toBeGreaterThanOrEqual(3)
    // Every sh block of the section is either run or explicitly set up by the test.
    expect(section.match(/```sh/g)!.length).toBe(readmeBlocks(section).length + (section.match(/readme-test: setup/g)?.length ?? 0))
  })

  it('runs every marked block in order, with the documented output, and stops what it started', async () => {
    expect(existsSync(join(ROOT, 'dist/test/harness/apiserver/main.js')), 'dist/ is built (npm run build)').toBe(true)
    const blocks = readmeBlocks(readFileSync(join(ROOT, 'README.md'), 'utf8'))
    const script = ['set -e', ...blocks.map((b, i) => `${b.script}\necho '${marker(i)}'`)].join('\n')
    const child = spawn('bash', ['-c', script], {
      cwd: ROOT,
      detached: true, // its own process group, killed whole below whatever the README's own `kill` did
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {...process.env, PATH: `${join(dir, 'bin')}:${process.env.PATH}`, TMPDIR: join(dir, 'tmp'), KUBECONFIG: join(dir, 'none'), NO_COLOR: '1'},
    })
    let out = ''
    let err = ''
    child.stdout!.on('data', (d) => (out += d))
    child.stderr!.on('data', (d) => (err += d))
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    try {
      expect({code, err}).toMatchObject({code: 0})
      let rest = out
      for (const [i, b] of blocks.entries()) {
        const end = rest.indexOf(marker(i))
        expect(end, `block ${i} finished:\n${b.script}\nstdout:\n${out}\nstderr:\n${err}`).toBeGreaterThanOrEqual(0)
        const got = rest.slice(0, end).split('\n').map((l) => l.trimEnd())
        for (const line of b.expected) expect(got, `block ${i}:\n${b.script}`).toContain(line)
        rest = rest.slice(end + marker(i).length)
      }
      // The stop block stopped the harness: it removes its pid file as it exits.
      const scratch = await readdir(join(dir, 'tmp'))
      expect(scratch.length).toBe(1)
      const pidFile = join(dir, 'tmp', scratch[0]!, 'harness.pid')
      await poll(() => !existsSync(pidFile), {what: 'the harness to remove its pid file', timeoutMs: 10_000, intervalMs: 100})
      expect(existsSync(pidFile), 'the harness stopped').toBe(false)
    } finally {
      try {
        process.kill(-child.pid!, 'SIGKILL') // whatever the README's own `kill` left
      } catch {
        // the group is gone: the README stopped everything it started
      }
    }
  }, 90_000)
})
