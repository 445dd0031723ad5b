// Builds lbctl's CLI into one classic script, dist/cli/main.cjs: oclif, the command registry and everything the
// commands import (src/cli/main.ts is the entry). bin/run.js compiles it with a V8 code cache (src/cli/code-cache.ts),
// which only a classic script can have on Node 20, so a run neither resolves a thousand files nor parses and compiles
// again what earlier runs compiled. What a command imports dynamically stays inside, wrapped by esbuild so that it runs
// only when imported (the BGP and L2 engines, the doctor, install); two things stay outside, loaded by import() from
// their own files when a command needs them: the prompt library, and client-node with the kubeconfig loader around it
// (src/lib/kube/config.ts, from tsc's output) — both ESM packages, which a classic script can only import().
//
// The script is a function expression `(function (require, module, exports, __filename, __dirname, importMetaUrl,
// dynamicImport) {…})`; src/cli/code-cache.ts calls it. oclif stays as it is but for three build-time edits
// (PATCHES below), each checked to apply exactly once so that an oclif update that moves the code fails the build.
import {mkdirSync, writeFileSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {dirname, relative, resolve} from 'node:path'
import {build} from 'esbuild'

const ROOT = new URL('..', import.meta.url).pathname
const OUT = 'dist/cli/main.cjs'

/** Modules (under src/) kept as their own ESM files (tsc's output in dist/src), imported only dynamically. */
const ESM_ONLY = ['lib/kube/config.ts']
/** Packages loaded by import() from node_modules, only by code that imports them dynamically. */
const EXTERNAL_DYNAMIC = ['@inquirer/prompts']
/** Packages that must not end up in the script: client-node comes only through ESM_ONLY's kubeconfig loader. */
const FORBIDDEN = {'@kubernetes/client-node': 'import it only in src/lib/kube/config.ts, which the CLI loads dynamically'}

const PATCHES = [
  {
    file: '@oclif/core/lib/screen.js',
    // was in bin/run.js: oclif hard-wraps errors to the terminal; piped or logged, a message stays one line
    from: 'exports.errtermwidth = columns || termwidth(process.stderr);',
    to: 'exports.errtermwidth = columns || (process.stderr.isTTY ? termwidth(process.stderr) : 1_000_000);',
  },
  {
    file: '@oclif/core/lib/index.js',
    // compares oclif's own engines field (lbctl's is stricter, package.json) by loading semver and reading a
    // package.json next to __dirname, which in this script is dist/cli: never true, costs ~4 ms of every run
    from: '\ncheckNodeVersion();\n',
    to: '\n',
  },
  {
    file: '@oclif/core/lib/config/plugin.js',
    // the first String#localeCompare of a process builds an ICU collator (~6 ms); only the order of a plugin's command
    // list depends on it, which the help re-sorts by code unit (util.sortBy) anyway
    from: '.sort((a, b) => a.id.localeCompare(b.id));',
    to: '.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));',
  },
]

const lbctl = {
  name: 'lbctl',
  setup(b) {
    b.onResolve({filter: /^\.\.?\//}, (args) => {
      if (!args.importer.startsWith(`${ROOT}src/`)) return undefined
      const target = relative(`${ROOT}src`, resolve(dirname(args.importer), args.path.replace(/\.js$/, '.ts')))
      if (!ESM_ONLY.includes(target)) return undefined
      if (args.kind !== 'dynamic-import') return {errors: [{text: `src/${target} must be imported dynamically (await import()): it stays out of the CLI script`}]}
      return {path: `../src/${target.replace(/\.ts$/, '.js')}`, external: true}
    })
    b.onResolve({filter: /^@/}, (args) => {
      const pkg = args.path.split('/').slice(0, 2).join('/')
      if (FORBIDDEN[pkg]) return {errors: [{text: `${pkg} must stay out of the CLI script (${relative(ROOT, args.importer)}): ${FORBIDDEN[pkg]}`}]}
      if (!EXTERNAL_DYNAMIC.includes(pkg)) return undefined
      if (args.kind !== 'dynamic-import') return {errors: [{text: `${pkg} must be imported dynamically (${relative(ROOT, args.importer)})`}]}
      return {path: args.path, external: true}
    })
    for (const p of PATCHES) {
      const filter = new RegExp(`${p.file.replace(/[./]/g, (c) => `\\${c}`)}$`)
      b.onLoad({filter}, async (args) => {
        const text = await readFile(args.path, 'utf8')
        if (text.split(p.from).length !== 2) return {errors: [{text: `patch for ${p.file} no longer applies (oclif changed): update scripts/bundle.mjs`}]}
        return {contents: text.replace(p.from, p.to), loader: 'js'}
      })
    }
  },
}

const result = await build({
  entryPoints: ['./src/cli/main.ts'],
  outfile: OUT,
  bundle: true,
  write: false,
  metafile: true,
  platform: 'node',
  format: 'cjs',
  target: 'node20',
  external: ['*.node', 'typescript', 'ts-node', 'tsx', 'pnpapi'], // oclif's optional loaders, required in try/catch
  define: {'import.meta.url': '__lbctlImportMetaUrl'},
  minifySyntax: true,
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
  plugins: [lbctl],
  banner: {js: '(function (require, module, exports, __filename, __dirname, __lbctlImportMetaUrl, __lbctlImport) {'},
  footer: {js: '})'},
})

const expected = new Set([...ESM_ONLY.map((f) => `../src/${f.replace(/\.ts$/, '.js')}`), ...EXTERNAL_DYNAMIC])
mkdirSync('dist/cli', {recursive: true})
for (const f of result.outputFiles) {
  let text = f.text
  if (f.path.endsWith('.cjs')) {
    // A classic script has no import() of its own: the loader passes one in (relative paths resolve from the script).
    // Every import( call becomes a call of it (oclif's module loader imports plugins and hooks by file URL); one
    // inside a string (an oclif message) stays.
    text = text.replace(/(?<![\w$."'`])import\((?=("[^"]*")?)/g, (all, spec) => {
      const s = spec && JSON.parse(spec)
      if (s && !expected.has(s) && !s.startsWith('node:')) throw new Error(`unexpected import(${spec}) in ${OUT}: add it to ESM_ONLY or EXTERNAL_DYNAMIC`)
      return '__lbctlImport('
    })
  }
  writeFileSync(f.path, text)
}
// Kept for the start-up test (test/integration/cli/startup.test.ts): which inputs the script holds, imported how.
writeFileSync('dist/cli/meta.json', JSON.stringify(result.metafile))
