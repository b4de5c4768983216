// Databases in the states a user's disk can leave them in: one page overwritten with noise, or a
// file the process cannot write (chattr +i, which binds root too; the tests run as root in CI).
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import Database from 'better-sqlite3'
import { mulberry32 } from '../../src-main/core/train/random'

/** Overwrites the root page of `table` with deterministic noise (after checkpointing the WAL). */
export function scramblePage(file: string, table = 'runs', seed = 7): void {
  const db = new Database(file)
  db.pragma('wal_checkpoint(TRUNCATE)')
  const pageSize = db.pragma('page_size', { simple: true }) as number
  const { rootpage } = db
    .prepare("SELECT rootpage FROM sqlite_master WHERE type = 'table' AND name = ?")
    .get(table) as { rootpage: number }
  db.close()
  const rng = mulberry32(seed)
  const noise = Buffer.from(Array.from({ length: pageSize }, () => Math.floor(rng() * 256)))
  const fd = fs.openSync(file, 'r+')
  fs.writeSync(fd, noise, 0, pageSize, (rootpage - 1) * pageSize)
  fs.closeSync(fd)
}

/** Makes `file` immutable; returns the undo, or null where chattr is not available. */
export function makeImmutable(file: string): (() => void) | null {
  const r = spawnSync('chattr', ['+i', file])
  if (r.status !== 0) return null
  return () => void spawnSync('chattr', ['-i', file])
}

/** Whether makeImmutable works here (tried on a scratch file). */
export function canMakeImmutable(): boolean {
  if (process.platform !== 'linux') return false
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'vae-lab-chattr-')), 'probe')
  fs.writeFileSync(file, '')
  const release = makeImmutable(file)
  release?.()
  return release !== null
}
