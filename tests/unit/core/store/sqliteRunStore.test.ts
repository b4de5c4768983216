import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { TrainConfigSchema, type EpochMetrics } from '../../../../src-main/common/contract'
import { MIGRATIONS, SCHEMA_VERSION } from '../../../../src-main/core/store/migrations'
import { SqliteRunStore } from '../../../../src-main/core/store/sqliteRunStore'
import { tempDir } from '../../../helpers/fixtures'

const open: SqliteRunStore[] = []
function store(file = path.join(tempDir(), 'runs.sqlite')) {
  const s = new SqliteRunStore(file)
  open.push(s)
  return s
}
afterEach(() => open.splice(0).forEach((s) => s.close()))

const config = (latentDim: number) => TrainConfigSchema.parse({ latentDim, epochs: 3 })
const metrics = (epoch: number, nelbo: number): EpochMetrics => ({
  epoch,
  train: { nelbo: nelbo + 1, rec: nelbo - 9, kl: 10 },
  test: { nelbo, rec: nelbo - 10, kl: 10 },
  testPerDigit: Array.from({ length: 10 }, () => ({ nelbo, rec: nelbo - 10, kl: 10 })),
  imgPerSec: 5000,
  seconds: 12
})

describe('SqliteRunStore', () => {
  it('creates the schema in WAL mode and records the schema version', () => {
    const s = store()
    const db = new Database(s.file, { readonly: true })
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal')
    db.close()
  })

  it('stores a sweep of queued runs, their epochs and their final status', () => {
    const s = store()
    const { runIds } = s.createSweep('paper', { latentDim: [2, 5] }, [
      { config: config(2) },
      { config: config(5) }
    ])
    expect(runIds).toHaveLength(2)
    expect(s.listRuns().map((r) => r.status)).toEqual(['queued', 'queued'])
    s.markRunning(runIds[0], 'wasm', 'WebAssembly')
    s.appendEpoch(runIds[0], metrics(1, 200), {
      kind: 'latest',
      epoch: 1,
      tensors: new Uint8Array([1, 2, 3, 4])
    })
    s.appendEpoch(runIds[0], metrics(2, 180))
    s.finishRun(runIds[0], 'completed', null, 5100)
    const [first] = s.listRuns({ sweep: 'paper', status: 'completed' })
    expect(first).toMatchObject({
      id: runIds[0],
      latent: 2,
      status: 'completed',
      backend: 'wasm',
      epochsDone: 2,
      testNelbo: 180,
      imgPerSec: 5100
    })
    expect(s.epochMetrics(runIds[0]).map((m) => m.test.nelbo)).toEqual([200, 180])
    expect(Array.from(s.checkpoint(runIds[0], 'latest')!.tensors)).toEqual([1, 2, 3, 4])
    expect(s.getRun(runIds[0])?.config).toEqual(config(2))
  })

  it('refuses a second sweep with the same name and writes nothing for it', () => {
    const s = store()
    s.createSweep('a', {}, [{ config: config(2) }])
    expect(() => s.createSweep('a', {}, [{ config: config(5) }])).toThrow(
      'a sweep named "a" already exists'
    )
    expect(s.countRuns()).toBe(1)
  })

  it('marks running runs whose owner process is gone as interrupted, and leaves live ones alone', () => {
    const s = store()
    const { runIds } = s.createSweep('a', {}, [
      { config: config(2) },
      { config: config(5) },
      { config: config(10) }
    ])
    expect(s.claimNextQueued('here:1')).toBe(runIds[0])
    expect(s.claimNextQueued('here:2')).toBe(runIds[1])
    expect(s.recoverInterrupted((owner) => owner === 'here:1')).toEqual([runIds[1]])
    expect(s.getRun(runIds[1])).toMatchObject({ status: 'interrupted', owner: null })
    expect(s.getRun(runIds[1])?.message).toMatch(/vae-lab resume/)
    expect(s.getRun(runIds[0])).toMatchObject({ status: 'running', owner: 'here:1' })
    expect(s.getRun(runIds[2])?.status).toBe('queued')
  })

  it('hands out queued runs by priority, then age, each exactly once', () => {
    const s = store()
    const { runIds } = s.createSweep(
      'a',
      {},
      [2, 5, 10, 50].map((d) => ({ config: config(d) }))
    )
    s.setPriority(runIds[2], 5)
    const other = new SqliteRunStore(s.file) // a second process on the same file
    open.push(other)
    const order = [
      s.claimNextQueued('p:1'),
      other.claimNextQueued('p:2'),
      s.claimNextQueued('p:1'),
      other.claimNextQueued('p:2')
    ]
    expect(order).toEqual([runIds[2], runIds[0], runIds[1], runIds[3]])
    expect(s.claimNextQueued('p:1')).toBeNull()
  })

  it('claims only among the given runs when asked to', () => {
    const s = store()
    const a = s.createSweep('a', {}, [{ config: config(2) }]).runIds
    const b = s.createSweep('b', {}, [{ config: config(5) }]).runIds
    expect(s.claimNextQueued('p:1', b)).toBe(b[0])
    expect(s.claimNextQueued('p:1', b)).toBeNull()
    expect(s.getRun(a[0])?.status).toBe('queued')
  })

  it('cancels a queued run at once and leaves a request for a running one', () => {
    const s = store()
    const { runIds } = s.createSweep('a', {}, [{ config: config(2) }, { config: config(5) }])
    s.claimNextQueued('p:1', [runIds[0]])
    expect(s.requestCancel(runIds[1])).toBe('cancelled')
    expect(s.getRun(runIds[1])?.status).toBe('cancelled')
    expect(s.isCancelRequested(runIds[0])).toBe(false)
    expect(s.requestCancel(runIds[0])).toBe('requested')
    expect(s.isCancelRequested(runIds[0])).toBe(true)
    expect(() => s.requestCancel(runIds[1])).toThrow(
      `run ${runIds[1]} is cancelled; only queued or running runs can be cancelled`
    )
    expect(() => s.requestCancel(999)).toThrow('no run with id 999')
  })

  it('requeues interrupted, cancelled and failed runs for resuming, but not completed or diverged ones', () => {
    const s = store()
    const { runIds } = s.createSweep(
      'a',
      {},
      [2, 5, 10].map((d) => ({ config: config(d) }))
    )
    s.finishRun(runIds[0], 'cancelled', null, null)
    s.finishRun(runIds[1], 'diverged', 'NaN', null)
    s.finishRun(runIds[2], 'completed', null, null)
    s.requeueForResume(runIds[0])
    expect(s.getRun(runIds[0])).toMatchObject({ status: 'queued', resumes: 1 })
    expect(() => s.requeueForResume(runIds[1])).toThrow(
      /diverged; start a new run with a lower learning rate/
    )
    expect(() => s.requeueForResume(runIds[2])).toThrow(/cannot be resumed: it is completed/)
  })

  it('deletes runs with everything stored for them, but never a running one', () => {
    const s = store()
    const { runIds } = s.createSweep('a', {}, [{ config: config(2) }, { config: config(5) }])
    s.appendEpoch(runIds[0], metrics(1, 200), {
      kind: 'latest',
      epoch: 1,
      tensors: new Uint8Array(8)
    })
    s.addTag(runIds[0], 'keep')
    s.claimNextQueued('p:1', [runIds[1]])
    expect(() => s.deleteRuns([runIds[0], runIds[1]])).toThrow(/is running; cancel it first/)
    expect(s.countRuns()).toBe(2)
    s.deleteRuns([runIds[0]])
    expect(s.countRuns()).toBe(1)
    expect(s.epochMetrics(runIds[0])).toEqual([])
    expect(s.checkpoint(runIds[0], 'latest')).toBeNull()
  })

  it('tags, notes and renames runs', () => {
    const s = store()
    const { runIds } = s.createSweep('a', {}, [{ config: config(2) }])
    s.addTag(runIds[0], 'paper')
    s.addTag(runIds[0], 'paper')
    s.setNote(runIds[0], 'baseline')
    s.rename(runIds[0], 'first try')
    expect(s.getRun(runIds[0])).toMatchObject({
      tags: ['paper'],
      note: 'baseline',
      name: 'first try'
    })
    expect(s.listRuns({ tag: 'paper' })).toHaveLength(1)
    expect(s.listRuns({ tag: 'other' })).toHaveLength(0)
  })

  it('migrates a version-1 database to the current schema, keeping its runs', () => {
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
    const s = store(file)
    expect(s.getRun(1)).toMatchObject({
      name: 'old run',
      status: 'completed',
      priority: 0,
      resumes: 0,
      owner: null
    })
    const check = new Database(file, { readonly: true })
    expect(check.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION)
    check.close()
    expect(s.integrityCheck()).toEqual(['ok'])
  })

  it('makes a consistent backup that opens as a database', async () => {
    const s = store()
    s.createSweep('a', {}, [{ config: config(2) }])
    const copy = path.join(tempDir(), 'backup.sqlite')
    await s.backup(copy)
    expect(store(copy).countRuns()).toBe(1)
  })

  it('refuses a database from a newer schema and leaves the file untouched', () => {
    const file = path.join(tempDir(), 'newer.sqlite')
    store(file).close()
    const db = new Database(file)
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
    db.pragma('journal_mode = DELETE')
    db.close()
    const before = fs.readFileSync(file)
    expect(() => new SqliteRunStore(file)).toThrow(
      /written by a newer VAE Lab .*upgrade VAE Lab, or choose another database/
    )
    expect(fs.readFileSync(file).equals(before)).toBe(true)
  })

  it('refuses a file that is not a database and leaves it untouched', () => {
    const file = path.join(tempDir(), 'garbage.sqlite')
    const garbage = Buffer.alloc(8192, 0x5a)
    fs.writeFileSync(file, garbage)
    let error: unknown
    try {
      new SqliteRunStore(file)
    } catch (e) {
      error = e
    }
    expect(error).toMatchObject({ code: 'DATA_CORRUPT' })
    expect((error as Error).message).toMatch(/is not a readable VAE Lab database .* left untouched/)
    expect(fs.readFileSync(file).equals(garbage)).toBe(true)
  })

  it("refuses another program's SQLite database and leaves it untouched", () => {
    const file = path.join(tempDir(), 'foreign.sqlite')
    const other = new Database(file)
    other.exec('CREATE TABLE runs (x)')
    other.close()
    const before = fs.readFileSync(file)
    expect(() => new SqliteRunStore(file)).toThrow(
      /is an SQLite database of another program .* left untouched/
    )
    expect(fs.readFileSync(file).equals(before)).toBe(true)
  })

  it('reports a run whose stored config was damaged, instead of crashing', () => {
    const s = store()
    const { runIds } = s.createSweep('a', {}, [{ config: config(2) }])
    const db = new Database(s.file)
    db.prepare('UPDATE runs SET config = ? WHERE id = ?').run('{"latentDim": ', runIds[0])
    db.close()
    expect(() => s.getRun(runIds[0])).toThrow(
      `run ${runIds[0]}'s config is corrupt in the database (not JSON)`
    )
    expect(s.listRuns()).toHaveLength(1)
  })
})
