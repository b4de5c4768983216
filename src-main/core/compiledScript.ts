import fs from 'node:fs'
import path from 'node:path'
import { VaeLabError } from '../common/errors'
import { repoRoot } from './version'

/**
 * A worker_threads entry compiled to out/node (`npm run build:node`). The CLI runs from there, but
 * vitest runs the .ts sources and Electron a bundle in out/main: all of them start workers from
 * out/node, so each worker keeps the CLI's layout and its package lookups hold.
 */
export function compiledScript(relative: string): string {
  const file = path.join(repoRoot(), 'out', 'node', relative)
  if (!fs.existsSync(file))
    throw new VaeLabError(
      'INTERNAL',
      `worker script ${file} is missing; run \`npm run build:node\``
    )
  return file
}
