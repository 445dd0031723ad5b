// Legacy configurations for the import tests. The first three are the examples of MetalLB v0.9's configuration page,
// which the seed (../shared/seed/metallb-charmed-operator.txt, "BGP mode … v0.9.3 manifests … MetalLB ConfigMap")
// points at; the others exercise every field of the v0.9–v0.12 format.

export const DOCS_LAYER2 = `address-pools:
- name: default
  protocol: layer2
  addresses:
  - 192.168.1.240-192.168.1.250
`

export const DOCS_BGP = `peers:
- peer-address: 10.0.0.1
  peer-asn: 64501
  my-asn: 64500
address-pools:
- name: default
  protocol: bgp
  addresses:
  - 192.168.10.0/24
`

export const DOCS_BGP_ADVANCED = `peers:
- peer-address: 10.0.0.1
  peer-asn: 64501
  my-asn: 64500
address-pools:
- name: default
  protocol: bgp
  addresses:
  - 198.51.100.0/24
  bgp-advertisements:
  - aggregation-length: 32
    localpref: 100
    communities:
    - no-advertise
  - aggregation-length: 24
bgp-communities:
  no-advertise: 65535:65282
`

/** Every field of the format, each set to a non-default value. */
export const EVERY_FIELD = `peers:
- peer-address: 198.18.0.1
  peer-asn: 64501
  my-asn: 64500
  peer-port: 1179
  source-address: 198.18.0.10
  hold-time: 120s
  keepalive-time: 30s
  router-id: 10.10.10.10
  password: yourPassword
  bfd-profile: fast
  ebgp-multihop: true
  node-selectors:
  - match-labels:
      kubernetes.io/hostname: node-1
    match-expressions:
    - key: kubernetes.io/arch
      operator: In
      values: [amd64, arm64]
    - key: example.com/edge
      operator: DoesNotExist
address-pools:
- name: public-v4
  protocol: bgp
  avoid-buggy-ips: true
  auto-assign: false
  addresses:
  - 203.0.113.0/24
  bgp-advertisements:
  - aggregation-length: 28
    localpref: 200
    communities: [edge, "64500:7"]
- name: public-v6
  protocol: bgp
  addresses:
  - 2001:db8:ffff::/64
  bgp-advertisements:
  - aggregation-length-v6: 120
- name: lan
  protocol: layer2
  addresses:
  - 198.51.100.10-198.51.100.20
bgp-communities:
  edge: 64500:100
bfd-profiles:
- name: fast
  receive-interval: 100
  transmit-interval: 150
  detect-multiplier: 5
  echo-interval: 60
  echo-mode: false
  passive-mode: false
  minimum-ttl: 200
`

/** kubectl -n metallb-system get configmap config -o yaml, trimmed the way kubectl prints it. */
export const asConfigMap = (config: string, extra = ''): string => `apiVersion: v1
kind: ConfigMap
metadata:
  name: config
  namespace: metallb-system
data:
${extra}  config: |
${config.split('\n').map((l) => (l ? `    ${l}` : l)).join('\n')}`
