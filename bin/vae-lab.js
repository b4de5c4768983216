#!/usr/bin/env node
'use strict'
// The CLI runs from the compiled core (npm's `prepare` step builds it on install).
const path = require('node:path')
const fs = require('node:fs')
const entry = path.join(__dirname, '..', 'out', 'node', 'adapters', 'cli', 'main.js')
if (!fs.existsSync(entry)) {
  process.stderr.write(
    'vae-lab: the CLI is not built yet. Run `npm run build:node` (or `npm install`) first.\n'
  )
  process.exit(1)
}
// A command that trains starts its first worker before the rest of the CLI loads (prewarm.ts).
require(path.join(path.dirname(entry), 'prewarm.js')).prewarm(process.argv)
require(entry)
  .main(process.argv)
  .then((code) => {
    process.exitCode = code
  })
