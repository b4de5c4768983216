// What the adapters (CLI, HTTP, Electron) need from below the api layer, so that they import the
// api only (style.md section 2): the error type, where the database lives, and opening it.
import { defaultDatabase } from '../core/paths'
import type { RunStore } from '../core/store/runStore'
import { SqliteRunStore } from '../core/store/sqliteRunStore'

export { isVaeLabError, VaeLabError } from '../common/errors'
export { defaultDatabase } from '../core/paths'
export { repoRoot } from '../core/version'
export type { RunStore } from '../core/store/runStore'

/** The run database at `file` (default: the user's), migrated, or a clear error. */
export function openRunStore(file?: string): RunStore {
  return new SqliteRunStore(file ?? defaultDatabase())
}
