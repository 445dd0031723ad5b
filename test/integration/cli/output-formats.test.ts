// `-o yaml` wherever `--json` is: every command in the registry that prints --json takes -o/--output with yaml, and
// the YAML is the same data as the JSON (the built binary against the API harness).
import {afterAll, beforeAll, describe, expect, it} from 'vitest'
import {parse as parseYaml} from 'yaml'
import {COMMANDS} from '../../../src/commands.js'
import {type Cluster, lbService, runBin, startCluster} from '../helpers.js'

describe('-o yaml wherever --json is', () => {
  it('every command with --json has -o/--output with json and yaml (flag level, from the registry)', () => {
    const withJson = Object.entries(COMMANDS).filter(([, c]) => (c as {enableJsonFlag?: boolean}).enableJsonFlag)
    expect(withJson.map(([id]) => id)).toEqual(expect.arrayContaining(['bgp:probe', 'l2:probe', 'doctor', 'status', 'pool:list', 'peer:add', 'install', 'prepare', 'config:import']))
    const missing = withJson.filter(([, c]) => {
      const output = ({...c.baseFlags, ...c.flags} as Record<string, {char?: string; options?: readonly string[]} | undefined>).output
      return output?.char !== 'o' || !output.options?.includes('yaml') || !output.options.includes('json')
    })
    expect(missing.map(([id]) => id)).toEqual([])
  })

  describe('the YAML is the JSON', () => {
    let c: Cluster
    const both = async (...args: string[]) => {
      const [j, y] = [await runBin([...args, '--json', '--kubeconfig', c.kubeconfig]), await runBin([...args, '-o', 'yaml', '--kubeconfig', c.kubeconfig])]
      expect([j.code, y.code], j.stderr + y.stderr).toEqual([0, 0])
      return {json: j.json, yaml: parseYaml(y.stdout)}
    }
    beforeAll(async () => {
      c = await startCluster()
      const r = await runBin(['pool', 'set', 'web', '203.0.113.0/29', '2001:db8:ffff::/64', '--kubeconfig', c.kubeconfig])
      expect(r.code, r.stderr).toBe(0)
      c.server.store.put(lbService('web', '203.0.113.1'))
    })
    afterAll(() => c.close())

    it.each([
      [['pool', 'list']],
      [['pool', 'show', 'web']],
      [['pool', 'set', 'web', '203.0.113.0/29', '2001:db8:ffff::/64']],
      [['peer', 'list']],
      [['status']],
      [['bgp', 'status']],
      [['uninstall', '--dry-run', '--force']],
    ])('%j', async (args) => {
      const {json, yaml} = await both(...args)
      expect(json).toBeTypeOf('object')
      expect(yaml).toEqual(json)
    })

    it('a failure: -o yaml prints the error --json prints (and the message on stderr), same exit code', async () => {
      const [j, y] = [await runBin(['pool', 'show', 'nope', '--json', '--kubeconfig', c.kubeconfig]), await runBin(['pool', 'show', 'nope', '-o', 'yaml', '--kubeconfig', c.kubeconfig])]
      expect([j.code, y.code]).toEqual([2, 2])
      expect(parseYaml(y.stdout)).toEqual(j.json)
      expect(j.json.error.code).toBe('POOL_NOT_FOUND')
      expect(y.stderr).toContain('there is no pool "nope"')
    })
  })
})
