/** Kubernetes `Status` errors, shaped like the real apiserver's (k8s.io/apimachinery/pkg/api/errors). */

export interface Cause {
  field: string
  message: string
  reason: string
}

export interface GroupResource {
  group: string
  plural: string
}

const REASONS: Record<number, string> = {
  400: 'BadRequest',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'NotFound',
  405: 'MethodNotAllowed',
  406: 'NotAcceptable',
  409: 'Conflict',
  410: 'Expired',
  415: 'UnsupportedMediaType',
  422: 'Invalid',
  429: 'TooManyRequests',
  500: 'InternalError',
  503: 'ServiceUnavailable',
  504: 'Timeout',
}

export class ApiError extends Error {
  constructor(
    readonly code: number,
    readonly reason: string,
    message: string,
    readonly details?: Record<string, unknown>,
    readonly headers: Record<string, string> = {},
  ) {
    super(message)
  }

  toStatus(): Record<string, unknown> {
    const status: Record<string, unknown> = {
      kind: 'Status',
      apiVersion: 'v1',
      metadata: {},
      status: 'Failure',
      message: this.message,
      reason: this.reason,
    }
    if (this.details) status.details = this.details
    status.code = this.code
    return status
  }
}

/** `services` or `ipaddresspools.metallb.io`, as the apiserver prints a group-resource. */
export const qualified = (gr: GroupResource): string => (gr.group ? `${gr.plural}.${gr.group}` : gr.plural)

const details = (gr: GroupResource, name?: string): Record<string, unknown> => {
  const d: Record<string, unknown> = {}
  if (name !== undefined) d.name = name
  if (gr.group) d.group = gr.group
  d.kind = gr.plural
  return d
}

export const notFound = (gr: GroupResource, name: string): ApiError =>
  new ApiError(404, 'NotFound', `${qualified(gr)} "${name}" not found`, details(gr, name))

export const alreadyExists = (gr: GroupResource, name: string): ApiError =>
  new ApiError(409, 'AlreadyExists', `${qualified(gr)} "${name}" already exists`, details(gr, name))

export const conflict = (gr: GroupResource, name: string, why: string): ApiError =>
  new ApiError(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${why}`, details(gr, name))

export const staleConflict = (gr: GroupResource, name: string): ApiError =>
  conflict(gr, name, 'the object has been modified; please apply your changes to the latest version and try again')

export const badRequest = (message: string): ApiError => new ApiError(400, 'BadRequest', message)

export const forbidden = (gr: GroupResource, name: string, why: string): ApiError =>
  new ApiError(403, 'Forbidden', `${qualified(gr)} "${name}" is forbidden: ${why}`, details(gr, name))

export const methodNotAllowed = (): ApiError =>
  new ApiError(405, 'MethodNotAllowed', 'the server does not allow this method on the requested resource')

export const unsupportedMediaType = (contentType: string, accepted: string[]): ApiError =>
  new ApiError(
    415,
    'UnsupportedMediaType',
    `the body of the request was in an unknown format - accepted media types include: ${accepted.join(', ')}`,
    {causes: [{reason: 'UnexpectedServerResponse', message: contentType}]},
  )

/** 422 with one cause per field error; `kind` is the Kind (not the resource), as NewInvalid does. */
export const invalid = (group: string, kind: string, name: string, causes: Cause[]): ApiError => {
  const qk = group ? `${kind}.${group}` : kind
  const parts = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message))
  const summary = parts.length === 1 ? parts[0] : `[${parts.join(', ')}]`
  const d: Record<string, unknown> = {name}
  if (group) d.group = group
  d.kind = kind
  d.causes = causes
  return new ApiError(422, 'Invalid', `${qk} "${name}" is invalid: ${summary}`, d)
}

/** 422 without field causes (e.g. a JSON patch `test` that failed), as NewGenericServerResponse builds it. */
export const unprocessable = (message: string): ApiError => new ApiError(422, 'Invalid', message)

export const expired = (message: string): ApiError => new ApiError(410, 'Expired', message)

export const unauthorized = (): ApiError => new ApiError(401, 'Unauthorized', 'Unauthorized')

/** What fault injection returns: the status code with its usual reason. */
export const injected = (code: number, retryAfterSeconds?: number): ApiError => {
  const reason = REASONS[code] ?? 'InternalError'
  const headers: Record<string, string> = {}
  let d: Record<string, unknown> | undefined
  if (retryAfterSeconds !== undefined) {
    headers['Retry-After'] = String(retryAfterSeconds)
    d = {retryAfterSeconds}
  }
  const message =
    code === 429 ? 'Too many requests, please try again later.' : `injected fault: ${code} ${reason}`
  return new ApiError(code, reason, message, d, headers)
}

export const internalError = (err: unknown): ApiError =>
  new ApiError(500, 'InternalError', `Internal error occurred: ${err instanceof Error ? err.message : String(err)}`)
