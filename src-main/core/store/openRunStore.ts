// The one way to open a run store: from a URI, by its scheme. Every entry point goes through
// here (--db, VAE_LAB_DB, the workbench, training and figure workers), so a new backend is one
// more case in openRunStore, and an unsupported URI is refused before anything is created.
import fs from 'node:fs'
import path from 'node:path'
import { VaeLabError } from '../../common/errors'
import { defaultDatabase } from '../paths'
import type { PgDriverOptions } from './pgDriver'
import { parsePostgresUri, redactUri } from './postgresTarget'
import type { RunStore } from './runStore'
import { SqliteDriver } from './sqliteDriver'
import { SqlRunStore } from './sqlRunStore'
import { configuredStore } from './storeSettings'

export { redactUri }

export const SUPPORTED_STORES =
  'a SQLite file (PATH or sqlite:PATH) or a PostgreSQL database (postgres://USER:PASSWORD@HOST:PORT/DB)'

export type StoreLocation =
  | { backend: 'sqlite'; file: string }
  | { backend: 'postgres'; url: string }

/**
 * What a --db value names. A plain path is a SQLite file (a Windows drive letter is a path);
 * `scheme://...` and the known `scheme:` prefixes are URIs.
 */
export function parseStoreUri(uri: string): StoreLocation {
  const text = uri.trim()
  if (!text) throw new VaeLabError('INVALID_INPUT', `the store is empty; give ${SUPPORTED_STORES}`)
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(text)?.[1].toLowerCase()
  if (scheme === 'sqlite') {
    // sqlite:runs.sqlite, sqlite:/abs/runs.sqlite, and SQLAlchemy's sqlite:///abs/runs.sqlite.
    const file = text.slice('sqlite:'.length).replace(/^\/\/(?=\/)/, '')
    if (!file)
      throw new VaeLabError('INVALID_INPUT', 'sqlite: needs a file, e.g. sqlite:runs.sqlite')
    return { backend: 'sqlite', file: path.resolve(file) }
  }
  if (scheme === 'postgres' || scheme === 'postgresql') return { backend: 'postgres', url: text }
  if (scheme && /^[a-z][a-z0-9+.-]+:\/\//i.test(text)) {
    throw new VaeLabError(
      'INVALID_INPUT',
      `${redactUri(text)} is not a store this build can open (scheme "${scheme}:"); give ${SUPPORTED_STORES}`
    )
  }
  return { backend: 'sqlite', file: path.resolve(text) }
}

/**
 * The store to use: --db, else VAE_LAB_DB, else the workbench's Store setting, else
 * VAE_LAB_HOME/runs.sqlite, else the user data directory's runs.sqlite.
 */
export function resolveStoreUri(flag?: string, env: NodeJS.ProcessEnv = process.env): string {
  if (flag !== undefined) return flag
  if (env.VAE_LAB_DB) return env.VAE_LAB_DB
  return configuredStore(env) ?? defaultDatabase(env)
}

/** The URI as a store opened from it reports it (RunStore.uri): SQLite paths made absolute. */
export function canonicalStoreUri(uri: string): string {
  const loc = parseStoreUri(uri)
  return loc.backend === 'sqlite' ? `sqlite:${loc.file}` : loc.url
}

export interface OpenOptions {
  /** Refuse a store that does not exist yet instead of creating it (db check, db backup). */
  mustExist?: boolean
  /** PostgreSQL: how long a lost connection is retried, and the timeouts (pgDriver.ts). */
  postgres?: PgDriverOptions
}

/** Opens (creating and migrating where needed) the store `uri` names, or a clear VaeLabError. */
export async function openRunStore(uri: string, options: OpenOptions = {}): Promise<RunStore> {
  const loc = parseStoreUri(uri)
  switch (loc.backend) {
    case 'sqlite': {
      if (options.mustExist && !fs.existsSync(loc.file))
        throw new VaeLabError('NOT_FOUND', `there is no database at ${loc.file}`)
      const driver = SqliteDriver.open(loc.file)
      return new SqlRunStore(driver, `sqlite:${loc.file}`, loc.file, driver.maintenance())
    }
    case 'postgres': {
      // The URI is checked before any connection; a refused connection names the reason, and a
      // database is created by its administrator, never here.
      const target = parsePostgresUri(loc.url)
      // Loaded only for PostgreSQL: node-postgres is 30 ms of every SQLite command's start-up.
      const { PgDriver } = await import('./pgDriver')
      const driver = await PgDriver.open(target, options.postgres)
      return new SqlRunStore(driver, target.url, `postgres://${target.display}`)
    }
  }
}
