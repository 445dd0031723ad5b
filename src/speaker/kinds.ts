// The built-in kinds the speaker watches: one table in src/lib/api/constants.ts.
import {BuiltinKinds} from '../lib/api/constants.js'

export const CoreKinds = {Pod: BuiltinKinds.Pod, Secret: BuiltinKinds.Secret, EndpointSlice: BuiltinKinds.EndpointSlice} as const
