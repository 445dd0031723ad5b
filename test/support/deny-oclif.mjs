// Preload (`node --import ./test/support/deny-oclif.mjs …`) that makes loading @oclif/core fail loudly, through
// import (ESM resolve hook) or require (CommonJS). Used to prove the daemons never load the CLI framework.
import Module, {register} from 'node:module'

const DENIED = /(^|[/\\])@oclif[/\\]core([/\\]|$)/
const deny = (what, parent) => {
  process.stderr.write(`DENIED: ${what} loaded from ${parent}\n`)
  throw new Error(`DENIED: ${what} loaded from ${parent}`)
}

register(`data:text/javascript,${encodeURIComponent(`
  const DENIED = ${DENIED}
  export async function resolve(specifier, context, next) {
    const r = await next(specifier, context)
    if (DENIED.test(specifier) || DENIED.test(r.url)) {
      process.stderr.write('DENIED: ' + specifier + ' imported from ' + context.parentURL + '\\n')
      throw new Error('DENIED: ' + specifier + ' imported from ' + context.parentURL)
    }
    return r
  }
`)}`)

const original = Module._resolveFilename
Module._resolveFilename = function (request, parent, ...rest) {
  const file = original.call(this, request, parent, ...rest)
  if (DENIED.test(request) || DENIED.test(file)) deny(request, parent?.filename)
  return file
}
