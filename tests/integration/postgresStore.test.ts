// The CLI against a real PostgreSQL server (issue 16's contract): queue a sweep on it, train it
// with `vae-lab worker`, pull it into a laptop's SQLite, and refuse each unusable store with exit
// 2 and nothing written. Skips without a server, saying why; CI requires one.
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, describe, expect, it } from 'vitest'
import { openRunStore } from '../../src-main/core/store/openRunStore'
import { POSTGRES_SCHEMA_VERSION } from '../../src-main/core/store/migrations/postgres'
import { tempDir } from '../helpers/fixtures'
import { freshDatabase, postgresUnavailable, sql, TEST_POSTGRES } from '../helpers/postgres'
import { startCli, TINY, vaeLab, vaeLabJson } from '../helpers/vaeLabProcess'

const missing = await postgresUnavailable()
const drops: (() => Promise<void>)[] = []
afterAll(async () => {
  for (const d of drops) await d()
})
async function database() {
  const db = await freshDatabase()
  drops.push(db.drop)
  return db
}
const counts = async (uri: string) =>
  Object.fromEntries(
    await Promise.all(
      ['runs', 'epoch_metrics', 'checkpoints', 'figure_data', 'sweeps'].map(async (t) => [
        t,
        Number((await sql(uri, `SELECT count(*) AS n FROM ${t}`)).rows[0].n)
      ])
    )
  )

describe.skipIf(missing !== null)('the CLI on a PostgreSQL store', () => {
  it('queues a sweep on PostgreSQL, trains it with one worker holding one connection, and pulls it into SQLite twice without duplicates', async () => {
    const { uri } = await database()
    const queued = vaeLab([
      'train',
      '--latent',
      '2,5',
      '--epochs',
      '2',
      ...TINY,
      '--sweep',
      'cluster',
      '--db',
      uri,
      '--detach'
    ])
    expect(queued.code, queued.stderr).toBe(0)
    const worker = startCli(['worker', '--db', uri, '--lease', '10', '--idle-exit', '1'])
    await worker.waitFor(/run \d+: epoch 1 /)
    const connections = await sql(
      uri,
      `SELECT count(*) AS n FROM pg_stat_activity WHERE application_name = 'vae-lab ${worker.child.pid}'`
    )
    expect(Number(connections.rows[0].n)).toBe(1)
    expect(await worker.exited).toBe(0)
    const runs = vaeLabJson(['runs', 'list', '--sweep', 'cluster', '--db', uri])
    expect(runs.map((r) => [r.status, r.epochs])).toEqual([
      ['completed', 2],
      ['completed', 2]
    ])
    expect(runs[0].worker).toMatch(/:\d+$/)

    const local = path.join(tempDir(), 'laptop.sqlite')
    const first = vaeLabJson<Record<string, number[]>>([
      'runs',
      'pull',
      '--from',
      uri,
      '--sweep',
      'cluster',
      '--db',
      local
    ])
    expect(first.added).toHaveLength(2)
    const again = vaeLabJson<Record<string, number[]>>([
      'runs',
      'pull',
      '--from',
      uri,
      '--sweep',
      'cluster',
      '--db',
      local
    ])
    expect(again).toMatchObject({ added: [], updated: [], unchanged: first.added })
    const db = new Database(local, { readonly: true })
    const n = (t: string) => (db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n
    expect([
      n('runs'),
      n('epoch_metrics'),
      n('checkpoints'),
      n('figure_data'),
      n('sweeps')
    ]).toEqual([2, 4, 4, 5, 1]) // a 2-D run also has its manifold
    db.close()
    const pulled = vaeLabJson(['runs', 'list', '--sweep', 'cluster', '--db', local])
    expect(pulled.map((r) => [r.status, r.test_nelbo])).toEqual(
      runs.map((r) => [r.status, r.test_nelbo])
    )
    const store = await openRunStore(local)
    try {
      const final = await store.checkpoint(pulled[0].id as number, 'final')
      expect(final?.tensors.byteLength).toBeGreaterThan(1000)
    } finally {
      await store.close()
    }

    // And back: pushed into another PostgreSQL database, once.
    const other = await database()
    expect(vaeLab(['runs', 'push', '--to', other.uri, '--db', local]).code).toBe(0)
    expect(vaeLab(['runs', 'push', '--to', other.uri, '--db', local]).code).toBe(0)
    expect(await counts(other.uri)).toEqual({
      runs: 2,
      epoch_metrics: 4,
      checkpoints: 4,
      figure_data: 5,
      sweeps: 1
    })
  })

  it('refuses a wrong password, a missing database and a full server with exit 2, writing nothing', async () => {
    const { uri } = await database()
    const wrong = new URL(uri)
    wrong.password = 'not-the-password'
    const refusedPassword = vaeLab(['runs', 'list', '--db', wrong.toString()])
    expect(refusedPassword).toMatchObject({ code: 2 })
    expect(refusedPassword.stderr).toMatch(/refused the password for user "vaelab_test"/)
    expect(refusedPassword.stderr).not.toContain('not-the-password')

    const nowhere = new URL(uri)
    nowhere.pathname = '/vaelab_no_such_db'
    const noDb = vaeLab(['train', '--latent', '2', '--detach', '--db', nowhere.toString()])
    expect(noDb.code).toBe(2)
    expect(noDb.stderr).toMatch(/there is no database "vaelab_no_such_db" .*createdb/)

    const full = await database()
    await sql(TEST_POSTGRES, `ALTER DATABASE ${full.name} CONNECTION LIMIT 0`)
    const tooMany = vaeLab(['train', '--latent', '2', '--detach', '--db', full.uri])
    expect(tooMany.code).toBe(2)
    expect(tooMany.stderr).toMatch(/refused the connection: too many clients .*run fewer at once/)
    await sql(TEST_POSTGRES, `ALTER DATABASE ${full.name} CONNECTION LIMIT -1`)
    const tables = await sql(
      full.uri,
      "SELECT count(*) AS n FROM pg_tables WHERE schemaname = 'public'"
    )
    expect(Number(tables.rows[0].n)).toBe(0)
  })

  it('refuses a database of a newer schema with exit 2 and leaves it as it was', async () => {
    const { uri } = await database()
    expect(vaeLab(['train', '--latent', '2', '--detach', '--db', uri]).code).toBe(0)
    await sql(uri, `UPDATE vae_lab_schema SET version = ${POSTGRES_SCHEMA_VERSION + 1}`)
    const before = await counts(uri)
    const r = vaeLab(['train', '--latent', '5', '--detach', '--db', uri])
    expect(r.code).toBe(2)
    expect(r.stderr).toMatch(/written by a newer VAE Lab .*upgrade VAE Lab/)
    expect(await counts(uri)).toEqual(before)
  })
})
