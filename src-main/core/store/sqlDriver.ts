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
   * The statement that takes the next queued run: sets it running with its lease (@owner,
   * @worker, @token, @leaseMs, @onLost) and returns its id, attempt and epochs done. `filter` is
   * a condition on the candidate runs (`r.` columns), or null. SQLite runs it in an immediate
   * transaction; PostgreSQL adds FOR UPDATE SKIP LOCKED to the inner SELECT, so racing workers
   * each get a different run and none waits for another.
   */
  claimNextSql(filter: string | null): string
  /**
   * The database's clock in milliseconds since 1970, as an SQL expression. Leases are compared
   * against it, never against a worker's own clock: the workers' machines may disagree.
   */
  readonly nowMs: string
  /**
   * Appended to a SELECT that reads a row a transaction then changes (' FOR UPDATE' on
   * PostgreSQL; nothing on SQLite, whose immediate transaction already holds the only write lock).
   */
  readonly lockRows: string
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

/**
 * The claim both engines share: the next queued run (highest priority, then oldest) becomes
 * running under a lease that ends `@leaseMs` from now on the database's clock; `lock` follows the
 * inner SELECT (PostgreSQL's FOR UPDATE SKIP LOCKED). Each claim counts as an attempt.
 */
export function claimNextSql(nowMs: string, filter: string | null, lock: string): string {
  return `UPDATE runs SET status = 'running', owner = @owner, worker = @worker,
      lease_token = @token, lease_expires_at = ${nowMs} + @leaseMs, heartbeat_at = ${nowMs},
      on_lost = @onLost, attempts = attempts + 1, started_at = coalesce(started_at, @now),
      cancel_requested = 0, message = NULL
    WHERE id = (SELECT r.id FROM runs r WHERE r.status = 'queued'${filter ? ` AND ${filter}` : ''}
                ORDER BY r.priority DESC, r.id LIMIT 1${lock})
    RETURNING id, attempts, epochs_done`
}
