// Audits the Electron code with @doyensec/electronegativity (design.md section 4) and prints its
// findings as JSON: `node scripts/audit-electron.mjs [--fail-on high] DIR_OR_FILE...`.
// Offline on purpose: the tool fetches translations and Electron's release list from GitHub on
// every run; both lookups are answered here with "unavailable", so no request leaves the machine.
import { fileURLToPath } from 'node:url'
import { createRequire, Module } from 'node:module'
import path from 'node:path'

const require = createRequire(import.meta.url)
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const toolDir = path.dirname(require.resolve('@doyensec/electronegativity/package.json'))
const toolRequire = createRequire(path.join(toolDir, 'package.json'))

// Seed the module cache with an offline `got` before the tool loads the real one.
const gotId = toolRequire.resolve('got')
const offline = () => Promise.reject(new Error('offline: vae-lab audits without network'))
const stub = new Module(gotId)
stub.filename = gotId
stub.loaded = true
stub.exports = Object.assign(offline, { default: offline, get: offline })
require.cache[gotId] = stub

const args = process.argv.slice(2)
const failAt = args[0] === '--fail-on' ? args.splice(0, 2)[1].toUpperCase() : null
const SEVERITIES = ['INFORMATIONAL', 'LOW', 'MEDIUM', 'HIGH']
const electronVersion = require(path.join(root, 'node_modules/electron/package.json')).version
const run = ((m) => m.default ?? m)(toolRequire('@doyensec/electronegativity'))

// The tool logs progress on stdout; keep stdout for the JSON.
const log = console.log
console.log = (...a) => console.error(...a)
const reports = []
for (const input of args) {
  const r = await run({
    input: path.resolve(input),
    isRelative: true,
    electronVersionOverride: electronVersion,
    excludeFromScan: ['AvailableSecurityFixesGlobalCheck']
  })
  reports.push({
    input,
    parseErrors: r.errors,
    issues: r.issues.map((i) => ({
      id: i.id,
      severity: i.severity.name,
      confidence: i.confidence.name,
      file: i.file,
      line: i.location?.line ?? 0,
      sample: (i.sample ?? '').slice(0, 160),
      manualReview: Boolean(i.manualReview),
      description: i.description
    }))
  })
}
console.log = log
console.log(JSON.stringify({ electronVersion, reports }, null, 2))
if (failAt) {
  const worst = reports
    .flatMap((r) => r.issues)
    .filter((i) => SEVERITIES.indexOf(i.severity) >= SEVERITIES.indexOf(failAt))
  if (worst.length > 0) process.exitCode = 1
}
