// Typed errors of the legacy ConfigMap reader. Like src/lib/net, this folder is pure and does not extend LbctlError
// (no oclif below src/lib/cli): the import layer maps every LegacyConfigError to BAD_INPUT (exit 2).

/** Stable codes, one per kind of problem; `path` says where. */
export type LegacyErrorCode =
  | 'LEGACY_NOT_YAML'
  | 'LEGACY_YAML_ALIAS'
  | 'LEGACY_YAML_TAG'
  | 'LEGACY_TOO_LARGE'
  | 'LEGACY_SHAPE'
  | 'LEGACY_UNKNOWN_FIELD'
  | 'LEGACY_MISSING'
  | 'LEGACY_VALUE'
  | 'LEGACY_OVERLAP'
  | 'LEGACY_DUPLICATE'
  | 'LEGACY_REFERENCE'
  | 'LEGACY_UNCARRIED'
  | 'LEGACY_EMPTY'

/**
 * One problem in the legacy configuration. `path` is the field path in the configuration as the operator wrote it
 * (`address-pools[1].addresses[0]`, `peers[0].peer-asn`), or `data.config` / `(document)` for the wrapper.
 */
export class LegacyConfigError extends Error {
  readonly code: LegacyErrorCode
  readonly path: string
  readonly reason: string
  readonly hint?: string
  /** Further problems of the same kind (LEGACY_UNCARRIED lists every field that cannot be carried). */
  readonly more: Array<{path: string; reason: string}>

  constructor(code: LegacyErrorCode, path: string, reason: string, hint?: string, more: Array<{path: string; reason: string}> = []) {
    super(`${path}: ${reason}`)
    this.name = 'LegacyConfigError'
    this.code = code
    this.path = path
    this.reason = reason
    this.hint = hint
    this.more = more
  }
}
