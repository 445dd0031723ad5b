// Small builders for structural OpenAPI v3 schemas, so the CRDs read like the API table in API-COMPAT.md.
import {DURATION_PATTERN} from '../duration.js'

export type Schema = Record<string, unknown>

export const str = (extra: Schema = {}): Schema => ({type: 'string', ...extra})
export const bool = (extra: Schema = {}): Schema => ({type: 'boolean', ...extra})
export const int = (extra: Schema = {}): Schema => ({type: 'integer', ...extra})
export const int32 = (extra: Schema = {}): Schema => ({type: 'integer', format: 'int32', ...extra})
export const uint32 = (extra: Schema = {}): Schema => ({type: 'integer', format: 'int64', minimum: 0, maximum: 4294967295, ...extra})
export const int64 = (extra: Schema = {}): Schema => ({type: 'integer', format: 'int64', ...extra})
export const arr = (items: Schema, extra: Schema = {}): Schema => ({type: 'array', items, ...extra})
export const obj = (properties: Record<string, Schema>, extra: Schema = {}): Schema => ({type: 'object', properties, ...extra})
/** A Kubernetes duration such as `90s`, `1m30s`. */
export const duration = (extra: Schema = {}): Schema => str({pattern: DURATION_PATTERN, ...extra})
export const cel = (rule: string, message: string): {rule: string; message: string} => ({rule, message})

export const labelSelector: Schema = obj(
  {
    matchLabels: {type: 'object', additionalProperties: str()},
    matchExpressions: arr(
      obj(
        {
          key: str(),
          operator: str({enum: ['In', 'NotIn', 'Exists', 'DoesNotExist']}),
          values: arr(str()),
        },
        {required: ['key', 'operator']},
      ),
    ),
  },
  {'x-kubernetes-map-type': 'atomic'},
)

export const conditions: Schema = arr(
  obj(
    {
      type: str({maxLength: 316}),
      status: str({enum: ['True', 'False', 'Unknown']}),
      reason: str(),
      message: str(),
      lastTransitionTime: str({format: 'date-time'}),
      observedGeneration: int64({minimum: 0}),
    },
    {required: ['type', 'status']},
  ),
)
