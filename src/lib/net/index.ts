// src/lib/net: pure IPv4/IPv6 address math (no I/O, no clock). See ip.ts, range.ts, parse.ts, mac.ts.
export * from './errors.js'
export * from './ip.js'
export * from './range.js'
export * from './parse.js'
export * from './overlaps.js'
export * from './mac.js'
