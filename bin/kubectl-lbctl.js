#!/usr/bin/env node
// kubectl plugin entry point: `kubectl lbctl …` runs this when it is on PATH as `kubectl-lbctl`.
await import('./run.js')
