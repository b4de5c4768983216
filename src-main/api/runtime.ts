// What the adapters (CLI, HTTP, Electron) need from below the api layer, so that they import the
// api only (style.md section 2): the error type, where the store lives, and opening it.
import {
  openRunStore as openStore,
  resolveStoreUri,
  type OpenOptions
} from '../core/store/openRunStore'
import type { RunStore } from '../core/store/runStore'

export { isVaeLabError, VaeLabError } from '../common/errors'
export { defaultDatabase } from '../core/paths'
export { repoRoot } from '../core/version'
export { builtinMnistInfo } from '../core/data/dataset'
export { SUPPORTED_STORES } from '../core/store/openRunStore'
export type { RunStore } from '../core/store/runStore'
export type { OpenOptions } from '../core/store/openRunStore'

/**
 * The run store `uri` names (--db), else VAE_LAB_DB's, else the user's SQLite file; opened
 * through the one registry, migrated, or a clear error.
 */
export function openRunStore(uri?: string, options?: OpenOptions): Promise<RunStore> {
  return openStore(resolveStoreUri(uri), options)
}
