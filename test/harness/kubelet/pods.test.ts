// What the kubelet stand-in makes of install's own pod templates, without running anything.
import {describe, expect, it} from 'vitest'
import {controllerDeployment, SPEAKER_CAPABILITIES, speakerDaemonSet} from '../../../src/lib/install/workloads.js'
import {containerEnv, fieldValue, parseQuantity, podmanRunArgs, podObject, PodStartError, resourceArgs, runAs, SA_MOUNT, templateHash} from './pods.js'

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
    expect(() => containerEnv({env: [{name: 'X', valueFrom: {resourceFieldRef: {resource: 'limits.cpu'}}}]}, pod, api)).toThrow(/env X: only value, fieldRef, secretKeyRef and configMapKeyRef/)
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
  })

  it('resolves secretKeyRef and configMapKeyRef from the namespace\'s objects; a missing one that is not optional is CreateContainerConfigError', () => {
    const sources = {
      secret: (n: string) => (n === 'memberlist' ? {data: {secretkey: Buffer.from('k3y').toString('base64')}} : undefined),
      configMap: (n: string) => (n === 'cfg' ? {data: {mode: 'bgp'}} : undefined),
    }
    const env = (e: unknown[]) => containerEnv({env: e}, pod, api, sources)
    expect(env([{name: 'K', valueFrom: {secretKeyRef: {name: 'memberlist', key: 'secretkey'}}}, {name: 'M', valueFrom: {configMapKeyRef: {name: 'cfg', key: 'mode'}}},
      {name: 'O', valueFrom: {secretKeyRef: {name: 'gone', key: 'x', optional: true}}}, {name: 'P', valueFrom: {configMapKeyRef: {name: 'cfg', key: 'nope', optional: true}}},
      {name: 'R', value: '$(M)-$(K)'}])).toMatchObject({K: 'k3y', M: 'bgp', R: 'bgp-k3y'})
    expect(Object.keys(env([{name: 'O', valueFrom: {secretKeyRef: {name: 'gone', key: 'x', optional: true}}}]))).not.toContain('O')
    const refusal = (e: unknown) => {
      try {
        env([{name: 'X', valueFrom: e}])
      } catch (err) {
        return {reason: (err as PodStartError).reason, message: (err as Error).message}
      }
      return undefined
    }
    expect(refusal({secretKeyRef: {name: 'memberlist', key: 'nope'}})).toEqual({reason: 'CreateContainerConfigError', message: 'couldn\'t find key nope in Secret metallb-system/memberlist'})
    expect(refusal({secretKeyRef: {name: 'gone', key: 'x'}})).toEqual({reason: 'CreateContainerConfigError', message: 'secrets "gone" not found'})
    expect(refusal({configMapKeyRef: {name: 'cfg', key: 'nope'}})).toEqual({reason: 'CreateContainerConfigError', message: 'couldn\'t find key nope in ConfigMap metallb-system/cfg'})
    expect(refusal({configMapKeyRef: {name: 'gone', key: 'x'}})).toEqual({reason: 'CreateContainerConfigError', message: 'configmaps "gone" not found'})
  })

  it('reads resource quantities as the API does', () => {
    expect([parseQuantity('256Mi'), parseQuantity('1Gi'), parseQuantity('64M'), parseQuantity('500m'), parseQuantity('2'), parseQuantity('1.5'), parseQuantity('1e3'), parseQuantity(3)])
      .toEqual([268435456, 2 ** 30, 64e6, 0.5, 2, 1.5, 1000, 3])
    expect(() => parseQuantity('12 apples')).toThrow(/quantity "12 apples" is not a resource quantity/)
  })

  it('turns install\'s resources into podman\'s cgroup limits: memory limit, cpu quota, cpu shares', () => {
    const c = ds.spec.template.spec.containers[0]
    expect(c.resources).toEqual({requests: {cpu: '50m', memory: '64Mi'}, limits: {memory: '256Mi'}})
    expect(resourceArgs(c)).toEqual(['--memory', String(256 * 2 ** 20), '--cpu-shares', '51'])
    expect(resourceArgs({resources: {limits: {cpu: '1500m', memory: '1Gi'}}})).toEqual(['--memory', String(2 ** 30), '--cpus', '1.5', '--cpu-shares', '1536'])
    expect(resourceArgs({})).toEqual([])
    const args = podmanRunArgs({containerName: 'x', labels: {}, container: c, pod, placement, env: {}, mounts: {volumes: {memberlist: '/m'}}, runFlags: []})
    expect(flagValues(args, '--memory')).toEqual([String(256 * 2 ** 20)])
  })
})
