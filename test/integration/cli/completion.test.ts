// Shell completion (issue 17): the scripts `lbctl completion bash|zsh|fish` print, run in the real shells against the
// API harness, complete commands, flags, flag values and the names of the pools in the cluster.
import {execFile} from 'node:child_process'
import {mkdirSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {requirePrerequisites, missingTools} from '../../harness/lab/index.js'
import {BIN, type Cluster, runBin, startCluster} from '../helpers.js'

const run = promisify(execFile)

describe('lbctl completion', () => {
  let c: Cluster
  let env: NodeJS.ProcessEnv
  let bashScript: string
  beforeAll(async () => {
    c = await startCluster()
    // `lbctl` on PATH, as the scripts call it (they run the command being completed).
    const bin = join(c.dir, 'bin')
    mkdirSync(bin)
    symlinkSync(BIN, join(bin, 'lbctl'))
    env = {...process.env, PATH: `${bin}:${process.env.PATH}`, KUBECONFIG: c.kubeconfig, NO_COLOR: '1'}
    for (const [name, addr] of [['alpha', '203.0.113.0/29'], ['beta', '203.0.113.8/29']]) {
      const r = await runBin(['pool', 'set', name, addr, '--advertise', 'none', '--kubeconfig', c.kubeconfig])
      expect(r.code, r.stderr).toBe(0)
    }
    // A pool in another namespace: completed only when -n names it.
    c.server.store.put({apiVersion: 'v1', kind: 'Namespace', metadata: {name: 'lb'}})
    c.server.store.put({apiVersion: 'metallb.io/v1beta1', kind: 'IPAddressPool', metadata: {name: 'gamma', namespace: 'lb'}, spec: {addresses: ['198.51.100.0/28']}})
    const script = await runBin(['completion', 'bash'])
    expect(script.code, script.stderr).toBe(0)
    bashScript = join(c.dir, 'lbctl.bash')
    writeFileSync(bashScript, script.stdout)
  })
  afterAll(() => c.close())

  /** Complete `line` (the cursor at its end) with the bash function, as bash's programmable completion calls it. */
  const bash = async (line: string): Promise<string[]> => {
    const words = line.split(' ')
    const prog = `source "$1"; COMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _lbctl_complete; printf '%s\\n' "\${COMPREPLY[@]}"`
    const {stdout} = await run('bash', ['-c', prog, 'bash', bashScript], {env})
    return stdout.split('\n').filter(Boolean).sort()
  }

  it('__complete pools lists the pools of the namespace, one per line', async () => {
    const r = await runBin(['__complete', 'pools'], {KUBECONFIG: c.kubeconfig})
    expect(r.code, r.stderr).toBe(0)
    expect(r.stdout.trim().split('\n')).toEqual(['alpha', 'beta'])
    expect((await runBin(['__complete', 'pools', '-n', 'lb'], {KUBECONFIG: c.kubeconfig})).stdout.trim()).toBe('gamma')
    // hidden from help
    expect((await runBin(['--help'])).stdout).not.toContain('__complete')
  })

  it('bash: commands, subcommands, flags, flag values, and pool names from the cluster', async () => {
    expect(await bash('lbctl po')).toEqual(['pool'])
    expect(await bash('lbctl pool ')).toEqual(['add', 'list', 'remove', 'set', 'show'])
    expect(await bash('lbctl pool show ')).toEqual(['alpha', 'beta'])
    expect(await bash('lbctl pool remove b')).toEqual(['beta'])
    expect(await bash('lbctl pool set ')).toEqual(['alpha', 'beta'])
    expect(await bash('lbctl -n lb pool show ')).toEqual(['gamma'])
    expect(await bash('lbctl pool show --namespace lb ')).toEqual(['gamma'])
    // the name is the first argument only
    expect(await bash('lbctl pool set alpha ')).toEqual([])
    expect(await bash('lbctl pool list -o ')).toEqual(['json', 'table', 'wide', 'yaml'])
    expect(await bash('lbctl pool set --advertise ')).toEqual(['bgp', 'l2', 'none'])
    expect(await bash('lbctl pool set --no-a')).toEqual(['--no-auto-assign', '--no-avoid-buggy-ips'])
    expect(await bash('lbctl l2 probe --')).toContain('--interface')
  })

  it('zsh: a #compdef script that reuses the bash rules through bashcompinit', async () => {
    const script = await runBin(['completion', 'zsh'])
    expect(script.code).toBe(0)
    expect(script.stdout).toMatch(/^#compdef lbctl/)
    expect(script.stdout).toContain('bashcompinit')
  })

  describe.runIf(requirePrerequisites('zsh completion test', 'zsh', missingTools(['zsh'])))('zsh', () => {
    // bashcompinit calls the function under sh emulation (0-based arrays), as `emulate sh` does here.
    it('the script loads in a real zsh, registers the completion, and completes pool names', async () => {
      const file = join(c.dir, '_lbctl')
      writeFileSync(file, (await runBin(['completion', 'zsh'])).stdout)
      const prog = 'autoload -U compinit && compinit -u && source "$1" && echo "${_comps[lbctl]}" && emulate sh -c \'COMP_WORDS=(lbctl pool show ""); COMP_CWORD=3; _lbctl_complete; print -l "${COMPREPLY[@]}"\''
      const {stdout} = await run('zsh', ['-f', '-c', prog, 'zsh', file], {env})
      expect(stdout.trim().split('\n')).toEqual(['_bash_complete -F _lbctl_complete', 'alpha', 'beta'])
    })
  })

  describe.runIf(requirePrerequisites('fish completion test', 'fish', missingTools(['fish'])))('fish', () => {
    it('commands, flags with descriptions, flag values, and pool names from the cluster', async () => {
      const script = await runBin(['completion', 'fish'])
      expect(script.code, script.stderr).toBe(0)
      const file = join(c.dir, 'lbctl.fish')
      writeFileSync(file, script.stdout)
      const fish = async (line: string): Promise<string[]> => {
        const {stdout} = await run('fish', ['--no-config', '-c', 'source $argv[1]; complete -C $argv[2]', file, line], {env})
        return stdout.split('\n').filter(Boolean).map((l) => l.split('\t')[0]).sort()
      }
      expect(await fish('lbctl pool ')).toEqual(['add', 'list', 'remove', 'set', 'show'])
      expect(await fish('lbctl pool show ')).toEqual(['alpha', 'beta'])
      expect(await fish('lbctl -n lb pool remove ')).toEqual(['gamma'])
      expect(await fish('lbctl pool list -o ')).toEqual(['json', 'table', 'wide', 'yaml'])
      expect(await fish('lbctl pool set --adv')).toEqual(['--advertise'])
      const described = (await run('fish', ['--no-config', '-c', 'source $argv[1]; complete -C $argv[2]', file, 'lbctl po'], {env})).stdout
      expect(described).toMatch(/^pool\tManage address pools/m)
    })
  })
})
