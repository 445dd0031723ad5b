// The Charmed MetalLB operator's setting `iprange` and the objects the charm makes from it. Pure.
// charmed-kubernetes/metallb-operator src/charm.py: the value is stripped of all whitespace, split on ",", and each
// item is a start-end range or a CIDR (Python's ipaddress.ip_network, strict: host bits set are refused); the charm
// applies IPAddressPool and L2Advertisement named `<model>-<app>` (field manager: the application's name).
import {parseRange, NetParseError, formatIP} from '../../net/index.js'
import {LegacyConfigError} from './errors.js'

/** The charm's applications, newest first: `metallb` (1.28+), `metallb-controller` (the older pair of charms). */
export const CHARM_APPS = ['metallb', 'metallb-controller'] as const

/** The pool (and L2Advertisement) name the charm uses. */
export const charmObjectName = (model: string, app: string): string => `${model}-${app}`

/** Parse `iprange` as the charm does; the result is in IPAddressPool spec form. @throws LegacyConfigError. */
export function parseCharmIprange(value: string, app: string): string[] {
  const path = `juju config ${app} iprange`
  const stripped = value.replace(/\s+/g, '')
  if (stripped === '') throw new LegacyConfigError('LEGACY_MISSING', path, 'is empty: the charm has no addresses to carry over', `Set it first: \`juju config ${app} iprange=192.168.1.88-192.168.1.89\`.`)
  return stripped.split(',').map((item, i) => {
    try {
      const r = parseRange(item)
      if (r.kind === 'single') return r.canonical
      return r.kind === 'range' ? `${formatIP({family: r.family, value: r.start})}-${formatIP({family: r.family, value: r.end})}` : r.canonical
    } catch (e) {
      if (e instanceof NetParseError) throw new LegacyConfigError('LEGACY_VALUE', `${path}[${i}]`, `${e.message} (the charm would refuse it too)`, e.hint)
      throw e
    }
  })
}
