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
    drop: async () => {
      await query(TEST_POSTGRES, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)
    }
  }
}

/** Runs SQL on a test database as the test role (to inspect or damage it). */
export function sql(uri: string, text: string): Promise<pg.QueryResult> {
  return query(uri, text)
}
