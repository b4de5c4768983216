// The PostgreSQL the tests use: VAE_LAB_TEST_POSTGRES, else the cluster scripts/ci/start-postgres.sh
// starts (port 54329). Each test file gets a database of its own, dropped afterwards, so files
// run in parallel (and several checkouts on one machine) never see each other's runs. Without a
// server the PostgreSQL tests skip, saying why; CI sets VAE_LAB_REQUIRE_POSTGRES=1, and there
// they fail instead.
import { randomBytes } from 'node:crypto'
import pg from 'pg'

export const TEST_POSTGRES =
  process.env.VAE_LAB_TEST_POSTGRES ??
  'postgres://vaelab_test:vaelab_test@127.0.0.1:54329/vaelab_test'
export const REQUIRE_POSTGRES = process.env.VAE_LAB_REQUIRE_POSTGRES === '1'

const redact = (uri: string) => uri.replace(/:[^:@/]*@/, ':***@')

async function query(uri: string, sql: string): Promise<pg.QueryResult> {
  const client = new pg.Client({ connectionString: uri, connectionTimeoutMillis: 3000 })
  try {
    await client.connect()
    return await client.query(sql)
  } finally {
    await client.end().catch(() => {})
  }
}

/** Why the PostgreSQL tests cannot run here, or null when they can (throws in CI). */
export async function postgresUnavailable(): Promise<string | null> {
  try {
    await query(TEST_POSTGRES, 'SELECT 1')
    return null
  } catch (e) {
    const reason = `no PostgreSQL at ${redact(TEST_POSTGRES)} (${(e as Error).message}); start one with scripts/ci/start-postgres.sh or set VAE_LAB_TEST_POSTGRES`
    if (REQUIRE_POSTGRES) throw new Error(`VAE_LAB_REQUIRE_POSTGRES=1 but ${reason}`)
    console.warn(`PostgreSQL tests skipped: ${reason}`)
    return reason
  }
}

/** The URI of `uri` with another database name. */
export function withDatabase(uri: string, database: string): string {
  const u = new URL(uri)
  u.pathname = `/${database}`
  return u.toString()
}

/** A fresh, empty database on the test server; `drop` removes it (and its connections). */
export async function freshDatabase(): Promise<{
  uri: string
  name: string
  drop(): Promise<void>
}> {
  const name = `vaelab_t_${process.pid}_${randomBytes(4).toString('hex')}`
  await query(TEST_POSTGRES, `CREATE DATABASE ${name}`)
  return {
    uri: withDatabase(TEST_POSTGRES, name),
    name,
    // FORCE cannot end an autovacuum worker that is in the database just then: try again, and
    // leave the database behind rather than fail a test over its cleanup.
    drop: async () => {
      for (let i = 0; i < 10; i++) {
        try {
          await query(TEST_POSTGRES, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
          return
        } catch {
          await new Promise((r) => setTimeout(r, 300))
        }
      }
    }
  }
}

/** Runs SQL on a test database as the test role (to inspect or damage it). */
export function sql(uri: string, text: string): Promise<pg.QueryResult> {
  return query(uri, text)
}

export interface PrivateServer {
  uri: string
  /** Stops the server and starts it again on the same port (connections are cut). */
  restart(): Promise<void>
  stop(): Promise<void>
}

const PG_BIN = process.env.VAE_LAB_PG_BIN ?? '/usr/lib/postgresql/15/bin'

/**
 * A PostgreSQL server of the test's own (initdb in a temporary folder, a free port), for tests
 * that restart it: the shared test server must not restart under other test files. Needs
 * Debian's postgresql binaries and root (the server runs as the postgres user). Returns the
 * reason instead where it cannot start (and throws in CI).
 */
export async function privatePostgres(): Promise<PrivateServer | string> {
  const { spawnSync } = await import('node:child_process')
  const fs = await import('node:fs')
  const os = await import('node:os')
  const path = await import('node:path')
  const net = await import('node:net')
  const fail = (why: string) => {
    const reason = `cannot start a private PostgreSQL server: ${why}`
    if (REQUIRE_POSTGRES) throw new Error(`VAE_LAB_REQUIRE_POSTGRES=1 but ${reason}`)
    console.warn(`PostgreSQL restart tests skipped: ${reason}`)
    return reason
  }
  if (!fs.existsSync(path.join(PG_BIN, 'initdb')))
    return fail(`no ${PG_BIN}/initdb (apt-get install postgresql)`)
  if (process.getuid?.() !== 0)
    return fail('it runs the server as the postgres user, which needs root')
  const port = await new Promise<number>((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port
      s.close(() => resolve(p))
    })
  })
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-lab-pg-'))
  const data = path.join(dir, 'data')
  const asPostgres = (args: string[]) =>
    spawnSync('runuser', ['-u', 'postgres', '--', ...args], { encoding: 'utf8', timeout: 60_000 })
  spawnSync('chown', ['postgres', dir])
  const init = asPostgres([
    path.join(PG_BIN, 'initdb'),
    '-D',
    data,
    '-A',
    'trust',
    '-U',
    'vaelab',
    '--no-sync'
  ])
  if (init.status !== 0) return fail(init.stderr.trim())
  const pgCtl = (...args: string[]) =>
    asPostgres([
      path.join(PG_BIN, 'pg_ctl'),
      '-D',
      data,
      '-l',
      path.join(dir, 'log'),
      '-w',
      '-o',
      `-p ${port} -k ${dir} -c listen_addresses=127.0.0.1 -c fsync=off`,
      ...args
    ])
  const started = pgCtl('start')
  if (started.status !== 0) return fail(started.stderr.trim() || started.stdout.trim())
  return {
    uri: `postgres://vaelab@127.0.0.1:${port}/postgres`,
    restart: async () => {
      const r = pgCtl('restart', '-m', 'fast')
      if (r.status !== 0) throw new Error(`pg_ctl restart failed: ${r.stderr}`)
    },
    stop: async () => {
      pgCtl('stop', '-m', 'immediate')
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }
}
