import {wantedProxyArgs} from './node-args.js'
import type {Detection, Instruction} from './types.js'

export const MICROK8S_ARGS = '/var/snap/microk8s/current/args/kube-proxy'
export const IPVS_MODULES = ['ip_vs', 'ip_vs_rr', 'ip_vs_wrr', 'ip_vs_sh', 'nf_conntrack']

const CONFIG = {k3s: '/etc/rancher/k3s/config.yaml', rke2: '/etc/rancher/rke2/config.yaml'} as const
const SERVICE = {k3s: {server: 'k3s', agent: 'k3s-agent'}, rke2: {server: 'rke2-server', agent: 'rke2-agent'}} as const

/**
 * k3s and RKE2 take kube-proxy flags from `kube-proxy-arg` in their config.yaml on each node; the list below is the
 * node's current list (from its node-args annotation) with proxy-mode and ipvs-strict-arp set, so nothing else is
 * lost. Nodes with the same role and the same list share one instruction.
 */
export function k3sInstructions(det: Detection, dist: 'k3s' | 'rke2', want: {strictARP?: true}): Instruction[] {
  const groups = new Map<string, Instruction>()
  for (const n of det.nodes) {
    const role = n.role === 'server' ? 'server' : 'agent'
    const args = wantedProxyArgs(n.kubeProxyArgs ?? [], want)
    const content = ['kube-proxy-arg:', ...args.map((a) => `  - ${a}`)].join('\n')
    const key = `${role}\n${content}`
    const g = groups.get(key)
    if (g) g.where.push(n.name)
    else {
      groups.set(key, {
        where: [n.name], role, file: CONFIG[dist], content,
        commands: [`sudo systemctl restart ${SERVICE[dist][role]}`],
      })
    }
  }
  // Servers first: restarting them one by one keeps the control plane up while agents follow.
  return [...groups.values()].sort((a, b) => (a.role === b.role ? 0 : a.role === 'server' ? -1 : 1))
}

export function microk8sInstructions(det: Detection, want: {strictARP?: true}): Instruction[] {
  const flags = ['--proxy-mode=ipvs', ...(want.strictARP ? ['--ipvs-strict-arp=true'] : [])]
  const drop = flags.map((f) => `/^${f.split('=')[0]}/d`).join(';')
  return [{
    where: det.nodes.length ? det.nodes.map((n) => n.name) : ['every MicroK8s node'],
    file: MICROK8S_ARGS,
    content: flags.join('\n'),
    commands: [
      // Drop earlier values first, so running this twice leaves one line per flag.
      `sudo sed -i '${drop}' ${MICROK8S_ARGS}`,
      ...flags.map((f) => `echo '${f}' | sudo tee -a ${MICROK8S_ARGS}`),
      'sudo snap restart microk8s.daemon-kubelite',
    ],
  }]
}

/** kube-proxy runs somewhere lbctl cannot see (systemd units, a custom installer). */
export function genericInstructions(want: {strictARP?: true}): Instruction[] {
  return [{
    where: ['every node that runs kube-proxy'],
    content: ['mode: ipvs', ...(want.strictARP ? ['ipvs:', '  strictARP: true'] : [])].join('\n'),
    commands: [
      'set the lines above in the file kube-proxy reads with --config (or pass --proxy-mode=ipvs' + (want.strictARP ? ' --ipvs-strict-arp' : '') + ' when it has no config file), then restart kube-proxy',
      'curl -s http://127.0.0.1:10249/proxyMode   # on the node: prints the mode kube-proxy runs in',
    ],
  }]
}

/** What to tell people whenever the proxy mode changes (seed: "kube-proxy will leave behind old iptables rules"). */
export function modeChangeWarnings(fromMode: string | undefined, how: 'daemonset' | 'juju' | 'machines'): string[] {
  const from = fromMode || 'iptables'
  const cleanup = how === 'juju'
    ? 'wait until the kubernetes-control-plane and kubernetes-worker units have finished processing the change (`juju status` shows them idle), then reboot the machines one at a time'
    : 'reboot the nodes one at a time (drain each first), or run `kube-proxy --cleanup` on each node and restart kube-proxy there'
  return [
    `kube-proxy leaves the ${from} mode's rules behind when its mode changes, and they are no longer valid; to clean them up, ${cleanup}`,
    `IPVS mode needs the kernel modules ${IPVS_MODULES.join(', ')} on every node (check: \`lsmod | grep ip_vs\`; load: \`sudo modprobe -a ${IPVS_MODULES.join(' ')}\`; keep them loaded across reboots through /etc/modules-load.d/)`,
  ]
}
