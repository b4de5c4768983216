// The migration scheme every store backend follows: numbered migrations (1, 2, ...) applied in
// order at open, in one transaction, the last number kept in the database (SQLite: user_version);
// a database newer than the code is refused. Never edit a shipped migration: append the next.
import { VaeLabError } from '../../../common/errors'

export interface Migration {
  version: number
  name: string
  sql: string
}

/** The migrations after `version`, in order; throws if the list is not numbered 1, 2, 3, ... */
export function pendingMigrations(all: readonly Migration[], version: number): Migration[] {
  all.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(`migration ${m.name} is numbered ${m.version}, expected ${i + 1}`)
  })
  return all.filter((m) => m.version > version)
}

/** The refusal of a database written by a newer VAE Lab; `where` names it (a file, a server). */
export function newerSchemaError(where: string, found: number, known: number): VaeLabError {
  return new VaeLabError(
    'DATABASE_INCOMPATIBLE',
    `${where} was written by a newer VAE Lab (schema ${found}, this version knows up to ${known}); ` +
      'upgrade VAE Lab, or choose another database with --db. Nothing in it was changed.'
  )
}
