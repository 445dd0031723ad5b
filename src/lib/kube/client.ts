// The CLI's handle on the API seam: `Kube.connect(target)` reads the kubeconfig on the first call (so a command
// validates its input before any kubeconfig error), then every call goes through the one transport (rest.ts).
import {FIELD_MANAGER} from '../api/constants.js'
import type {CallOptions, KindRef, KubeApi, KubernetesObject, ListOptions, ListResult, WatchEventType, WatchOptions} from './api.js'
import type {LoadedConfig} from './config.js'
import {type KubeTarget, resolveTarget, targetFromKubeConfig, type Transport} from './connect.js'
import {RestKube} from './rest.js'

export type {KindRef, KubeApi, KubernetesObject, ListResult, WatchEventType}
export type {KubeTarget}

export interface KubeOptions extends CallOptions {
  fieldManager?: string
}

export class Kube implements KubeApi {
  private connecting?: Promise<RestKube>
  private rest?: RestKube
  private how?: Transport

  /** A target is read on first use; a configuration client-node already loaded is used as it is. */
  constructor(private readonly target: KubeTarget | LoadedConfig, private readonly opts: KubeOptions = {}) {}

  static connect(target: KubeTarget, opts?: KubeOptions): Kube {
    return new Kube(target, opts)
  }

  /** The connection, read from the kubeconfig on first use. */
  connection(): Promise<RestKube> {
    const t = this.target
    this.connecting ??= ('kc' in t ? Promise.resolve({target: targetFromKubeConfig(t), transport: 'client-node' as const}) : resolveTarget(t)).then(({target, transport}) => {
      this.how = transport
      this.rest = new RestKube(target, {attempts: this.opts.attempts ?? 4, timeoutMs: this.opts.timeoutMs ?? 30_000, fieldManager: this.opts.fieldManager ?? FIELD_MANAGER})
      return this.rest
    })
    return this.connecting
  }

  /** Known after the first call (messages are built after one). */
  get server(): string {
    return this.rest?.server ?? ''
  }

  get context(): string {
    return this.rest?.context ?? ''
  }

  /** How requests are authenticated: lbctl's own kubeconfig reader, or client-node's (exec plugins and the like). */
  get transport(): Transport | undefined {
    return this.how
  }

  /** The namespace of the kubeconfig's current context, as kubectl reads it ('default' when unset). */
  async contextNamespace(): Promise<string> {
    return (await this.connection()).target.namespace || 'default'
  }

  async podLog(namespace: string, name: string, opts?: {container?: string; tailLines?: number; limitBytes?: number}): Promise<string> {
    return (await this.connection()).podLog(namespace, name, opts)
  }

  async bearerToken(): Promise<string | undefined> {
    return (await this.connection()).bearerToken()
  }

  withOptions(opts: CallOptions): Kube {
    return new Kube(this.target, {...this.opts, ...opts})
  }

  async get<T extends KubernetesObject>(ref: KindRef, name: string, namespace?: string): Promise<T | undefined> {
    return (await this.connection()).get<T>(ref, name, namespace)
  }

  async list<T extends KubernetesObject>(ref: KindRef, opts?: ListOptions): Promise<ListResult<T>> {
    return (await this.connection()).list<T>(ref, opts)
  }

  async create<T extends KubernetesObject>(obj: T): Promise<T> {
    return (await this.connection()).create(obj)
  }

  async replace<T extends KubernetesObject>(obj: T): Promise<T> {
    return (await this.connection()).replace(obj)
  }

  async replaceStatus<T extends KubernetesObject>(obj: T): Promise<T> {
    return (await this.connection()).replaceStatus(obj)
  }

  async mergePatch<T extends KubernetesObject>(ref: KindRef, name: string, namespace: string | undefined, patch: unknown, opts?: {subresource?: 'status'}): Promise<T> {
    return (await this.connection()).mergePatch<T>(ref, name, namespace, patch, opts)
  }

  async jsonPatch<T extends KubernetesObject>(ref: KindRef, name: string, namespace: string | undefined, ops: unknown[], opts?: {subresource?: 'status'}): Promise<T> {
    return (await this.connection()).jsonPatch<T>(ref, name, namespace, ops, opts)
  }

  async apply<T extends KubernetesObject>(obj: T, opts?: {force?: boolean; subresource?: 'status'}): Promise<T> {
    return (await this.connection()).apply(obj, opts)
  }

  async delete(ref: KindRef, name: string, namespace?: string): Promise<boolean> {
    return (await this.connection()).delete(ref, name, namespace)
  }

  async serves(ref: KindRef): Promise<boolean> {
    return (await this.connection()).serves(ref)
  }

  async watch<T extends KubernetesObject>(ref: KindRef, opts: WatchOptions, onEvent: (type: WatchEventType, obj: T) => void, done: (err?: unknown) => void): Promise<() => void> {
    return (await this.connection()).watch<T>(ref, opts, onEvent, done)
  }
}
