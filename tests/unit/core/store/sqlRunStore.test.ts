import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { TrainConfigSchema, type EpochMetrics } from '../../../../src-main/common/contract'
import {
  SQLITE_MIGRATIONS as MIGRATIONS,
  SQLITE_SCHEMA_VERSION as SCHEMA_VERSION
} from '../../../../src-main/core/store/migrations/sqlite'
import { openRunStore } from '../../../../src-main/core/store/openRunStore'
import type { RunStore } from '../../../../src-main/core/store/runStore'
import { tempDir } from '../../../helpers/fixtures'

// The store's suite, on SQLite; a second backend runs the same cases on its own store.
const open: RunStore[] = []
async function store(file = path.join(tempDir(), 'runs.sqlite')) {
  const s = await openRunStore(file)
  open.push(s)
  return s
}
afterEach(async () => {
  for (const s of open.splice(0)) await s.close()
})

const config = (latentDim: number) => TrainConfigSchema.parse({ latentDim, epochs: 3 })
const metrics = (epoch: number, nelbo: number): EpochMetrics => ({
  epoch,
  train: { nelbo: nelbo + 1, rec: nelbo - 9, kl: 10 },
  test: { nelbo, rec: nelbo - 10, kl: 10 },
  testPerDigit: Array.from({ length: 10 }, () => ({ nelbo, rec: nelbo - 10, kl: 10 })),
  imgPerSec: 5000,
  seconds: 12
})

describe('SqlRunStore on SQLite', () => {
  it('creates the schema in WAL mode and records the schema version', async () => {
    const s = await store()
    const db = new Database(s.location, { readonly: true })
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    db.close()
  })

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
    expect(await s.claimNextQueued('here:1')).toBe(runIds[0])
    expect(await s.claimNextQueued('here:2')).toBe(runIds[1])
    expect(await s.recoverInterrupted((owner) => owner === 'here:1')).toEqual([runIds[1]])
    expect(await s.getRun(runIds[1])).toMatchObject({ status: 'interrupted', owner: null })
    expect((await s.getRun(runIds[1]))?.message).toMatch(/vae-lab resume/)
    expect(await s.getRun(runIds[0])).toMatchObject({ status: 'running', owner: 'here:1' })
    expect((await s.getRun(runIds[2]))?.status).toBe('queued')
  })

  it('hands out queued runs by priority, then age, each exactly once', async () => {
    const s = await store()
    const { runIds } = await s.createSweep(
      'a',
      {},
      [2, 5, 10, 50].map((d) => ({ config: config(d) }))
    )
    await s.setPriority(runIds[2], 5)
    const other = await store(s.location) // a second process on the same file
    const order = [
      await s.claimNextQueued('p:1'),
      await other.claimNextQueued('p:2'),
      await s.claimNextQueued('p:1'),
      await other.claimNextQueued('p:2')
    ]
    expect(order).toEqual([runIds[2], runIds[0], runIds[1], runIds[3]])
    expect(await s.claimNextQueued('p:1')).toBeNull()
  })

  it('claims only among the given runs when asked to', async () => {
    const s = await store()
    const a = (await s.createSweep('a', {}, [{ config: config(2) }])).runIds
    const b = (await s.createSweep('b', {}, [{ config: config(5) }])).runIds
    expect(await s.claimNextQueued('p:1', b)).toBe(b[0])
    expect(await s.claimNextQueued('p:1', b)).toBeNull()
    expect((await s.getRun(a[0]))?.status).toBe('queued')
  })

  it('serialises calls on one connection: claims made at once get different runs', async () => {
    const s = await store()
    const { runIds } = await s.createSweep(
      'a',
      {},
      [2, 5, 10].map((d) => ({ config: config(d) }))
    )
    const claims = await Promise.all([1, 2, 3, 4].map(() => s.claimNextQueued('p:1')))
    expect(claims).toEqual([...runIds, null])
  })

  it('changes its change token when another connection writes, and not otherwise', async () => {
    const s = await store()
    const other = await store(s.location)
    const before = await s.changeToken()
    expect(await s.changeToken()).toBe(before)
    await other.createSweep('elsewhere', {}, [{ config: config(2) }])
    expect(await s.changeToken()).not.toBe(before)
  })

  it('cancels a queued run at once and leaves a request for a running one', async () => {
    const s = await store()
    const { runIds } = await s.createSweep('a', {}, [{ config: config(2) }, { config: config(5) }])
    await s.claimNextQueued('p:1', [runIds[0]])
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
    const { runIds } = await s.createSweep('a', {}, [{ config: config(2) }, { config: config(5) }])
    await s.appendEpoch(runIds[0], metrics(1, 200), {
      kind: 'latest',
      epoch: 1,
      tensors: new Uint8Array(8)
    })
    await s.addTag(runIds[0], 'keep')
    await s.claimNextQueued('p:1', [runIds[1]])
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
    const s = await store(file)
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

  it('makes a consistent backup that opens as a database', async () => {
    const s = await store()
    await s.createSweep('a', {}, [{ config: config(2) }])
    const copy = path.join(tempDir(), 'backup.sqlite')
    await s.maintenance!.backupTo(copy, false)
    expect(await (await store(copy)).countRuns()).toBe(1)
  })

  it('refuses a database from a newer schema and leaves the file untouched', async () => {
    const file = path.join(tempDir(), 'newer.sqlite')
    await (await store(file)).close()
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
    const s = await store()
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
