// The store the workbench was told to use (its Store setting), kept in VAE_LAB_HOME/settings.json
// beside the default SQLite file, so the app, `serve` and the CLI open the same store. The file
// may hold a password: it is written for its owner only (0600), and never shown back in full.
import fs from 'node:fs'
import path from 'node:path'
import { VaeLabError } from '../../common/errors'
import { defaultHome } from '../paths'

export function settingsFile(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(defaultHome(env), 'settings.json')
}

/** The configured store's URI, or null (no file, no setting, or a file that is not JSON). */
export function configuredStore(env: NodeJS.ProcessEnv = process.env): string | null {
  try {
    const s = JSON.parse(fs.readFileSync(settingsFile(env), 'utf8')) as { store?: unknown }
    return typeof s.store === 'string' && s.store.trim() ? s.store : null
  } catch {
    return null
  }
}

/** Sets (or with null, clears) the configured store; other settings in the file are kept. */
export function configureStore(uri: string | null, env: NodeJS.ProcessEnv = process.env): void {
  const file = settingsFile(env)
  let settings: Record<string, unknown> = {}
  try {
    settings = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, unknown>
  } catch {
    // none yet, or unreadable: start afresh
  }
  if (uri === null) delete settings.store
  else settings.store = uri
  try {
    fs.mkdirSync(path.dirname(file), { recursive: true })
    const staging = `${file}.partial-${process.pid}`
    fs.writeFileSync(staging, JSON.stringify(settings, null, 2) + '\n', { mode: 0o600 })
    fs.renameSync(staging, file)
  } catch (e) {
    throw new VaeLabError(
      'INVALID_INPUT',
      `cannot write the settings file ${file}: ${(e as Error).message}`,
      {
        cause: e
      }
    )
  }
}
