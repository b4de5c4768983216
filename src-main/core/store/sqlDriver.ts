// The little that SqlRunStore needs from a database engine. SQLite implements it today
// (sqliteDriver.ts, over better-sqlite3); a PostgreSQL driver (node-postgres) implements the same
// interface and its own dialect, and the store's queries stay as they are.
//
// Queries are written once in the SQL both engines speak: named parameters (@runId), `RETURNING`,
// `INSERT ... ON CONFLICT ... DO UPDATE/NOTHING`, no engine functions. What differs lives in a
// SqlDialect: how the next queued run is claimed, how a unique violation is recognised.

/** What a parameter may be: BLOB (SQLite) or BYTEA (PostgreSQL) values are Uint8Array. */
export type SqlValue = string | number | null | Uint8Array
export type SqlParams = Readonly<Record<string, SqlValue>>

/**
 * Runs statements. Rows come back with INTEGER/REAL columns as JS numbers (a PostgreSQL driver
 * parses int8 and numeric), TEXT as strings and BLOB/BYTEA as Uint8Array (a Buffer will do).
 */
export interface SqlExecutor {
  all<T>(sql: string, params?: SqlParams): Promise<T[]>
  get<T>(sql: string, params?: SqlParams): Promise<T | undefined>
  run(sql: string, params?: SqlParams): Promise<{ changes: number }>
}

/**
 * 'immediate' takes the write lock when the transaction begins, so a read-then-write cannot fail
 * half-way on a snapshot conflict (SQLite's BEGIN IMMEDIATE, retried while the database is busy;
 * pitfalls.md section 3). 'deferred' is for transactions that only read or only write once.
 */
export type TransactionMode = 'immediate' | 'deferred'

export interface SqlDriver extends SqlExecutor {
  readonly dialect: SqlDialect
  /**
   * Runs `fn` in one transaction: committed when it resolves, rolled back when it throws. `fn`
   * must use `tx`, not the driver, and do nothing slow: other calls on this connection wait.
   */
  transaction<T>(mode: TransactionMode, fn: (tx: SqlExecutor) => Promise<T>): Promise<T>
  /** Differs after another connection committed; see RunStore.changeToken. */
  changeToken(): Promise<string>
  close(): Promise<void>
}

export interface SqlDialect {
  readonly name: 'sqlite' | 'postgres'
  /**
   * The statement that takes the next queued run: sets it running for @owner at @now and returns
   * its id. `among` is a condition on runs.id to add (or null). SQLite runs it in an immediate
   * transaction; PostgreSQL adds FOR UPDATE SKIP LOCKED to the inner SELECT.
   */
  claimNextSql(among: string | null): string
  /** Whether `e` is the engine's unique-constraint violation. */
  isUniqueViolation(e: unknown): boolean
}

/** `IN (@ids_0, @ids_1, ...)` and its parameters: a list both engines take as plain placeholders. */
export function inList(
  name: string,
  values: readonly SqlValue[]
): { sql: string; params: Record<string, SqlValue> } {
  const params = Object.fromEntries(values.map((v, i) => [`${name}_${i}`, v]))
  const names = Object.keys(params).map((k) => `@${k}`)
  return { sql: `IN (${names.length ? names.join(', ') : 'NULL'})`, params }
}

/**
 * `@name` placeholders to PostgreSQL's `$1, $2, ...` and the order of their values; for a driver
 * whose engine has no named parameters. Names are letters, digits and _; '@' appears nowhere else
 * in the store's SQL (no string literal holds one).
 */
export function positionalSql(sql: string): { text: string; names: string[] } {
  const names: string[] = []
  const text = sql.replace(/@([A-Za-z_][A-Za-z0-9_]*)/g, (_m, name: string) => {
    let i = names.indexOf(name)
    if (i < 0) i = names.push(name) - 1
    return `$${i + 1}`
  })
  return { text, names }
}
