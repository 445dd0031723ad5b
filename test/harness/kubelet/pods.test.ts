// What the kubelet stand-in makes of install's own pod templates, without running anything.
import {describe, expect, it} from 'vitest'
import {controllerDeployment, SPEAKER_CAPABILITIES, speakerDaemonSet} from '../../../src/lib/install/workloads.js'
import {containerEnv, fieldValue, podmanRunArgs, podObject, runAs, SA_MOUNT, selects, templateHash} from './pods.js'

const opts = {namespace: 'metallb-system', controllerImage: 'r/lbctl-controller:1', speakerImage: 'r/lbctl-speaker:1', controllerReplicas: 1, logLevel: 'info'}
const api = {host: '198.18.44.250', port: 6443}
const flagValues = (args: string[], flag: string) => args.flatMap((a, i) => (a === flag ? [args[i + 1]] : []))

describe('the kubelet stand-in\'s pod translation', () => {
  const ds = speakerDaemonSet(opts) as any
  const placement = {namespace: 'metallb-system', name: 'lbctl-speaker-abcde', nodeName: 'n2', hostIP: '198.18.44.2', podIP: '198.18.44.2', netns: 'lab-n2'}
  const pod = podObject({kind: 'DaemonSet', name: 'lbctl-speaker', uid: 'u1'}, ds.spec.template, placement, templateHash(ds.spec.template))

  it('makes the Pod: template labels plus the revision hash, the node, the owner, not ready yet', () => {
    expect(pod.metadata.labels).toMatchObject({...ds.spec.template.metadata.labels, 'controller-revision-hash': templateHash(ds.spec.template)})
    expect(pod.spec).toMatchObject({nodeName: 'n2', serviceAccountName: 'lbctl-speaker', hostNetwork: true})
    expect(pod.metadata.ownerReferences[0]).toMatchObject({kind: 'DaemonSet', name: 'lbctl-speaker', uid: 'u1', controller: true})
    expect(pod.status.conditions).toEqual([{type: 'Ready', status: 'False'}])
  })

  it('resolves the speaker\'s downward-API env and points it at the API server', () => {
    expect(containerEnv(ds.spec.template.spec.containers[0], pod, api)).toMatchObject({
      NODE_NAME: 'n2', POD_NAME: 'lbctl-speaker-abcde', POD_NAMESPACE: 'metallb-system', POD_IP: '198.18.44.2', HOST_IP: '198.18.44.2',
      METALLB_ML_BIND_ADDR: '198.18.44.2', METALLB_ML_SECRET_KEY_PATH: '/etc/ml_secret_key', KUBERNETES_SERVICE_HOST: '198.18.44.250', KUBERNETES_SERVICE_PORT: '6443'})
  })

  it('runs the speaker in the node\'s namespace as root with exactly its capabilities, read-only, with the key and the token', () => {
    const c = ds.spec.template.spec.containers[0]
    const args = podmanRunArgs({containerName: 'x', labels: {a: 'b'}, container: c, pod, placement, env: containerEnv(c, pod, api),
      mounts: {serviceAccount: '/tmp/sa', volumes: {memberlist: '/tmp/ml'}}, runFlags: ['--runtime', 'runc']})
    expect(flagValues(args, '--network')).toEqual(['ns:/run/netns/lab-n2'])
    expect(flagValues(args, '--user')).toEqual(['0'])
    expect(flagValues(args, '--cap-drop')).toEqual(['ALL'])
    expect(flagValues(args, '--cap-add')).toEqual([...SPEAKER_CAPABILITIES])
    expect(args).toContain('--read-only')
    expect(flagValues(args, '--security-opt')).toEqual(['no-new-privileges'])
    expect(flagValues(args, '--volume')).toEqual([`/tmp/sa:${SA_MOUNT}:ro`, '/tmp/ml:/etc/ml_secret_key:ro'])
    expect(flagValues(args, '--env')).toContain('NODE_NAME=n2')
    // The image's entrypoint stays (no command), the manifest's args follow the image.
    expect(args).not.toContain('--entrypoint')
    expect(args.slice(args.indexOf(c.image))).toEqual([c.image, ...c.args])
  })

  it('runs the controller as its securityContext says (uid:gid)', () => {
    const d = controllerDeployment(opts) as any
    expect(runAs(d.spec.template.spec.containers[0], d.spec.template.spec)).toBe('65532:65532')
  })

  it('refuses what it cannot do, naming it', () => {
    expect(() => fieldValue(pod, 'status.nominatedNodeName')).toThrow(/fieldRef status.nominatedNodeName is not supported/)
    expect(() => containerEnv({env: [{name: 'X', valueFrom: {secretKeyRef: {name: 's', key: 'k'}}}]}, pod, api)).toThrow(/env X: only value and valueFrom.fieldRef/)
    const c = {...ds.spec.template.spec.containers[0], volumeMounts: [{name: 'nope', mountPath: '/x'}]}
    expect(() => podmanRunArgs({containerName: 'x', labels: {}, container: c, pod, placement, env: {}, mounts: {volumes: {}}, runFlags: []})).toThrow(/volumeMount nope/)
    const root = {image: 'i', securityContext: {runAsNonRoot: true, runAsUser: 0}}
    expect(() => podmanRunArgs({containerName: 'x', labels: {}, container: root, pod: {metadata: {name: 'p'}, spec: {}}, placement, env: {}, mounts: {volumes: {}}, runFlags: []}))
      .toThrow(/breaks non-root policy/)
  })

  it('hashes templates by content, and a command replaces the entrypoint', () => {
    expect(templateHash({a: 1, b: {c: [1, 2]}})).toBe(templateHash({b: {c: [1, 2]}, a: 1}))
    expect(templateHash({a: 1})).not.toBe(templateHash({a: 2}))
    const args = podmanRunArgs({containerName: 'x', labels: {}, container: {image: 'i', command: ['/bin/x', '-y'], args: ['z']}, pod: {metadata: {name: 'p'}, spec: {}}, placement, env: {}, mounts: {volumes: {}}, runFlags: []})
    expect(args.slice(-4)).toEqual(['--entrypoint', '["/bin/x","-y"]', 'i', 'z'])
    expect(containerEnv({env: [{name: 'A', value: 'a'}, {name: 'B', value: '$(A)-$(C)'}]}, pod, api)).toMatchObject({B: 'a-$(C)'})
    expect(selects({'kubernetes.io/os': 'linux'}, {'kubernetes.io/os': 'linux', x: 'y'})).toBe(true)
    expect(selects({'kubernetes.io/os': 'linux'}, {})).toBe(false)
  })
})
