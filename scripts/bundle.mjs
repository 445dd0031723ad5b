// Bundles the command registry and everything it imports into ESM, so `lbctl` loads a few modules instead of about a
// thousand. Code splitting: what a command imports dynamically (client-node for exotic kubeconfigs, the prompt
// library, the BGP and L2 engines) goes into chunks loaded only by the command that runs, so `lbctl pool list` does
// not load them. @oclif/core stays external: bin/run.js loads it, and the command classes must extend that copy.
import {writeFileSync} from 'node:fs'
import {build} from 'esbuild'

const result = await build({
  entryPoints: {commands: 'src/commands.ts'},
  outdir: 'dist/bundle',
  bundle: true,
  splitting: true,
  chunkNames: 'chunks/[name]-[hash]',
  metafile: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  external: ['@oclif/core', '*.node'],
  minifySyntax: true,
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  // CommonJS dependencies inside an ESM bundle still call require() for Node built-ins.
  banner: {js: "import {createRequire as __lbctlCreateRequire} from 'node:module'; const require = __lbctlCreateRequire(import.meta.url);"},
})

// Kept for the start-up test (test/integration/cli/startup.test.ts): which inputs each output file holds.
writeFileSync('dist/bundle/meta.json', JSON.stringify(result.metafile))
