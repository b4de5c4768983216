import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterAll, afterEach, describe, expect, it } from 'vitest'
import { TrainConfigSchema, type EpochMetrics } from '../../../../src-main/common/contract'
import {
  SQLITE_MIGRATIONS as MIGRATIONS,
  SQLITE_SCHEMA_VERSION as SCHEMA_VERSION
} from '../../../../src-main/core/store/migrations/sqlite'
import { POSTGRES_SCHEMA_VERSION } from '../../../../src-main/core/store/migrations/postgres'
import { openRunStore } from '../../../../src-main/core/store/openRunStore'
import { LeaseLostError } from '../../../../src-main/core/store/runLifecycle'
import type { RunStore } from '../../../../src-main/core/store/runStore'
import { tempDir } from '../../../helpers/fixtures'
import { freshDatabase, postgresUnavailable, sql } from '../../../helpers/postgres'

// The store's suite runs on both backends: SQLite files, and PostgreSQL databases (one fresh
// database per store, on the server scripts/ci/start-postgres.sh starts; skipped, saying why,
// where there is none, and required in CI).
const pgMissing = await postgresUnavailable()
const open: RunStore[] = []
const drops: (() => Promise<void>)[] = []
afterEach(async () => {
  for (const s of open.splice(0)) await s.close()
})
afterAll(async () => {
  for (const drop of drops.splice(0)) await drop()
})

const BACKENDS = {
  SQLite: async () => path.join(tempDir(), 'runs.sqlite'),
  PostgreSQL: async () => {
    const db = await freshDatabase()
    drops.push(db.drop)
    return db.uri
  }
} as const
type Backend = keyof typeof BACKENDS

function storeOn(backend: Backend) {
  /** A store on a fresh database, or (given its URI) another connection to one. */
  return async (uri?: string) => {
    const s = await openRunStore(uri ?? (await BACKENDS[backend]()))
    open.push(s)
    return s
  }
}

const config = (latentDim: number) => TrainConfigSchema.parse({ latentDim, epochs: 3 })
const metrics = (epoch: number, nelbo: number): EpochMetrics => ({
  epoch,
  train: { nelbo: nelbo + 1, rec: nelbo - 9, kl: 10 },
  test: { nelbo, rec: nelbo - 10, kl: 10 },
  testPerDigit: Array.from({ length: 10 }, () => ({ nelbo, rec: nelbo - 10, kl: 10 })),
  imgPerSec: 5000,
  seconds: 12
})
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
const ids = (c: { runId: number } | null) => c?.runId ?? null

for (const backend of Object.keys(BACKENDS) as Backend[]) {
  const skip = backend === 'PostgreSQL' ? pgMissing : null
  describe.skipIf(skip !== null)(`SqlRunStore on ${backend}`, () => {
    const store = storeOn(backend)

    it('stores a sweep of queued runs, their epochs and their final status', async () => {
      const s = await store()
      const { runIds } = await s.createSweep('paper', { latentDim: [2, 5] }, [
        { config: config(2) },
        { config: config(5) }
      ])
      expect(runIds).toHaveLength(2)
      expect((await s.listRuns()).map((r) => r.status)).toEqual(['queued', 'queued'])
      await s.markRunning(runIds[0], 'wasm', 'WebAssembly')
      await s.appendEpoch(runIds[0], metrics(1, 200), {
        kind: 'latest',
        epoch: 1,
        tensors: new Uint8Array([1, 2, 3, 4])
      })
      await s.appendEpoch(runIds[0], metrics(2, 180))
      await s.finishRun(runIds[0], 'completed', null, 5100)
      const [first] = await s.listRuns({ sweep: 'paper', status: 'completed' })
      expect(first).toMatchObject({
        id: runIds[0],
        latent: 2,
        status: 'completed',
        backend: 'wasm',
        epochsDone: 2,
        testNelbo: 180,
        imgPerSec: 5100
      })
      expect((await s.epochMetrics(runIds[0])).map((m) => m.test.nelbo)).toEqual([200, 180])
      expect(Array.from((await s.checkpoint(runIds[0], 'latest'))!.tensors)).toEqual([1, 2, 3, 4])
      expect((await s.getRun(runIds[0]))?.config).toEqual(config(2))
    })

    it('stores figure data with every epoch and reads each epoch back, and copies it with the run', async () => {
      const s = await store()
      const { runIds } = await s.createSweep('figs', {}, [{ config: config(2) }])
      const id = runIds[0]
      const rows = (epoch: number) => [
        { kind: 'recon' as const, meta: { epoch, encoding: 'raw' }, data: Uint8Array.of(epoch, 1) },
        { kind: 'klperdim' as const, meta: { epoch }, data: Uint8Array.of(epoch, 2, 3) }
      ]
      expect(await s.figureEpochs(id)).toEqual([])
      for (const e of [1, 2, 3])
        await s.appendEpoch(id, metrics(e, 200 - e), undefined, undefined, rows(e))
      expect(await s.figureEpochs(id)).toEqual([1, 2, 3])
      const two = await s.epochFigures(id, 2)
      expect(two.map((f) => [f.kind, f.meta.epoch, Array.from(f.data)])).toEqual([
        ['klperdim', 2, [2, 2, 3]],
        ['recon', 2, [2, 1]]
      ])
      expect((await s.epochFigures(id, 3, ['recon'])).map((f) => f.kind)).toEqual(['recon'])
      expect(await s.epochFigures(id, 9)).toEqual([])
      // An epoch trained again (a resume from an earlier checkpoint) replaces its figures.
      await s.appendEpoch(id, metrics(3, 150), undefined, undefined, [
        { kind: 'recon', meta: { again: true }, data: Uint8Array.of(9) }
      ])
      expect((await s.epochFigures(id, 3, ['recon']))[0].meta).toEqual({ again: true })
      const bundle = await s.exportRun(id)
      expect(bundle.epochFigures.map((f) => `${f.epoch}:${f.kind}`)).toEqual([
        '1:klperdim',
        '1:recon',
        '2:klperdim',
        '2:recon',
        '3:klperdim',
        '3:recon'
      ])
      await s.finishRun(id, 'completed', null, 1)
      const copy = await store()
      expect(await copy.importRun(await s.exportRun(id))).toBe('added')
      const [copied] = await copy.listRuns()
      expect(await copy.figureEpochs(copied.id)).toEqual([1, 2, 3])
      expect(Array.from((await copy.epochFigures(copied.id, 1, ['klperdim']))[0].data)).toEqual([
        1, 2, 3
      ])
      await s.deleteRuns([id])
      expect(await s.figureEpochs(id)).toEqual([])
    })

    it('refuses a second sweep with the same name and writes nothing for it', async () => {
      const s = await store()
      await s.createSweep('a', {}, [{ config: config(2) }])
      await expect(s.createSweep('a', {}, [{ config: config(5) }])).rejects.toThrow(
        'a sweep named "a" already exists'
      )
      expect(await s.countRuns()).toBe(1)
    })

    it('marks running runs whose owner process is gone as interrupted, and leaves live ones alone', async () => {
      const s = await store()
      const { runIds } = await s.createSweep('a', {}, [
        { config: config(2) },
        { config: config(5) },
        { config: config(10) }
      ])
      expect(ids(await s.claimNextQueued('here:1'))).toBe(runIds[0])
      expect(ids(await s.claimNextQueued('here:2'))).toBe(runIds[1])
      expect(await s.recoverLost({ isOwnerAlive: (owner) => owner === 'here:1' })).toEqual({
        interrupted: [runIds[1]],
        requeued: [],
        failed: []
      })
      expect(await s.getRun(runIds[1])).toMatchObject({ status: 'interrupted', owner: null })
      expect((await s.getRun(runIds[1]))?.message).toMatch(/vae-lab resume/)
      expect(await s.getRun(runIds[0])).toMatchObject({ status: 'running', owner: 'here:1' })
      expect((await s.getRun(runIds[2]))?.status).toBe('queued')
      expect((await s.attempts(runIds[1])).map((a) => a.outcome)).toEqual(['interrupted'])
    })

    it('hands out queued runs by priority, then age, each exactly once', async () => {
      const s = await store()
      const { runIds } = await s.createSweep(
        'a',
        {},
        [2, 5, 10, 50].map((d) => ({ config: config(d) }))
      )
      await s.setPriority(runIds[2], 5)
      const other = await store(s.uri) // a second process on the same store
      const order = [
        ids(await s.claimNextQueued('p:1')),
        ids(await other.claimNextQueued('p:2')),
        ids(await s.claimNextQueued('p:1')),
        ids(await other.claimNextQueued('p:2'))
      ]
      expect(order).toEqual([runIds[2], runIds[0], runIds[1], runIds[3]])
      expect(await s.claimNextQueued('p:1')).toBeNull()
    })

    it('claims only among the given runs when asked to', async () => {
      const s = await store()
      const a = (await s.createSweep('a', {}, [{ config: config(2) }])).runIds
      const b = (await s.createSweep('b', {}, [{ config: config(5) }])).runIds
      expect(ids(await s.claimNextQueued('p:1', { runIds: b }))).toBe(b[0])
      expect(await s.claimNextQueued('p:1', { runIds: b })).toBeNull()
      expect((await s.getRun(a[0]))?.status).toBe('queued')
    })

    it('serialises calls on one connection: claims made at once get different runs', async () => {
      const s = await store()
      const { runIds } = await s.createSweep(
        'a',
        {},
        [2, 5, 10].map((d) => ({ config: config(d) }))
      )
      const claims = (await Promise.all([1, 2, 3, 4].map(() => s.claimNextQueued('p:1')))).map(ids)
      expect(claims).toEqual([...runIds, null])
    })

    it('changes its change token when another connection writes, and not otherwise', async () => {
      const s = await store()
      const other = await store(s.uri)
      const before = await s.changeToken()
      expect(await s.changeToken()).toBe(before)
      await other.createSweep('elsewhere', {}, [{ config: config(2) }])
      expect(await s.changeToken()).not.toBe(before)
    })

    it('cancels a queued run at once and leaves a request for a running one', async () => {
      const s = await store()
      const { runIds } = await s.createSweep('a', {}, [
        { config: config(2) },
        { config: config(5) }
      ])
      await s.claimNextQueued('p:1', { runIds: [runIds[0]] })
      expect(await s.requestCancel(runIds[1])).toBe('cancelled')
      expect((await s.getRun(runIds[1]))?.status).toBe('cancelled')
      expect(await s.isCancelRequested(runIds[0])).toBe(false)
      expect(await s.requestCancel(runIds[0])).toBe('requested')
      expect(await s.isCancelRequested(runIds[0])).toBe(true)
      await expect(s.requestCancel(runIds[1])).rejects.toThrow(
        `run ${runIds[1]} is cancelled; only queued or running runs can be cancelled`
      )
      await expect(s.requestCancel(999)).rejects.toThrow('no run with id 999')
    })

    it('requeues interrupted, cancelled and failed runs for resuming, but not completed or diverged ones', async () => {
      const s = await store()
      const { runIds } = await s.createSweep(
        'a',
        {},
        [2, 5, 10].map((d) => ({ config: config(d) }))
      )
      await s.finishRun(runIds[0], 'cancelled', null, null)
      await s.finishRun(runIds[1], 'diverged', 'NaN', null)
      await s.finishRun(runIds[2], 'completed', null, null)
      await s.requeueForResume(runIds[0])
      expect(await s.getRun(runIds[0])).toMatchObject({ status: 'queued', resumes: 1 })
      await expect(s.requeueForResume(runIds[1])).rejects.toThrow(
        /diverged; start a new run with a lower learning rate/
      )
      await expect(s.requeueForResume(runIds[2])).rejects.toThrow(
        /cannot be resumed: it is completed/
      )
    })

    it('deletes runs with everything stored for them, but never a running one', async () => {
      const s = await store()
      const { runIds } = await s.createSweep('a', {}, [
        { config: config(2) },
        { config: config(5) }
      ])
      await s.appendEpoch(runIds[0], metrics(1, 200), {
        kind: 'latest',
        epoch: 1,
        tensors: new Uint8Array(8)
      })
      await s.addTag(runIds[0], 'keep')
      await s.claimNextQueued('p:1', { runIds: [runIds[1]] })
      await expect(s.deleteRuns([runIds[0], runIds[1]])).rejects.toThrow(
        /is running; cancel it first/
      )
      expect(await s.countRuns()).toBe(2)
      await s.deleteRuns([runIds[0]])
      expect(await s.countRuns()).toBe(1)
      expect(await s.epochMetrics(runIds[0])).toEqual([])
      expect(await s.checkpoint(runIds[0], 'latest')).toBeNull()
    })

    it('tags, notes and renames runs', async () => {
      const s = await store()
      const { runIds } = await s.createSweep('a', {}, [{ config: config(2) }])
      await s.addTag(runIds[0], 'paper')
      await s.addTag(runIds[0], 'paper')
      await s.setNote(runIds[0], 'baseline')
      await s.rename(runIds[0], 'first try')
      expect(await s.getRun(runIds[0])).toMatchObject({
        tags: ['paper'],
        note: 'baseline',
        name: 'first try'
      })
      expect(await s.listRuns({ tag: 'paper' })).toHaveLength(1)
      expect(await s.listRuns({ tag: 'other' })).toHaveLength(0)
    })
  })
}

const sqliteStore = storeOn('SQLite')

describe('SqlRunStore on SQLite only', () => {
  it('creates the schema in WAL mode and records the schema version', async () => {
    const s = await sqliteStore()
    const db = new Database(s.location, { readonly: true })
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    db.close()
  })

  it('migrates a version-1 database to the current schema, keeping its runs', async () => {
    const file = path.join(tempDir(), 'v1.sqlite')
    const db = new Database(file)
    db.exec(MIGRATIONS[0].sql)
    db.pragma('user_version = 1')
    db.prepare("INSERT INTO sweeps VALUES (1, 'old', '{}', '{}', '2026-01-01')").run()
    db.prepare(
      `INSERT INTO runs (id, sweep_id, name, status, config, dataset, latent_dim, seed, epochs, code_version, created_at)
      VALUES (1, 1, 'old run', 'completed', ?, 'mnist', 2, 1, 3, '0.0.1', '2026-01-01')`
    ).run(JSON.stringify(config(2)))
    db.close()
    const s = await sqliteStore(file)
    expect(await s.getRun(1)).toMatchObject({
      name: 'old run',
      status: 'completed',
      priority: 0,
      resumes: 0,
      owner: null
    })
    const check = new Database(file, { readonly: true })
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    check.close()
    expect(await s.maintenance!.integrityCheck()).toEqual(['ok'])
  })

  it('migrates a version-4 database: old runs keep their final figures and have no per-epoch ones', async () => {
    const file = path.join(tempDir(), 'v4.sqlite')
    const db = new Database(file)
    for (const m of MIGRATIONS.slice(0, 4)) db.exec(m.sql)
    db.pragma('user_version = 4')
    db.prepare(
      `INSERT INTO runs (id, name, status, config, dataset, latent_dim, seed, epochs, epochs_done, code_version, created_at, uid)
      VALUES (1, 'old run', 'completed', ?, 'mnist', 2, 1, 3, 3, '0.0.1', '2026-01-01', 'u1')`
    ).run(JSON.stringify(config(2)))
    db.prepare(`INSERT INTO figure_data VALUES (1, 'recon', '{"labels":[0]}', ?)`).run(
      Buffer.from([7, 7])
    )
    db.close()
    const s = await sqliteStore(file)
    expect((await s.figures(1)).map((f) => [f.kind, Array.from(f.data)])).toEqual([
      ['recon', [7, 7]]
    ])
    expect(await s.figureEpochs(1)).toEqual([])
    expect(await s.epochFigures(1, 3)).toEqual([])
    expect((await s.exportRun(1)).epochFigures).toEqual([])
    const check = new Database(file, { readonly: true })
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    check.close()
  })

  it('makes a consistent backup that opens as a database', async () => {
    const s = await sqliteStore()
    await s.createSweep('a', {}, [{ config: config(2) }])
    const copy = path.join(tempDir(), 'backup.sqlite')
    await s.maintenance!.backupTo(copy, false)
    expect(await (await sqliteStore(copy)).countRuns()).toBe(1)
  })

  it('refuses a database from a newer schema and leaves the file untouched', async () => {
    const file = path.join(tempDir(), 'newer.sqlite')
    await (await sqliteStore(file)).close()
    const db = new Database(file)
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
    db.pragma('journal_mode = DELETE')
    db.close()
    const before = fs.readFileSync(file)
    await expect(openRunStore(file)).rejects.toThrow(
      /written by a newer VAE Lab .*upgrade VAE Lab, or choose another database/
    )
    expect(fs.readFileSync(file).equals(before)).toBe(true)
  })

  it('refuses a file that is not a database and leaves it untouched', async () => {
    const file = path.join(tempDir(), 'garbage.sqlite')
    const garbage = Buffer.alloc(8192, 0x5a)
    fs.writeFileSync(file, garbage)
    const error: unknown = await openRunStore(file).catch((e: unknown) => e)
    expect(error).toMatchObject({ code: 'DATA_CORRUPT' })
    expect((error as Error).message).toMatch(/is not a readable VAE Lab database .* left untouched/)
    expect(fs.readFileSync(file).equals(garbage)).toBe(true)
  })

  it("refuses another program's SQLite database and leaves it untouched", async () => {
    const file = path.join(tempDir(), 'foreign.sqlite')
    const other = new Database(file)
    await other.exec('CREATE TABLE runs (x)')
    await other.close()
    const before = fs.readFileSync(file)
    await expect(openRunStore(file)).rejects.toThrow(
      /is an SQLite database of another program .* left untouched/
    )
    expect(fs.readFileSync(file).equals(before)).toBe(true)
  })

  it('reports a run whose stored config was damaged, instead of crashing', async () => {
    const s = await sqliteStore()
    const { runIds } = await s.createSweep('a', {}, [{ config: config(2) }])
    const db = new Database(s.location)
    db.prepare('UPDATE runs SET config = ? WHERE id = ?').run('{"latentDim": ', runIds[0])
    db.close()
    await expect(s.getRun(runIds[0])).rejects.toThrow(
      `run ${runIds[0]}'s config is corrupt in the database (not JSON)`
    )
    expect(await s.listRuns()).toHaveLength(1)
  })
})

for (const backend of Object.keys(BACKENDS) as Backend[]) {
  const skip = backend === 'PostgreSQL' ? pgMissing : null
  describe.skipIf(skip !== null)(`SqlRunStore's leases on ${backend}`, () => {
    const store = storeOn(backend)
    const gone = () => true // every owner counts as alive: only leases decide

    it('claims under a lease, records the attempt, and renews it while held', async () => {
      const s = await store()
      const { runIds } = await s.createSweep('a', {}, [{ config: config(2) }])
      const claim = await s.claimNextQueued('vm:1', { leaseSeconds: 30, worker: 'slurm 7_0' })
      expect(claim).toMatchObject({ runId: runIds[0], attempt: 1, epochsDone: 0, leaseSeconds: 30 })
      expect(await s.heartbeat(runIds[0], claim!.token, 30)).toEqual({
        held: true,
        cancelRequested: false
      })
      expect(await s.heartbeat(runIds[0], 'not-the-token', 30)).toMatchObject({ held: false })
      expect((await s.listRuns())[0].worker).toBe('vm:1 slurm 7_0')
      expect(await s.attempts(runIds[0])).toMatchObject([
        { attempt: 1, owner: 'vm:1', worker: 'slurm 7_0', outcome: 'running', fromEpoch: 0 }
      ])
    })

    it("requeues a worker's run whose lease ran out, and fences the lost worker's writes", async () => {
      const s = await store()
      const { runIds } = await s.createSweep('a', {}, [{ config: config(2) }])
      const id = runIds[0]
      const first = await s.claimNextQueued('node-a:1', { leaseSeconds: 0.2, onLost: 'requeue' })
      await s.appendEpoch(
        id,
        metrics(1, 200),
        { kind: 'latest', epoch: 1, tensors: new Uint8Array([1]) },
        first!.token
      )
      expect(await s.recoverLost({ isOwnerAlive: gone })).toEqual({
        interrupted: [],
        requeued: [],
        failed: []
      })
      await sleep(300)
      expect(await s.recoverLost({ isOwnerAlive: gone })).toEqual({
        interrupted: [],
        requeued: [id],
        failed: []
      })
      expect(await s.getRun(id)).toMatchObject({
        status: 'queued',
        owner: null,
        epochsDone: 1,
        resumes: 1
      })
      const second = await s.claimNextQueued('node-b:1', { leaseSeconds: 30, onLost: 'requeue' })
      expect(second).toMatchObject({ runId: id, attempt: 2, epochsDone: 1 })
      // The first worker comes back (a partition healed): nothing it writes lands.
      await expect(
        s.appendEpoch(id, metrics(2, 190), undefined, first!.token)
      ).rejects.toBeInstanceOf(LeaseLostError)
      await expect(s.finishRun(id, 'completed', null, 1, first!.token)).rejects.toBeInstanceOf(
        LeaseLostError
      )
      await expect(s.saveResults(id, { epochsDone: 2 }, first!.token)).rejects.toBeInstanceOf(
        LeaseLostError
      )
      expect(await s.heartbeat(id, first!.token, 30)).toMatchObject({ held: false })
      expect((await s.epochMetrics(id)).map((m) => m.epoch)).toEqual([1])
      await s.appendEpoch(id, metrics(2, 190), undefined, second!.token)
      await s.finishRun(id, 'completed', null, 1, second!.token)
      expect(await s.getRun(id)).toMatchObject({ status: 'completed', epochsDone: 2 })
      expect(await s.attempts(id)).toMatchObject([
        { attempt: 1, owner: 'node-a:1', outcome: 'lost', fromEpoch: 0, toEpoch: 1 },
        { attempt: 2, owner: 'node-b:1', outcome: 'completed', fromEpoch: 1, toEpoch: 2 }
      ])
    })

    it('stores the last epoch with the results in one transaction, fenced by the lease', async () => {
      const s = await store()
      const { runIds } = await s.createSweep('a', {}, [{ config: config(2) }])
      const id = runIds[0]
      const claim = await s.claimNextQueued('node-a:1', { leaseSeconds: 30 })
      await s.appendEpoch(
        id,
        metrics(1, 200),
        { kind: 'latest', epoch: 1, tensors: Uint8Array.of(1) },
        claim!.token
      )
      const figures = [{ kind: 'klperdim' as const, meta: {}, data: Uint8Array.of(7) }]
      const results = {
        epochsDone: 2,
        lastEpoch: { metrics: metrics(2, 190), figures },
        weights: Uint8Array.of(2)
      }
      // A wrong token writes neither the epoch nor the results.
      await expect(s.saveResults(id, results, 'not-the-token')).rejects.toBeInstanceOf(
        LeaseLostError
      )
      expect(await s.getRun(id)).toMatchObject({ epochsDone: 1 })
      expect(await s.figureEpochs(id)).toEqual([])
      expect(await s.checkpoint(id, 'final')).toBeNull()
      await s.saveResults(id, results, claim!.token)
      expect((await s.epochMetrics(id)).map((m) => [m.epoch, m.test.nelbo])).toEqual([
        [1, 200],
        [2, 190]
      ])
      expect(await s.getRun(id)).toMatchObject({ epochsDone: 2 })
      expect(await s.figureEpochs(id)).toEqual([2])
      expect(await s.checkpoint(id, 'final')).toMatchObject({ epoch: 2 })
      // The epoch's checkpoint stays the one before: the final weights stand in for it.
      expect(await s.checkpoint(id, 'latest')).toMatchObject({ epoch: 1 })
      expect(await s.attempts(id)).toMatchObject([{ attempt: 1, toEpoch: 2 }])
    })

    it('fails a run whose workers were lost more often than the retry cap allows', async () => {
      const s = await store()
      const { runIds } = await s.createSweep('a', {}, [{ config: config(2) }])
      const outcomes: string[] = []
      for (let i = 0; i < 3; i++) {
        await s.claimNextQueued(`node-${i}:1`, { leaseSeconds: 0.05, onLost: 'requeue' })
        await sleep(100)
        const lost = await s.recoverLost({ isOwnerAlive: gone, maxRetries: 2 })
        outcomes.push(lost.requeued.length ? 'requeued' : lost.failed.length ? 'failed' : '-')
      }
      expect(outcomes).toEqual(['requeued', 'requeued', 'failed'])
      const run = await s.getRun(runIds[0])
      expect(run).toMatchObject({ status: 'failed' })
      expect(run?.message).toMatch(/lost 3 times, more than the 2 retries allowed/)
      expect((await s.attempts(runIds[0])).map((a) => a.outcome)).toEqual(['lost', 'lost', 'lost'])
    })

    it('interrupts a CLI run whose lease ran out instead of requeueing it', async () => {
      const s = await store()
      const { runIds } = await s.createSweep('a', {}, [{ config: config(2) }])
      await s.claimNextQueued('elsewhere:1', { leaseSeconds: 0.05 })
      await sleep(100)
      expect((await s.recoverLost({ isOwnerAlive: gone })).interrupted).toEqual(runIds)
      expect((await s.getRun(runIds[0]))?.status).toBe('interrupted')
    })

    it('gives a run back to the queue with its progress, once', async () => {
      const s = await store()
      const { runIds } = await s.createSweep('a', {}, [{ config: config(2) }])
      const c = await s.claimNextQueued('vm:1', { onLost: 'requeue' })
      await s.appendEpoch(
        runIds[0],
        metrics(1, 200),
        { kind: 'latest', epoch: 1, tensors: new Uint8Array([9]) },
        c!.token
      )
      expect(await s.releaseRun(runIds[0], c!.token, 'preempted')).toBe(true)
      expect(await s.releaseRun(runIds[0], c!.token, 'preempted')).toBe(false)
      expect(await s.getRun(runIds[0])).toMatchObject({
        status: 'queued',
        epochsDone: 1,
        message: 'preempted'
      })
      expect((await s.attempts(runIds[0]))[0]).toMatchObject({ outcome: 'released', toEpoch: 1 })
      expect(await s.claimNextQueued('vm:2')).toMatchObject({ attempt: 2, epochsDone: 1 })
      expect((await s.checkpoint(runIds[0], 'latest'))?.epoch).toBe(1)
    })

    it('claims only runs of the sweep it is given', async () => {
      const s = await store()
      await s.createSweep('a', {}, [{ config: config(2) }])
      const b = (await s.createSweep('b', {}, [{ config: config(5) }])).runIds
      expect(ids(await s.claimNextQueued('p:1', { sweep: 'b' }))).toBe(b[0])
      expect(await s.claimNextQueued('p:1', { sweep: 'b' })).toBeNull()
      expect(await s.claimNextQueued('p:1', { sweep: 'missing' })).toBeNull()
    })
  })
}

describe.skipIf(pgMissing !== null)('SqlRunStore on PostgreSQL only', () => {
  const store = storeOn('PostgreSQL')

  it('records the schema version once, even when many processes open a new database at once', async () => {
    const db = await freshDatabase()
    drops.push(db.drop)
    const stores = await Promise.all(Array.from({ length: 8 }, () => openRunStore(db.uri)))
    open.push(...stores)
    const rows = (await sql(db.uri, 'SELECT version FROM vae_lab_schema')).rows
    expect(rows).toEqual([{ version: POSTGRES_SCHEMA_VERSION }])
    expect(stores[0].location).toMatch(/^postgres:\/\/vaelab_test@127\.0\.0\.1:\d+\/vaelab_t_/)
    expect(stores[0].location).not.toContain('vaelab_test:')
  })

  it('refuses a database from a newer schema and changes nothing in it', async () => {
    const s = await store()
    await s.createSweep('a', {}, [{ config: config(2) }])
    await sql(s.uri, `UPDATE vae_lab_schema SET version = ${POSTGRES_SCHEMA_VERSION + 1}`)
    await expect(openRunStore(s.uri)).rejects.toThrow(
      new RegExp(
        `written by a newer VAE Lab \\(schema ${POSTGRES_SCHEMA_VERSION + 1}, ` +
          `this version knows up to ${POSTGRES_SCHEMA_VERSION}\\)`
      )
    )
    expect((await sql(s.uri, 'SELECT version FROM vae_lab_schema')).rows[0].version).toBe(
      POSTGRES_SCHEMA_VERSION + 1
    )
  })

  it("refuses another program's database with a runs table, and creates nothing in it", async () => {
    const db = await freshDatabase()
    drops.push(db.drop)
    await sql(db.uri, 'CREATE TABLE runs (x integer)')
    await expect(openRunStore(db.uri)).rejects.toThrow(
      /belongs to another program and was left untouched/
    )
    const tables = await sql(db.uri, "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
    expect(tables.rows.map((r) => r.tablename)).toEqual(['runs'])
  })

  it('reports a run whose stored config was damaged, instead of crashing', async () => {
    const s = await store()
    const { runIds } = await s.createSweep('a', {}, [{ config: config(2) }])
    await sql(s.uri, `UPDATE runs SET config = '{"latentDim": ' WHERE id = ${runIds[0]}`)
    await expect(s.getRun(runIds[0])).rejects.toThrow(
      /config is corrupt in the database \(not JSON\)/
    )
  })

  it('gives one queued run to exactly one of many racing connections (FOR UPDATE SKIP LOCKED)', async () => {
    const s = await store()
    const { runIds } = await s.createSweep('a', {}, [{ config: config(2) }])
    const others = await Promise.all(Array.from({ length: 6 }, () => store(s.uri)))
    const claims = await Promise.all(others.map((o, i) => o.claimNextQueued(`racer:${i}`)))
    expect(claims.filter((c) => c !== null).map(ids)).toEqual(runIds)
    expect(await s.attempts(runIds[0])).toHaveLength(1)
  })

  it('keeps a 10 MB checkpoint byte for byte', async () => {
    const s = await store()
    const { runIds } = await s.createSweep('a', {}, [{ config: config(2) }])
    const tensors = new Uint8Array(10 * 1024 * 1024).map((_, i) => (i * 31) & 255)
    await s.appendEpoch(runIds[0], metrics(1, 200), { kind: 'latest', epoch: 1, tensors })
    const back = await s.checkpoint(runIds[0], 'latest')
    expect(Buffer.from(back!.tensors).equals(Buffer.from(tensors))).toBe(true)
  })
})
