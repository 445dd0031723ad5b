// Everything install applies, in the order it applies it, generated from typed objects (no hand-kept YAML).
import {randomBytes} from 'node:crypto'
import type {V1ConfigMap, V1Namespace, V1Secret} from '@kubernetes/client-node'
import {stringify} from 'yaml'
import {crdManifests} from '../api/crds.js'
import {type InstallMode, Names, objectLabels, PART_OF} from './names.js'
import {rbacFor, serviceAccount} from './rbac.js'
import {controllerDeployment, speakerDaemonSet, type WorkloadOptions} from './workloads.js'

export interface Manifest {
  apiVersion: string
  kind: string
  metadata: {name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string>}
  [key: string]: unknown
}

/** The phases of an install or upgrade, in order: CRDs first, then the controller, then the speakers. */
export type Phase = 'namespace' | 'crds' | 'access' | 'config' | 'controller' | 'speaker'

export interface Planned {
  phase: Phase
  object: Manifest
  /** Secrets: the data must never be printed. */
  secret?: boolean
}

export interface InstallRecord {
  mode: InstallMode
  version: string
  installedAt: string
}

export interface ManifestOptions extends WorkloadOptions {
  mode: InstallMode
  version: string
  /** When the install record was first written (kept across runs so a second run changes nothing). */
  installedAt: string
  /** The memberlist key to create; undefined when the Secret exists already (it is never regenerated). */
  memberlistKey?: string
}

/** A fresh memberlist key, as MetalLB makes it (`openssl rand -base64 128`). */
export const newMemberlistKey = (): string => randomBytes(128).toString('base64')

export function namespaceManifest(namespace: string): V1Namespace {
  // The speaker needs host networking and capabilities: the privileged Pod Security level (as MetalLB's namespace).
  const level = 'privileged'
  return {
    apiVersion: 'v1', kind: 'Namespace',
    metadata: {
      name: namespace,
      labels: {
        ...PART_OF,
        'pod-security.kubernetes.io/enforce': level,
        'pod-security.kubernetes.io/audit': level,
        'pod-security.kubernetes.io/warn': level,
      },
    },
  }
}

export function memberlistSecret(namespace: string, key: string): V1Secret {
  return {
    apiVersion: 'v1', kind: 'Secret', type: 'Opaque',
    metadata: {name: Names.memberlistSecret, namespace, labels: objectLabels('speaker')},
    data: {[Names.memberlistKey]: Buffer.from(key).toString('base64')},
  }
}

export function installRecord(namespace: string, r: InstallRecord): V1ConfigMap {
  return {
    apiVersion: 'v1', kind: 'ConfigMap',
    metadata: {name: Names.installRecord, namespace, labels: {...objectLabels()}},
    data: {mode: r.mode, version: r.version, installedAt: r.installedAt},
  }
}

/** The load balancer itself (not pools or peers), in apply order. */
export function planManifests(o: ManifestOptions): Planned[] {
  const out: Planned[] = [{phase: 'namespace', object: namespaceManifest(o.namespace) as Manifest}]
  for (const crd of crdManifests()) out.push({phase: 'crds', object: crd as Manifest})
  for (const c of ['controller', 'speaker'] as const) {
    out.push({phase: 'access', object: serviceAccount(c, o.namespace) as Manifest})
    for (const r of rbacFor(c, o.namespace)) out.push({phase: 'access', object: r as Manifest})
  }
  if (o.memberlistKey !== undefined) out.push({phase: 'config', object: memberlistSecret(o.namespace, o.memberlistKey) as Manifest, secret: true})
  out.push({phase: 'config', object: installRecord(o.namespace, {mode: o.mode, version: o.version, installedAt: o.installedAt}) as Manifest})
  out.push({phase: 'controller', object: controllerDeployment(o) as Manifest})
  out.push({phase: 'speaker', object: speakerDaemonSet(o) as Manifest})
  return out
}

export const REDACTED = 'REDACTED'

/** A Secret with every value replaced (still valid base64, so the printed YAML can be fed to kubectl). */
export function redact(m: Manifest): Manifest {
  if (m.kind !== 'Secret') return m
  const data = (m.data ?? {}) as Record<string, string>
  const stringData = m.stringData as Record<string, string> | undefined
  const red = Buffer.from(REDACTED).toString('base64')
  const out: Manifest = {...m, data: Object.fromEntries(Object.keys({...data, ...stringData}).map((k) => [k, red]))}
  delete out.stringData
  return out
}

/** `-o yaml`: a multi-document stream, Secret data redacted (with a comment saying so). */
export function toYamlStream(objects: Planned[]): string {
  return objects
    .map((p) => {
      const body = stringify(p.secret ? redact(p.object) : p.object, {lineWidth: 0})
      return (p.secret ? `# ${p.object.metadata.name}: data redacted (values are never printed)\n` : '') + body
    })
    .map((doc) => `---\n${doc}`)
    .join('')
}
