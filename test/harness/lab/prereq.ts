// Whether this machine can run the network lab (TESTING.md §2): root, iproute2, and the tools a suite names.
import {execFileSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {fileURLToPath} from 'node:url'
import {loadNative, nativeAvailable} from '../../../src/lib/native/index.js'

export interface LabPrerequisites {
  ok: boolean
  /** What is missing, in words a person can act on (e.g. "root (run as uid 0)", "arping (apt-get install arping)"). */
  missing: string[]
}

/** Debian packages of the tools lab suites ask for, for the hint. */
const PACKAGE_OF: Record<string, string> = {
  ip: 'iproute2', bridge: 'iproute2', arping: 'arping', ndisc6: 'ndisc6', rdisc6: 'ndisc6', tshark: 'tshark',
  tcpdump: 'tcpdump', vtysh: 'frr', bgpd: 'frr', bfdd: 'frr', zebra: 'frr', gobgpd: 'gobgpd', gobgp: 'gobgpd', keepalived: 'keepalived', iptables: 'iptables',
  bird: 'bird2', birdc: 'bird2', ping: 'iputils-ping', openssl: 'openssl', unshare: 'util-linux', mount: 'mount',
  podman: 'podman', runc: 'runc', curl: 'curl', mmdebstrap: 'mmdebstrap',
}

const FRR_DAEMONS = '/usr/lib/frr'

function have(tool: string): boolean {
  try {
    // `command -v` finds binaries in PATH; FRR's daemons live outside it.
    execFileSync('sh', ['-c', `command -v "$1" || test -x ${FRR_DAEMONS}/"$1"`, 'sh', tool], {stdio: 'ignore'})
    return true
  } catch {
    return false
  }
}

/** Root, `ip` with netns support, and each named tool. Never throws. */
export function labPrerequisites(tools: string[] = []): LabPrerequisites {
  const missing: string[] = []
  if (process.platform !== 'linux') missing.push(`Linux (this is ${process.platform})`)
  else if (typeof process.getuid === 'function' && process.getuid() !== 0) missing.push('root (run as uid 0)')
  for (const t of ['ip', ...tools]) {
    if (!have(t)) missing.push(`${t} (apt-get install ${PACKAGE_OF[t] ?? t})`)
  }
  if (missing.length === 0) {
    try {
      execFileSync('ip', ['netns', 'list'], {stdio: 'ignore'})
    } catch {
      missing.push('network namespaces (`ip netns list` failed)')
    }
  }
  return {ok: missing.length === 0, missing}
}

/**
 * For `describe.runIf(requireLab([...], [...missingFrr(), ...]))`: the lab, the named tools, and whatever else the
 * suite needs (the `missing…` checks below). Under CI=true a missing prerequisite throws, so the run fails instead of
 * silently skipping; elsewhere it warns loudly on stderr and returns false.
 */
export function requireLab(tools: string[] = [], also: string[] = []): boolean {
  return requirePrerequisites('lab tests', 'network lab', [...labPrerequisites(tools).missing, ...also])
}

const REPO = fileURLToPath(new URL('../../../', import.meta.url))

/** FRR's bgpd and vtysh (the BGP peer of the lab). */
export const missingFrr = (): string[] =>
  existsSync(`${FRR_DAEMONS}/bgpd`) && existsSync('/usr/bin/vtysh') ? [] : ['FRR bgpd and vtysh (apt-get install frr)']

/** GoBGP's daemon. */
export const missingGobgp = (): string[] =>
  ['/usr/bin/gobgpd', '/usr/local/bin/gobgpd', '/usr/sbin/gobgpd'].some((p) => existsSync(p)) ? [] : ['gobgpd (apt-get install gobgpd)']

/** The native addon (raw sockets, TCP MD5, XDP). */
export const missingNative = (): string[] =>
  nativeAvailable() ? [] : ['the native addon (install g++ make python3, then npm rebuild)']

/** The addon built with XDP support (libbpf headers at build time). */
export const missingXdp = (): string[] => {
  const native = missingNative()
  if (native.length) return native
  return typeof loadNative().XdpArp === 'function' ? [] : ['XDP support in the native addon (built on Linux: npm rebuild)']
}

/** podman with runc (the kubelet stand-in and the image builds; TESTING.md §3). */
export const missingPodman = (): string[] => missingTools(['podman', 'runc'])

/** The bundled CLI that bin/run.js loads (tests that run the binary). */
export const missingBuild = (): string[] =>
  existsSync(`${REPO}dist/cli/main.cjs`) ? [] : ['the built CLI (npm run build)']

/**
 * The same policy for any suite with prerequisites: true when nothing is missing; under CI=true a missing one
 * throws; elsewhere a loud warning on stderr and false (for `describe.runIf`).
 */
export function requirePrerequisites(suites: string, what: string, missing: string[]): boolean {
  if (missing.length === 0) return true
  const msg = `${what} unavailable, missing: ${missing.join(', ')}`
  if (process.env.CI === 'true') throw new Error(`${msg} (CI=true: ${suites} must run; .ci/run installs these)`)
  process.stderr.write(`\n!!! SKIPPING ${suites.toUpperCase()} — ${msg}\n\n`)
  return false
}

/** Tools on PATH, as "tool (apt-get install package)" for each one missing. */
export function missingTools(tools: string[]): string[] {
  return tools.filter((t) => !have(t)).map((t) => `${t} (apt-get install ${PACKAGE_OF[t] ?? t})`)
}
