import {GROUP, LBCTL_GROUP} from './constants.js'
import {arr, bool, cel, conditions, duration, int, int32, int64, labelSelector, obj, type Schema, str, uint32} from './schema.js'

// Intra-object rules live here (schema + CEL), since lbctl runs no admission webhook (ARCHITECTURE.md).

const ipAddressPoolSpec = obj(
  {
    addresses: arr(str({minLength: 1}), {minItems: 1, description: 'CIDRs (a.b.c.d/n), ranges (a-b) or single addresses, IPv4 or IPv6.'}),
    autoAssign: bool({default: true}),
    avoidBuggyIPs: bool({default: false}),
    serviceAllocation: obj({
      priority: int({minimum: 0}),
      namespaces: arr(str()),
      namespaceSelectors: arr(labelSelector),
      serviceSelectors: arr(labelSelector),
    }),
  },
  {required: ['addresses']},
)

const poolSelection = {
  ipAddressPools: arr(str()),
  ipAddressPoolSelectors: arr(labelSelector),
  nodeSelectors: arr(labelSelector),
  serviceSelectors: arr(labelSelector),
}

const l2AdvertisementSpec = obj({
  ...poolSelection,
  interfaces: arr(str()),
  preferredNodeSelectors: arr(obj({weight: int32({minimum: 1, maximum: 100}), preference: labelSelector}, {required: ['weight', 'preference']})),
})

const bgpAdvertisementSpec = obj({
  ...poolSelection,
  aggregationLength: int32({minimum: 0, maximum: 32, default: 32}),
  aggregationLengthV6: int32({minimum: 0, maximum: 128, default: 128}),
  localPref: uint32(),
  communities: arr(str()),
  peers: arr(str()),
})

function bgpPeerSpec(version: 'v1beta1' | 'v1beta2'): Schema {
  const props: Record<string, Schema> = {
    myASN: uint32(),
    peerASN: uint32(),
    peerAddress: str(),
    sourceAddress: str(),
    peerPort: int({minimum: 0, maximum: 16384 * 4 - 1, default: 179}),
    holdTime: duration(),
    keepaliveTime: duration(),
    routerID: str(),
    nodeSelectors: arr(labelSelector),
    password: str(),
    bfdProfile: str(),
    ebgpMultiHop: bool(),
    vrf: str(),
  }
  if (version === 'v1beta2') {
    Object.assign(props, {
      dynamicASN: str({enum: ['internal', 'external']}),
      localASN: uint32(),
      interface: str(),
      connectTime: duration(),
      passwordSecret: obj({name: str(), namespace: str()}, {'x-kubernetes-map-type': 'atomic'}),
      enableGracefulRestart: bool(),
      disableMP: bool({default: false}),
      dualStackAddressFamily: bool({default: false}),
    })
  }
  const rules =
    version === 'v1beta2'
      ? [
          cel('!(has(self.peerASN) && has(self.dynamicASN))', 'peerASN and dynamicASN are mutually exclusive'),
          cel('has(self.peerASN) || has(self.dynamicASN)', 'one of peerASN or dynamicASN is required'),
          cel('has(self.peerAddress) != has(self.interface)', 'exactly one of peerAddress or interface is required'),
          cel('!(has(self.password) && has(self.passwordSecret))', 'password and passwordSecret are mutually exclusive'),
        ]
      : []
  return obj(props, {
    required: version === 'v1beta2' ? ['myASN'] : ['myASN', 'peerASN', 'peerAddress'],
    ...(rules.length > 0 ? {'x-kubernetes-validations': rules} : {}),
  })
}

const communitySpec = obj({
  communities: arr(obj({name: str({minLength: 1}), value: str({pattern: '^(\\d+:\\d+|large:\\d+:\\d+:\\d+)$'})}, {required: ['name', 'value']})),
})

const bfdProfileSpec = obj({
  receiveInterval: int32({minimum: 10, maximum: 60000, default: 300}),
  transmitInterval: int32({minimum: 10, maximum: 60000, default: 300}),
  detectMultiplier: int32({minimum: 2, maximum: 255, default: 3}),
  echoInterval: int32({minimum: 10, maximum: 60000, default: 50}),
  echoMode: bool(),
  passiveMode: bool(),
  minimumTtl: int32({minimum: 1, maximum: 254}),
})

const serviceStatusCommon = {node: str(), serviceName: str(), serviceNamespace: str()}

interface KindDef {
  kind: string
  plural: string
  singular?: string
  shortNames?: string[]
  group?: string
  versions: Array<{name: string; storage: boolean; spec?: Schema; status?: Schema; columns?: Array<{name: string; type: string; jsonPath: string}>}>
}

const kinds: KindDef[] = [
  {
    kind: 'IPAddressPool',
    plural: 'ipaddresspools',
    shortNames: ['ipp'],
    versions: [
      {
        name: 'v1beta1',
        storage: true,
        spec: ipAddressPoolSpec,
        status: obj({assignedIPv4: int64(), assignedIPv6: int64(), availableIPv4: int64(), availableIPv6: int64()}),
        columns: [
          {name: 'Auto Assign', type: 'boolean', jsonPath: '.spec.autoAssign'},
          {name: 'Avoid Buggy IPs', type: 'boolean', jsonPath: '.spec.avoidBuggyIPs'},
          {name: 'Addresses', type: 'string', jsonPath: '.spec.addresses'},
        ],
      },
    ],
  },
  {kind: 'L2Advertisement', plural: 'l2advertisements', shortNames: ['l2adv'], versions: [{name: 'v1beta1', storage: true, spec: l2AdvertisementSpec}]},
  {kind: 'BGPAdvertisement', plural: 'bgpadvertisements', shortNames: ['bgpadv'], versions: [{name: 'v1beta1', storage: true, spec: bgpAdvertisementSpec}]},
  {
    kind: 'BGPPeer',
    plural: 'bgppeers',
    versions: [
      {name: 'v1beta1', storage: false, spec: bgpPeerSpec('v1beta1')},
      {
        name: 'v1beta2',
        storage: true,
        spec: bgpPeerSpec('v1beta2'),
        columns: [
          {name: 'Address', type: 'string', jsonPath: '.spec.peerAddress'},
          {name: 'ASN', type: 'string', jsonPath: '.spec.peerASN'},
          {name: 'BFD Profile', type: 'string', jsonPath: '.spec.bfdProfile'},
        ],
      },
    ],
  },
  {kind: 'Community', plural: 'communities', versions: [{name: 'v1beta1', storage: true, spec: communitySpec}]},
  {kind: 'BFDProfile', plural: 'bfdprofiles', versions: [{name: 'v1beta1', storage: true, spec: bfdProfileSpec}]},
  {
    kind: 'ServiceL2Status',
    plural: 'servicel2statuses',
    versions: [{name: 'v1beta1', storage: true, spec: obj({}), status: obj({...serviceStatusCommon, interfaces: arr(obj({name: str()}))})}],
  },
  {
    kind: 'ServiceBGPStatus',
    plural: 'servicebgpstatuses',
    versions: [{name: 'v1beta1', storage: true, spec: obj({}), status: obj({...serviceStatusCommon, peers: arr(str())})}],
  },
  {
    kind: 'ConfigurationState',
    plural: 'configurationstates',
    versions: [
      {
        name: 'v1beta1',
        storage: true,
        spec: obj({}),
        status: obj({result: str({enum: ['Valid', 'Invalid', 'Unknown']}), errorSummary: str(), conditions}),
        columns: [{name: 'Result', type: 'string', jsonPath: '.status.result'}],
      },
    ],
  },
  {
    // Not `BGPSessionState`: MetalLB's FRR-K8s mode ships a kind of that name, and `kubectl get` would collide.
    kind: 'BGPPeerSession',
    plural: 'bgppeersessions',
    shortNames: ['bps'],
    group: LBCTL_GROUP,
    versions: [
      {
        name: 'v1alpha1',
        storage: true,
        spec: obj({}),
        status: obj({
          node: str(),
          peer: str(),
          peerAddress: str(),
          state: str({enum: ['Idle', 'Connect', 'Active', 'OpenSent', 'OpenConfirm', 'Established']}),
          establishedSince: str({format: 'date-time'}),
          lastError: obj({time: str(), code: int(), subcode: int(), message: str(), direction: str({enum: ['sent', 'received', 'local']})}),
          prefixesAdvertised: int64({minimum: 0}),
          bfdState: str({enum: ['AdminDown', 'Down', 'Init', 'Up', 'Disabled']}),
        }),
        columns: [
          {name: 'Node', type: 'string', jsonPath: '.status.node'},
          {name: 'Peer', type: 'string', jsonPath: '.status.peerAddress'},
          {name: 'State', type: 'string', jsonPath: '.status.state'},
        ],
      },
    ],
  },
]

/** The CustomResourceDefinitions of every kind lbctl serves, as manifests (apiextensions.k8s.io/v1). */
export function crdManifests(): Array<Record<string, unknown>> {
  return kinds.map((k) => {
    const group = k.group ?? GROUP
    return {
      apiVersion: 'apiextensions.k8s.io/v1',
      kind: 'CustomResourceDefinition',
      metadata: {name: `${k.plural}.${group}`, labels: {'app.kubernetes.io/part-of': 'lbctl'}},
      spec: {
        group,
        scope: 'Namespaced',
        names: {kind: k.kind, listKind: `${k.kind}List`, plural: k.plural, singular: k.singular ?? k.kind.toLowerCase(), ...(k.shortNames ? {shortNames: k.shortNames} : {})},
        versions: k.versions.map((v) => ({
          name: v.name,
          served: true,
          storage: v.storage,
          subresources: {status: {}},
          ...(v.columns ? {additionalPrinterColumns: [...v.columns, {name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp'}]} : {}),
          schema: {
            openAPIV3Schema: obj(
              {
                apiVersion: str(),
                kind: str(),
                metadata: {type: 'object'},
                spec: v.spec ?? obj({}),
                status: v.status ?? obj({}),
              },
              {description: `${k.kind} (${group}/${v.name}), compatible with MetalLB.`},
            ),
          },
        })),
      },
    }
  })
}

/** Names of the CRDs (`<plural>.<group>`), for checks such as "are the CRDs installed". */
export const crdNames = (): string[] => kinds.map((k) => `${k.plural}.${k.group ?? GROUP}`)
