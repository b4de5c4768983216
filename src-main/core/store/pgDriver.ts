// PostgreSQL for SqlRunStore, over node-postgres: ONE connection per process (a pg.Client, not a
// pool: a hundred workers must not hold a thousand connections), the schema migrated once under an
// advisory lock, calls run one after another on the connection (a transaction owns it until it
// ends), and a lost connection (the server restarted, the network dropped) reconnected and the
// call retried for a while. The store's writes are safe to retry: upserts keyed by run and epoch,
// and writes fenced by the run's lease token.
import pg from 'pg'
import { VaeLabError } from '../../common/errors'
import { newerSchemaError, pendingMigrations } from './migrations/migration'
import { POSTGRES_MIGRATIONS, POSTGRES_SCHEMA_VERSION } from './migrations/postgres'
import { connectError, isConnectionError, type PostgresTarget } from './postgresTarget'
import {
  claimNextSql,
  positionalSql,
  type SqlDialect,
  type SqlDriver,
  type SqlExecutor,
  type SqlParams,
  type TransactionMode
} from './sqlDriver'

const PG_NOW_MS = '(extract(epoch from clock_timestamp()) * 1000)::bigint'

export const POSTGRES_DIALECT: SqlDialect = {
  name: 'postgres',
  // Racing workers skip the row another is claiming instead of waiting for it: each gets its own.
  claimNextSql: (filter) => claimNextSql(PG_NOW_MS, filter, ' FOR UPDATE SKIP LOCKED'),
  nowMs: PG_NOW_MS,
  lockRows: ' FOR UPDATE',
  isUniqueViolation: (e) => (e as { code?: unknown } | null)?.code === '23505'
}

// Any constant: all VAE Lab processes serialise their migrations on it.
const MIGRATION_LOCK = 0x7661656c // 'vael'

// count(*) and BIGINT columns (milliseconds) come back as JS numbers, as SQLite's do; per client,
// so nothing else in the process that uses pg is affected.
const TYPES: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: string) => {
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC)
      return (v: string) => Number(v)
    return pg.types.getTypeParser(oid, format as 'text')
  }) as pg.CustomTypesConfig['getTypeParser']
}

export interface PgDriverOptions {
  /** How long a call keeps reconnecting after the connection was lost (ms); 0 fails at once. */
  reconnectMs?: number
  /** A query that takes longer fails, and its connection is replaced (a silent partition). */
  queryTimeoutMs?: number
  connectTimeoutMs?: number
}

const DEFAULTS: Required<PgDriverOptions> = {
  reconnectMs: 30_000,
  queryTimeoutMs: 120_000,
  connectTimeoutMs: 10_000
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

export class PgDriver implements SqlDriver {
  readonly dialect = POSTGRES_DIALECT
  private client: pg.Client | null = null
  private closed = false
  private tail: Promise<unknown> = Promise.resolve()
  private readonly names = new Map<string, { name: string; text: string; names: string[] }>()
  private readonly options: Required<PgDriverOptions>
  /** Counts connections made, for tests and messages ("reconnected 2 times"). */
  connects = 0

  private constructor(
    readonly target: PostgresTarget,
    options: PgDriverOptions
  ) {
    this.options = { ...DEFAULTS, ...options }
  }

  /**
   * Connects (a failure is a clear INVALID_INPUT: wrong password, unreachable host, too many
   * clients...), refuses a database of a newer VAE Lab or of another program, and applies the
   * pending migrations once, whoever else is opening it at the same moment.
   */
  static async open(target: PostgresTarget, options: PgDriverOptions = {}): Promise<PgDriver> {
    const driver = new PgDriver(target, options)
    try {
      driver.client = await driver.connect()
    } catch (e) {
      throw connectError(target, e)
    }
    try {
      await driver.migrate()
    } catch (e) {
      await driver.close()
      throw e
    }
    return driver
  }

  private async connect(): Promise<pg.Client> {
    const client = new pg.Client({
      connectionString: this.target.url,
      application_name: `vae-lab ${process.pid}`,
      connectionTimeoutMillis: this.options.connectTimeoutMs,
      query_timeout: this.options.queryTimeoutMs,
      keepAlive: true,
      types: TYPES
    })
    // A connection that dies between calls: the next call makes a new one.
    client.on('error', () => {
      if (this.client === client) this.client = null
    })
    try {
      await client.connect()
    } catch (e) {
      client.end().catch(() => {})
      throw e
    }
    this.connects++
    return client
  }

  /** Runs `f` on a live connection; a lost connection is remade and `f` retried for a while. */
  private async withClient<T>(f: (c: pg.Client) => Promise<T>): Promise<T> {
    const deadline = Date.now() + this.options.reconnectMs
    for (let attempt = 0; ; attempt++) {
      if (this.closed) throw new VaeLabError('INTERNAL', 'the PostgreSQL store is closed')
      let client: pg.Client | null = this.client
      try {
        if (!client) {
          try {
            client = this.client = await this.connect()
          } catch (e) {
            // The server answers but refuses (too many clients, the password changed): say so.
            if (!isConnectionError(e)) throw connectError(this.target, e)
            throw e
          }
        }
        return await f(client)
      } catch (e) {
        if (!isConnectionError(e)) throw e
        if (client && this.client === client) this.client = null
        client?.end().catch(() => {})
        if (Date.now() >= deadline || this.closed) throw lostConnection(this.target, e)
        await sleep(Math.min(2000, 100 * 2 ** attempt))
      }
    }
  }

  private statement(sql: string, params?: SqlParams): pg.QueryConfig {
    let s = this.names.get(sql)
    if (!s) {
      const { text, names } = positionalSql(sql)
      s = { name: `vae_lab_${this.names.size}`, text, names }
      this.names.set(sql, s)
    }
    const values = s.names.map((n) => {
      const v = params?.[n]
      if (v === undefined) throw new Error(`missing SQL parameter @${n}`)
      // BYTEA parameters go as Buffers (sent in binary, no hex encoding).
      return v instanceof Uint8Array && !Buffer.isBuffer(v)
        ? Buffer.from(v.buffer, v.byteOffset, v.byteLength)
        : v
    })
    // Named statements are parsed once per connection, like SQLite's prepared statements.
    return { name: s.name, text: s.text, values }
  }

  private executor(client: pg.Client): SqlExecutor {
    return {
      all: async <T>(sql: string, params?: SqlParams) =>
        (await client.query(this.statement(sql, params))).rows as T[],
      get: async <T>(sql: string, params?: SqlParams) =>
        (await client.query(this.statement(sql, params))).rows[0] as T | undefined,
      run: async (sql: string, params?: SqlParams) => ({
        changes: (await client.query(this.statement(sql, params))).rowCount ?? 0
      })
    }
  }

  /** Runs `f` when every earlier call on this connection has finished. */
  private turn<T>(f: () => Promise<T>): Promise<T> {
    const result = this.tail.then(f)
    this.tail = result.catch(() => undefined)
    return result
  }

  all<T>(sql: string, params?: SqlParams): Promise<T[]> {
    return this.turn(() => this.withClient((c) => this.executor(c).all<T>(sql, params)))
  }

  get<T>(sql: string, params?: SqlParams): Promise<T | undefined> {
    return this.turn(() => this.withClient((c) => this.executor(c).get<T>(sql, params)))
  }

  run(sql: string, params?: SqlParams): Promise<{ changes: number }> {
    return this.turn(() => this.withClient((c) => this.executor(c).run(sql, params)))
  }

  /**
   * READ COMMITTED with row locks: the store's read-then-write transactions read the run they
   * change with `dialect.lockRows` (FOR UPDATE), and claims skip locked rows. So 'immediate'
   * and 'deferred' begin alike here. A transaction cut off with its connection is rolled back by
   * the server, and run again from the start on a new connection.
   */
  transaction<T>(_mode: TransactionMode, fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.turn(() =>
      this.withClient(async (client) => {
        await client.query('BEGIN')
        try {
          const result = await fn(this.executor(client))
          await client.query('COMMIT')
          return result
        } catch (e) {
          if (!isConnectionError(e)) await client.query('ROLLBACK').catch(() => {})
          throw e
        }
      })
    )
  }

  changeToken(): Promise<string> {
    return this.turn(() =>
      this.withClient(async (c) => {
        const r = await c.query('SELECT last_value, is_called FROM vae_lab_changes')
        const row = r.rows[0] as { last_value: number; is_called: boolean }
        return `${row.last_value}:${row.is_called}`
      })
    )
  }

  /** The server's own id for this connection, so tests can cut it (pg_terminate_backend). */
  backendPid(): Promise<number> {
    return this.get<{ pid: number }>('SELECT pg_backend_pid() AS pid').then((r) => r?.pid ?? 0)
  }

  close(): Promise<void> {
    return this.turn(async () => {
      this.closed = true
      const c = this.client
      this.client = null
      await c?.end().catch(() => {})
    })
  }

  /**
   * The schema, once: a quick look first (the usual case: up to date, no lock taken), then under
   * a transaction-scoped advisory lock, so that a hundred workers starting at once apply each
   * migration exactly once and the others wait for it. Nothing is written to a database from a
   * newer VAE Lab or to one whose tables belong to another program.
   */
  private async migrate(): Promise<void> {
    const where = `the PostgreSQL database ${this.target.display}`
    const look = async (c: pg.Client) => {
      // A catalog query, not to_regclass: a session's name cache can miss a table that another
      // session created while this one waited for the lock.
      const r = await c.query<{ table_name: string }>(
        `SELECT table_name FROM information_schema.tables
          WHERE table_schema = current_schema() AND table_name IN ('vae_lab_schema', 'runs')`
      )
      const names = r.rows.map((t) => t.table_name)
      const schema = names.includes('vae_lab_schema')
      const runs = names.includes('runs')
      if (!schema) {
        if (runs)
          throw new VaeLabError(
            'DATABASE_INCOMPATIBLE',
            `${where} has a "runs" table but no VAE Lab schema: it belongs to another program and was left untouched. Choose another database.`
          )
        return 0
      }
      const v = await c.query<{ version: number }>('SELECT version FROM vae_lab_schema')
      return v.rows[0]?.version ?? 0
    }
    await this.withClient(async (c) => {
      const seen = await look(c)
      if (seen > POSTGRES_SCHEMA_VERSION)
        throw newerSchemaError(where, seen, POSTGRES_SCHEMA_VERSION)
      if (seen === POSTGRES_SCHEMA_VERSION) return
      await c.query('BEGIN')
      try {
        await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK])
        const version = await look(c) // another process may have migrated while we waited
        if (version > POSTGRES_SCHEMA_VERSION)
          throw newerSchemaError(where, version, POSTGRES_SCHEMA_VERSION)
        const pending = pendingMigrations(POSTGRES_MIGRATIONS, version)
        if (version === 0) await c.query('CREATE TABLE vae_lab_schema (version INTEGER NOT NULL)')
        for (const m of pending) await c.query(m.sql)
        if (pending.length > 0) {
          await c.query('DELETE FROM vae_lab_schema')
          await c.query('INSERT INTO vae_lab_schema (version) VALUES ($1)', [
            POSTGRES_SCHEMA_VERSION
          ])
        }
        await c.query('COMMIT')
      } catch (e) {
        await c.query('ROLLBACK').catch(() => {})
        if (e instanceof VaeLabError) throw e
        const code = (e as { code?: string }).code
        if (code === '42501')
          throw new VaeLabError(
            'INVALID_INPUT',
            `${where}: the user may not create VAE Lab's tables (${(e as Error).message}); grant it CREATE on the schema, or let its owner open the store once`,
            { cause: e }
          )
        throw e
      }
    })
  }
}

/** The connection stayed lost for longer than the driver waits: the call fails, clearly. */
function lostConnection(t: PostgresTarget, e: unknown): VaeLabError {
  return new VaeLabError(
    'INTERNAL',
    `lost the connection to PostgreSQL at ${t.host}:${t.port} and could not reconnect (${(e as Error).message ?? e})`,
    { cause: e }
  )
}
