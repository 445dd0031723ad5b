// Bundles the command registry and everything it imports (client-node included) into one ESM file, so `lbctl`
// loads one module instead of about a thousand. @oclif/core stays external: bin/run.js loads it, and the command
// classes must extend that same copy.
import {build} from 'esbuild'

await build({
  entryPoints: {commands: 'src/commands.ts'},
  outdir: 'dist/bundle',
  bundle: true,
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
