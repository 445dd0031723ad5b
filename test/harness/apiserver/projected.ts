/**
 * The kubelet's side of a projected service-account volume (kube-api-access-*): `token`, `ca.crt` and `namespace`,
 * written as the kubelet's AtomicWriter does (a timestamped directory, `..data` swapped to it by rename, each file a
 * symlink through `..data`), with the token from the harness's TokenRequest and rotated as the kubelet rotates it: once
 * the token is older than 80 % of its lifetime or than 24 hours. The old token stays valid until it expires.
 */
import {chownSync, mkdirSync, readlinkSync, renameSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import type {ApiServer} from './index.js'

export interface ProjectedTokenOptions {
  namespace: string
  serviceAccount: string
  /** The token's lifetime (default 3607 s, what kube-apiserver gives a kubelet asking for the default hour). */
  expirationSeconds?: number
  audiences?: string[]
  /** PEM for ca.crt (default: the server's CA, empty over plain HTTP). */
  ca?: string
  /** How often the writer checks whether the token is due (default 50 ms of real time). */
  checkIntervalMs?: number
  /** The files' mode (default 0600; a pod's kube-api-access volume has defaultMode 0644). */
  fileMode?: number
  /** Group of the files (a pod's fsGroup), so a non-root container reads them. */
  gid?: number
}

export interface ProjectedToken {
  readonly dir: string
  /** The token on disk now. */
  readonly token: string
  /** Its credential id (`JTI=…`), as the harness's request records show it. */
  readonly credentialId: string
  /** Tokens written so far (1 after the first write). */
  readonly writes: number
  /** Rotate now if the token is due (the writer's timer calls this too); true when it wrote a new one. */
  rotateIfDue(): boolean
  /** Ask for a new token and write it, due or not. */
  rotate(): void
  stop(): void
}

const DAY_MS = 24 * 3600 * 1000

/** Start writing (and rotating) a projected service-account volume into `dir`. */
export function projectServiceAccountToken(server: ApiServer, dir: string, o: ProjectedTokenOptions): ProjectedToken {
  const ttlMs = (o.expirationSeconds ?? 3607) * 1000
  let token = ''
  let credentialId = ''
  let issuedAt = 0
  let writes = 0
  mkdirSync(dir, {recursive: true})

  const write = (files: Record<string, string>) => {
    const stamp = `..${new Date().toISOString().replace(/[-:.]/g, '_')}.${writes}`
    mkdirSync(join(dir, stamp))
    for (const [name, data] of Object.entries(files)) {
      const file = join(dir, stamp, name)
      writeFileSync(file, data, {mode: o.fileMode ?? 0o600})
      if (o.gid !== undefined) chownSync(file, -1, o.gid)
    }
    let old: string | undefined
    try {
      old = readlinkSync(join(dir, '..data'))
    } catch {
      old = undefined
    }
    symlinkSync(stamp, join(dir, '..data_tmp'))
    renameSync(join(dir, '..data_tmp'), join(dir, '..data'))
    for (const name of Object.keys(files)) {
      try {
        symlinkSync(join('..data', name), join(dir, name))
      } catch {
        // the link exists from an earlier write and already points through ..data
      }
    }
    if (old) rmSync(join(dir, old), {recursive: true, force: true})
  }

  const rotate = () => {
    const issued = server.issueToken(o.namespace, o.serviceAccount, {expirationSeconds: ttlMs / 1000, audiences: o.audiences})
    token = issued.token
    credentialId = issued.credentialId
    issuedAt = server.now()
    writes++
    write({token, 'ca.crt': o.ca ?? server.ca ?? '', namespace: o.namespace})
  }

  const due = () => {
    const age = server.now() - issuedAt
    return age >= 0.8 * ttlMs || age >= DAY_MS
  }

  const rotateIfDue = () => {
    if (!due()) return false
    try {
      rotate()
      return true
    } catch {
      return false // the ServiceAccount is gone: the kubelet keeps trying, and so does this
    }
  }

  rotate()
  const timer = setInterval(rotateIfDue, o.checkIntervalMs ?? 50)
  timer.unref()
  return {
    dir,
    get token() {
      return token
    },
    get credentialId() {
      return credentialId
    },
    get writes() {
      return writes
    },
    rotateIfDue,
    rotate,
    stop: () => clearInterval(timer),
  }
}
