/**
 * Query parameters decoded as kube-apiserver's parameter codec decodes them (k8s.io/apimachinery/pkg/runtime
 * conversion.go): a bool is false when absent, `0` or `false` in any case, and true for anything else — `True`, `1`,
 * `yes`, even an empty value; integers go through strconv.ParseInt, and a bad one is 400 BadRequest.
 */
import {badRequest} from './errors.js'

export const queryBool = (q: URLSearchParams, name: string): boolean => {
  const v = q.get(name)
  if (v === null) return false
  return !(v === '0' || v.toLowerCase() === 'false')
}

/** An int64 parameter, or undefined when absent; refuses what Go's strconv.ParseInt(v, 10, 64) refuses. */
export const queryInt = (q: URLSearchParams, name: string): number | undefined => {
  const v = q.get(name)
  if (v === null) return undefined
  if (!/^[+-]?\d+$/.test(v)) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(v)}: invalid syntax`)
  const n = BigInt(v)
  if (n > 9223372036854775807n || n < -9223372036854775808n) throw badRequest(`strconv.ParseInt: parsing ${JSON.stringify(v)}: value out of range`)
  return Number(n)
}
