// SQLite for SqlRunStore, over better-sqlite3: one connection (WAL, 5 s busy timeout), the schema
// migrated at open (user_version), statements prepared once and cached by their text, and the
// file upkeep (integrity check, online backup) that only a file database has.
import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { VaeLabError } from '../../common/errors'
import { newerSchemaError, pendingMigrations } from './migrations/migration'
import { SQLITE_MIGRATIONS, SQLITE_SCHEMA_VERSION } from './migrations/sqlite'
import type { FileMaintenance } from './runStore'
import {
  claimNextSql,
  type SqlDialect,
  type SqlDriver,
  type SqlExecutor,
  type SqlParams,
  type TransactionMode
} from './sqlDriver'

// Milliseconds since 1970 on SQLite's clock (julianday works on every SQLite version).
const SQLITE_NOW_MS = "CAST((julianday('now') - 2440587.5) * 86400000 AS INTEGER)"

/** Extra tries of BEGIN IMMEDIATE after the busy timeout gave up (the lock holder may be slow). */
const BUSY_RETRIES = 3

export function isSqliteError(e: unknown, ...codes: string[]): boolean {
  const code = (e as { code?: unknown } | null)?.code
  return typeof code === 'string' && codes.includes(code)
}

/**
 * SQLite's errors about the file itself, as a VaeLabError that says what to do (issue 12, finding
 * 5); any other error is returned as it is. Extended codes (SQLITE_READONLY_DBMOVED,
 * SQLITE_IOERR_WRITE, ...) count as their primary code.
 */
export function storageError(e: unknown, file: string): unknown {
  const code = (e as { code?: unknown } | null)?.code
  if (typeof code !== 'string' || e instanceof VaeLabError) return e
  const primary = /^SQLITE_[A-Z]+/.exec(code)?.[0]
  const why = (e as Error).message
  const at = (c: 'DATABASE_DAMAGED' | 'DATABASE_UNWRITABLE', message: string): VaeLabError =>
    new VaeLabError(c, message, { cause: e })
  switch (primary) {
    case 'SQLITE_CORRUPT':
    case 'SQLITE_NOTADB':
      return at(
        'DATABASE_DAMAGED',
        `the database ${file} is damaged (${why}); stop VAE Lab and restore a copy made with \`vae-lab db backup\`, or choose another --db (\`vae-lab db check\` lists the damage)`
      )
    case 'SQLITE_READONLY':
      return at(
        'DATABASE_UNWRITABLE',
        `the database ${file} is read-only (${why}); make the file and its folder writable, or choose another --db`
      )
    case 'SQLITE_FULL':
      return at(
        'DATABASE_UNWRITABLE',
        `the disk holding the database ${file} is full (${why}); nothing was written: free some space, or choose another --db`
      )
    case 'SQLITE_CANTOPEN':
      return at(
        'DATABASE_UNWRITABLE',
        `cannot open the database ${file} or its journal (${why}); check that the file and its folder exist and are writable, or choose another --db`
      )
    case 'SQLITE_IOERR':
      return at(
        'DATABASE_UNWRITABLE',
        `the disk failed while reading or writing the database ${file} (${why}); check the disk, or choose another --db`
      )
    default:
      return e
  }
}

export const SQLITE_DIALECT: SqlDialect = {
  name: 'sqlite',
  // One writer at a time: the driver runs this in an immediate transaction.
  claimNextSql: (filter) => claimNextSql(SQLITE_NOW_MS, filter, ''),
  nowMs: SQLITE_NOW_MS,
  lockRows: '',
  isUniqueViolation: (e) =>
    isSqliteError(e, 'SQLITE_CONSTRAINT_UNIQUE', 'SQLITE_CONSTRAINT_PRIMARYKEY')
}

/**
 * mkdir -p, one level at a time: Node's recursive mkdirSync spins forever under /proc (seen on
 * Node 20), and a failure here should name the directory and the reason.
 */
function ensureDirectory(dir: string): void {
  if (fs.existsSync(dir)) return
  ensureDirectory(path.dirname(dir))
  try {
    fs.mkdirSync(dir)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return
    throw new VaeLabError(
      'INVALID_INPUT',
      `cannot create the directory ${dir} for the database (${code ?? String(e)}); choose another --db`,
      { cause: e }
    )
  }
}

/** Opens (creating if needed) a VAE Lab database: WAL, busy timeout, migrations, refusal of newer schemas. */
export function openDatabase(file: string): Database.Database {
  ensureDirectory(path.dirname(path.resolve(file)))
  let db: Database.Database
  try {
    db = new Database(file, { timeout: 5000 })
  } catch (e) {
    throw new VaeLabError(
      'INVALID_INPUT',
      `cannot open the database ${file}: ${(e as Error).message}; choose another --db`,
      { cause: e }
    )
  }
  try {
    const version = db.pragma('user_version', { simple: true }) as number
    if (version > SQLITE_SCHEMA_VERSION)
      throw newerSchemaError(file, version, SQLITE_SCHEMA_VERSION)
    const objects = (db.prepare('SELECT count(*) AS n FROM sqlite_master').get() as { n: number }).n
    if (version === 0 && objects > 0) {
      throw new VaeLabError(
        'DATABASE_INCOMPATIBLE',
        `${file} is an SQLite database of another program (it has tables but no VAE Lab schema); it was left untouched. Choose another file with --db.`
      )
    }
    db.pragma('journal_mode = WAL')
    db.pragma('foreign_keys = ON')
    const pending = pendingMigrations(SQLITE_MIGRATIONS, version)
    if (pending.length > 0) {
      db.transaction(() => {
        for (const m of pending) db.exec(m.sql)
        db.pragma(`user_version = ${SQLITE_SCHEMA_VERSION}`)
      }).immediate()
    }
    return db
  } catch (e) {
    db.close()
    if (e instanceof VaeLabError) throw e
    if (isSqliteError(e, 'SQLITE_NOTADB', 'SQLITE_CORRUPT')) {
      throw new VaeLabError(
        'DATA_CORRUPT',
        `${file} is not a readable VAE Lab database (${(e as Error).message}); it was left untouched. ` +
          'Restore a backup or choose another file with --db.',
        { cause: e }
      )
    }
    throw storageError(e, file)
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export class SqliteDriver implements SqlDriver {
  readonly dialect = SQLITE_DIALECT
  private readonly statements = new Map<string, Database.Statement>()
  // Calls on the connection run one after another: a transaction awaits between its statements,
  // and nothing else may land inside it (or start a second BEGIN) meanwhile.
  private tail: Promise<unknown> = Promise.resolve()
  /** Executes directly on the connection; only ever used by the call holding the turn. */
  private readonly direct: SqlExecutor = {
    all: async <T>(sql: string, params?: SqlParams) => this.prepare(sql).all(params ?? {}) as T[],
    get: async <T>(sql: string, params?: SqlParams) =>
      this.prepare(sql).get(params ?? {}) as T | undefined,
    run: async (sql: string, params?: SqlParams) => ({
      changes: this.prepare(sql).run(params ?? {}).changes
    })
  }

  constructor(
    private readonly db: Database.Database,
    readonly file: string
  ) {}

  static open(file: string): SqliteDriver {
    return new SqliteDriver(openDatabase(file), file)
  }

  private prepare(sql: string): Database.Statement {
    let s = this.statements.get(sql)
    if (!s) {
      s = this.db.prepare(sql)
      this.statements.set(sql, s)
    }
    return s
  }

  /** Runs `f` when every earlier call on this connection has finished. */
  private turn<T>(f: () => Promise<T>): Promise<T> {
    const result = this.tail.then(f).catch((e: unknown) => {
      throw storageError(e, this.file)
    })
    this.tail = result.catch(() => undefined)
    return result
  }

  all<T>(sql: string, params?: SqlParams): Promise<T[]> {
    return this.turn(() => this.direct.all<T>(sql, params))
  }

  get<T>(sql: string, params?: SqlParams): Promise<T | undefined> {
    return this.turn(() => this.direct.get<T>(sql, params))
  }

  run(sql: string, params?: SqlParams): Promise<{ changes: number }> {
    return this.turn(() => this.direct.run(sql, params))
  }

  transaction<T>(mode: TransactionMode, fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.turn(async () => {
      await this.begin(mode)
      try {
        const result = await fn(this.direct)
        this.db.exec('COMMIT')
        return result
      } catch (e) {
        if (this.db.inTransaction) this.db.exec('ROLLBACK')
        throw e
      }
    })
  }

  /** BEGIN, retried while another connection holds the write lock past the busy timeout. */
  private async begin(mode: TransactionMode): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      try {
        this.db.exec(mode === 'immediate' ? 'BEGIN IMMEDIATE' : 'BEGIN')
        return
      } catch (e) {
        if (!isSqliteError(e, 'SQLITE_BUSY') || attempt >= BUSY_RETRIES) throw e
        await sleep(50 + Math.random() * 200)
      }
    }
  }

  changeToken(): Promise<string> {
    return this.turn(async () => String(this.db.pragma('data_version', { simple: true })))
  }

  close(): Promise<void> {
    return this.turn(async () => {
      if (this.db.open) this.db.close()
    })
  }

  /** The file upkeep SQLite offers (RunStore.maintenance). */
  maintenance(): FileMaintenance {
    return {
      file: this.file,
      integrityCheck: () =>
        this.turn(async () =>
          (this.db.pragma('integrity_check') as { integrity_check: string }[]).map(
            (r) => r.integrity_check
          )
        ),
      backupTo: (target, overwrite) => this.backupTo(target, overwrite)
    }
  }

  /**
   * A consistent copy, written beside the target and renamed into place: never the database
   * itself (or its -wal/-shm files), and an existing file only when `overwrite` says so.
   */
  private async backupTo(file: string, overwrite: boolean): Promise<void> {
    const target = path.resolve(file)
    const source = fs.realpathSync(this.file)
    const real = fs.existsSync(target) ? fs.realpathSync(target) : target
    if ([source, `${source}-wal`, `${source}-shm`].includes(real)) {
      throw new VaeLabError(
        'INVALID_INPUT',
        `${file} is the database itself; back it up to another path`
      )
    }
    if (fs.existsSync(target) && !overwrite) {
      throw new VaeLabError(
        'INVALID_INPUT',
        `${file} exists; choose another path, or add --force to replace it`
      )
    }
    const staging = `${target}.partial-${process.pid}`
    try {
      // The online backup copies pages between other calls: it needs no turn of its own.
      await this.db.backup(staging)
      fs.renameSync(staging, target)
    } catch (e) {
      fs.rmSync(staging, { force: true })
      throw new VaeLabError(
        'INVALID_INPUT',
        `cannot write a backup to ${file}: ${(e as Error).message}`,
        { cause: e }
      )
    }
  }
}
