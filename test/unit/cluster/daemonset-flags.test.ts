import {describe, expect, it} from 'vitest'
import {readDaemonSetFlags, withIpvsFlags} from '../../../src/lib/cluster/daemonset-flags.js'
import {detectCluster} from '../../../src/lib/cluster/detect.js'
import {kubeadmNodes, kubeProxyConfigMap, kubeProxyDaemonSet} from './fixtures.js'

/** The kubeadm DaemonSet, with kube-proxy's command line replaced. */
const dsWith = (command: string[] | undefined, args?: string[]) => {
  const ds: any = kubeProxyDaemonSet()
  const c = ds.spec.template.spec.containers[0]
  if (command) c.command = command
  else delete c.command
  if (args) c.args = args
  return ds
}
const KP = '/usr/local/bin/kube-proxy'

describe('readDaemonSetFlags', () => {
  it.each([
    ['no mode flag: the default', [KP, '--hostname-override=$(NODE_NAME)'], {mode: '', strictARP: false, written: []}],
    ['--flag=value', [KP, '--proxy-mode=ipvs', '--ipvs-strict-arp=true'], {mode: 'ipvs', strictARP: true, written: ['--proxy-mode=ipvs', '--ipvs-strict-arp=true']}],
    ['--flag value and a bare boolean', [KP, '--proxy-mode', 'ipvs', '--ipvs-strict-arp'], {mode: 'ipvs', strictARP: true, written: ['--proxy-mode ipvs', '--ipvs-strict-arp']}],
    ['single dash, last occurrence wins', [KP, '-proxy-mode=ipvs', '--proxy-mode=iptables', '--ipvs-strict-arp=false'], {mode: 'iptables', strictARP: false}],
  ])('%s', (_name, command, want) => {
    expect(readDaemonSetFlags(dsWith(command))).toMatchObject({container: 'kube-proxy', hasConfig: false, shell: false, ...want})
  })

  it('sees --config and shell command lines', () => {
    expect(readDaemonSetFlags(kubeProxyDaemonSet())).toMatchObject({hasConfig: true, mode: ''})
    expect(readDaemonSetFlags(dsWith(['/bin/sh', '-c', 'kube-proxy --proxy-mode=iptables 1>>/var/log/kube-proxy.log 2>&1']))).toMatchObject({shell: true})
  })

  it('finds kube-proxy in args when command is the image default', () => {
    expect(readDaemonSetFlags(dsWith(undefined, ['--proxy-mode=iptables', '--v=2']))).toMatchObject({mode: 'iptables', hasConfig: false})
  })
})

describe('withIpvsFlags', () => {
  it('replaces the mode where it stands and appends strict ARP, keeping every other flag in order', () => {
    const ds = dsWith([KP, '--proxy-mode=iptables', '--hostname-override=$(NODE_NAME)', '--v=2'])
    const e = withIpvsFlags(ds, {strictARP: true})
    expect(e.changed).toBe(true)
    expect(e.field).toBe('command')
    expect(e.ds.spec.template.spec.containers[0].command).toEqual([KP, '--proxy-mode=ipvs', '--hostname-override=$(NODE_NAME)', '--v=2', '--ipvs-strict-arp=true'])
    // the input is not modified
    expect(ds.spec.template.spec.containers[0].command[1]).toBe('--proxy-mode=iptables')
  })

  it('drops earlier duplicates and rewrites a two-token flag into one', () => {
    const e = withIpvsFlags(dsWith([KP, '--proxy-mode', 'userspace', '--v=2', '--proxy-mode=iptables', '--ipvs-strict-arp=false']), {strictARP: true})
    expect(e.after).toEqual([KP, '--v=2', '--proxy-mode=ipvs', '--ipvs-strict-arp=true'])
  })

  it('appends to args when the flags live there', () => {
    const e = withIpvsFlags(dsWith(undefined, ['--v=2']), {strictARP: true})
    expect(e.field).toBe('args')
    expect(e.ds.spec.template.spec.containers[0].args).toEqual(['--v=2', '--proxy-mode=ipvs', '--ipvs-strict-arp=true'])
  })

  it('changes nothing when already as wanted, in whatever syntax; --no-strict-arp leaves strict ARP alone', () => {
    expect(withIpvsFlags(dsWith([KP, '--proxy-mode', 'ipvs', '--ipvs-strict-arp']), {strictARP: true}).changed).toBe(false)
    const e = withIpvsFlags(dsWith([KP, '--proxy-mode=iptables', '--ipvs-strict-arp=false']), {})
    expect(e.after).toEqual([KP, '--proxy-mode=ipvs', '--ipvs-strict-arp=false'])
  })
})

describe('detectCluster with a DaemonSet configured by flags', () => {
  const obs = (ds: ReturnType<typeof kubeProxyDaemonSet>) => ({nodes: kubeadmNodes(), kubeProxyDaemonSet: ds})

  it('reads mode and strict ARP from the command line, not from a ConfigMap', () => {
    const d = detectCluster(obs(dsWith([KP, '--proxy-mode=iptables'])))
    expect(d.kubeProxy).toMatchObject({runs: 'daemonset', description: 'DaemonSet kube-system/kube-proxy, configured by command-line flags (no --config file)'})
    expect(d.proxyFlags).toEqual({container: 'kube-proxy'})
    expect(d.configRef).toBeUndefined()
    expect(d.configProblem).toBeUndefined()
    expect(d.current).toEqual({mode: 'iptables', effectiveMode: 'iptables', strictARP: false, source: 'command-line flags of DaemonSet kube-system/kube-proxy, container kube-proxy'})
  })

  it('with --config, a --proxy-mode flag is ignored by kube-proxy: the ConfigMap decides, and lbctl warns', () => {
    const ds: any = kubeProxyDaemonSet()
    ds.spec.template.spec.containers[0].command.push('--proxy-mode=ipvs')
    const d = detectCluster({...obs(ds), kubeProxyConfigMap: kubeProxyConfigMap()})
    expect(d.current).toMatchObject({effectiveMode: 'iptables', source: 'ConfigMap kube-system/kube-proxy, key config.conf'})
    expect(d.warnings).toEqual([expect.stringContaining('passes --proxy-mode=ipvs to kube-proxy, which ignores it because it reads --config')])
  })

  it('a shell command line: the mode is not known, and it says why', () => {
    const d = detectCluster(obs(dsWith(['/bin/sh', '-c', 'exec kube-proxy --proxy-mode=iptables'])))
    expect(d.proxyFlags).toBeUndefined()
    expect(d.current).toEqual({source: 'the shell command of DaemonSet kube-system/kube-proxy, container kube-proxy'})
    expect(d.warnings[0]).toMatch(/through a shell/)
  })
})
