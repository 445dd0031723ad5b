/** Discovery documents (legacy and aggregated v2), /version, and the OpenAPI v3 stubs kubectl's validation needs. */
import {groupVersion, type Registry, type ResourceType} from './registry.js'

const VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch']
const SUB_VERBS: Record<string, string[]> = {
  status: ['get', 'patch', 'update'],
  scale: ['get', 'patch', 'update'],
  proxy: ['create', 'delete', 'get', 'patch', 'update'],
  token: ['create'],
  log: ['get'],
}

export const AGGREGATED_CONTENT_TYPE = 'application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList'

/** Whether the Accept header asks for aggregated discovery (kubectl ≥ 1.30 does, and falls back if not given it). */
export const wantsAggregated = (accept: string | undefined): boolean => /g=apidiscovery\.k8s\.io;\s*v=v2;\s*as=APIGroupDiscoveryList/.test(accept ?? '')

export const versionInfo = (): Record<string, string> => ({
  major: '1',
  minor: '32',
  gitVersion: 'v1.32.0-lbctl-harness',
  gitCommit: '0000000000000000000000000000000000000000',
  gitTreeState: 'clean',
  buildDate: '2024-12-11T00:00:00Z',
  goVersion: 'go1.23.4',
  compiler: 'gc',
  platform: 'linux/amd64',
})

/** The kind a subresource answers with (discovery's responseKind). */
const subresourceKind = (t: ResourceType, s: string): {group: string; version: string; kind: string} => {
  if (s === 'scale') return {group: 'autoscaling', version: 'v1', kind: 'Scale'}
  if (s === 'token') return {group: 'authentication.k8s.io', version: 'v1', kind: 'TokenRequest'}
  if (s === 'proxy') return {group: t.group, version: t.version, kind: `${t.kind}ProxyOptions`}
  return {group: t.group, version: t.version, kind: t.kind}
}

const verbsOf = (rt: ResourceType): string[] => (rt.virtual ? ['create'] : VERBS)

export const apiVersions = (hostPort: string): any => ({
  kind: 'APIVersions',
  versions: ['v1'],
  serverAddressByClientCIDRs: [{clientCIDR: '0.0.0.0/0', serverAddress: hostPort}],
})

const groupEntry = (name: string, versions: string[]) => ({
  name,
  versions: versions.map((v) => ({groupVersion: `${name}/${v}`, version: v})),
  preferredVersion: {groupVersion: `${name}/${versions[0]}`, version: versions[0]},
})

export const apiGroupList = (reg: Registry): any => ({
  kind: 'APIGroupList',
  apiVersion: 'v1',
  groups: [...reg.groups()].filter(([g]) => g !== '').map(([g, vs]) => groupEntry(g, vs)),
})

export const apiGroup = (reg: Registry, group: string): any | undefined => {
  const vs = reg.groups().get(group)
  return vs && group ? {kind: 'APIGroup', apiVersion: 'v1', ...groupEntry(group, vs)} : undefined
}

export const resourceList = (reg: Registry, group: string, version: string): any | undefined => {
  const types = reg.all().filter((t) => t.group === group && t.version === version)
  if (types.length === 0) return undefined
  const resources: any[] = []
  for (const t of types) {
    resources.push({
      name: t.plural,
      singularName: t.singular,
      namespaced: t.namespaced,
      kind: t.kind,
      verbs: verbsOf(t),
      ...(t.shortNames.length ? {shortNames: t.shortNames} : {}),
      ...(t.categories.length ? {categories: t.categories} : {}),
    })
    for (const s of t.subresources) {
      const k = subresourceKind(t, s)
      const gv = k.group === t.group && k.version === t.version ? {} : {group: k.group, version: k.version}
      resources.push({name: `${t.plural}/${s}`, singularName: '', namespaced: t.namespaced, ...gv, kind: k.kind, verbs: SUB_VERBS[s]})
    }
  }
  return {kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources}
}

/** apidiscovery.k8s.io/v2 APIGroupDiscoveryList, for /api (legacy: true) or /apis. */
export const aggregated = (reg: Registry, legacy: boolean): any => {
  const items: any[] = []
  for (const [group, versions] of reg.groups()) {
    if ((group === '') !== legacy) continue
    items.push({
      metadata: {name: group, creationTimestamp: null},
      versions: versions.map((version) => ({
        version,
        resources: reg
          .all()
          .filter((t) => t.group === group && t.version === version)
          .map((t) => ({
            resource: t.plural,
            responseKind: {group, version, kind: t.kind},
            scope: t.namespaced ? 'Namespaced' : 'Cluster',
            singularResource: t.singular,
            verbs: verbsOf(t),
            ...(t.shortNames.length ? {shortNames: t.shortNames} : {}),
            ...(t.categories.length ? {categories: t.categories} : {}),
            ...(t.subresources.length
              ? {
                  subresources: t.subresources.map((s) => ({
                    subresource: s,
                    responseKind: subresourceKind(t, s),
                    verbs: SUB_VERBS[s],
                  })),
                }
              : {}),
          })),
        freshness: 'Current',
      })),
    })
  }
  return {kind: 'APIGroupDiscoveryList', apiVersion: 'apidiscovery.k8s.io/v2', metadata: {}, items}
}

const gvPath = (group: string, version: string): string => (group ? `apis/${group}/${version}` : `api/${version}`)

/** /openapi/v3: one entry per group-version. */
export const openapiIndex = (reg: Registry): any => {
  const paths: Record<string, {serverRelativeURL: string}> = {}
  for (const [group, versions] of reg.groups())
    for (const v of versions) {
      const p = gvPath(group, v)
      paths[p] = {serverRelativeURL: `/openapi/v3/${p}?hash=${reg.all().filter((t) => t.group === group && t.version === v).length}`}
    }
  return {paths}
}

/**
 * /openapi/v3/<gv>: only what kubectl reads — a PATCH operation per kind tagged with its GVK and accepting the
 * `fieldValidation` parameter, so kubectl leaves validation to the server (fieldValidation=Strict) instead of
 * validating on the client against schemas this harness does not have. No request body is declared, so kubectl
 * computes strategic merge patches from its compiled-in types (and JSON merge patches for custom resources).
 */
export const openapiGroupVersion = (reg: Registry, group: string, version: string): any | undefined => {
  const types = reg.all().filter((t) => t.group === group && t.version === version)
  if (types.length === 0) return undefined
  const paths: Record<string, any> = {}
  const params = ['fieldValidation', 'fieldManager', 'dryRun', 'force'].map((name) => ({name, in: 'query', schema: {type: 'string'}}))
  for (const t of types) {
    const base = `/${gvPath(group, version)}${t.namespaced ? '/namespaces/{namespace}' : ''}/${t.plural}/{name}`
    paths[base] = {
      patch: {
        operationId: `patch${t.kind}`,
        'x-kubernetes-action': 'patch',
        'x-kubernetes-group-version-kind': {group, version, kind: t.kind},
        parameters: params,
        responses: {'200': {description: 'OK'}},
      },
    }
  }
  return {
    openapi: '3.0.0',
    info: {title: 'Kubernetes', version: groupVersion({group, version})},
    paths,
    components: {schemas: {}},
  }
}
