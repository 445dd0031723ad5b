// The distributions' API objects live with the harness (test/harness/fixtures/clusters.ts) so that `npm run demo`
// can serve them too; the tests keep importing them from here.
export * from '../../harness/fixtures/clusters.js'
