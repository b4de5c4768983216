import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import { afterEach, describe, expect, it } from 'vitest'
import { TrainConfigSchema, type EpochMetrics } from '../../../../src-main/api/contract'
import { SCHEMA_VERSION } from '../../../../src-main/core/store/migrations'
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
    const { runIds } = s.createSweep('paper', { latentDim: [2, 5] }, [{ config: config(2) }, { config: config(5) }])
    expect(runIds).toHaveLength(2)
    expect(s.listRuns().map((r) => r.status)).toEqual(['queued', 'queued'])
    s.markRunning(runIds[0], 'wasm', 'WebAssembly')
    s.appendEpoch(runIds[0], metrics(1, 200), { kind: 'latest', epoch: 1, tensors: new Uint8Array([1, 2, 3, 4]) })
    s.appendEpoch(runIds[0], metrics(2, 180))
    s.finishRun(runIds[0], 'completed', null, 5100)
    const [first] = s.listRuns({ sweep: 'paper', status: 'completed' })
    expect(first).toMatchObject({ id: runIds[0], latent: 2, status: 'completed', backend: 'wasm', epochsDone: 2, testNelbo: 180, imgPerSec: 5100 })
    expect(s.epochMetrics(runIds[0]).map((m) => m.test.nelbo)).toEqual([200, 180])
    expect(Array.from(s.checkpoint(runIds[0], 'latest')!.tensors)).toEqual([1, 2, 3, 4])
    expect(s.getRun(runIds[0])?.config).toEqual(config(2))
  })

  it('refuses a second sweep with the same name and writes nothing for it', () => {
    const s = store()
    s.createSweep('a', {}, [{ config: config(2) }])
    expect(() => s.createSweep('a', {}, [{ config: config(5) }])).toThrow('a sweep named "a" already exists')
    expect(s.countRuns()).toBe(1)
  })

  it('marks runs left running by a dead process as interrupted', () => {
    const s = store()
    const { runIds } = s.createSweep('a', {}, [{ config: config(2) }, { config: config(5) }])
    s.markRunning(runIds[1], 'wasm', '')
    expect(s.markStaleRunsInterrupted()).toBe(1)
    expect(s.getRun(runIds[1])?.status).toBe('interrupted')
    expect(s.getRun(runIds[0])?.status).toBe('queued')
  })

  it('refuses a database from a newer schema and leaves the file untouched', () => {
    const file = path.join(tempDir(), 'newer.sqlite')
    store(file).close()
    const db = new Database(file)
    db.pragma(`user_version = ${SCHEMA_VERSION + 1}`)
    db.pragma('journal_mode = DELETE')
    db.close()
    const before = fs.readFileSync(file)
    expect(() => new SqliteRunStore(file)).toThrow(/written by a newer VAE Lab .*upgrade VAE Lab, or choose another database/)
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

  it('reports a run whose stored config was damaged, instead of crashing', () => {
    const s = store()
    const { runIds } = s.createSweep('a', {}, [{ config: config(2) }])
    const db = new Database(s.file)
    db.prepare('UPDATE runs SET config = ? WHERE id = ?').run('{"latentDim": ', runIds[0])
    db.close()
    expect(() => s.getRun(runIds[0])).toThrow(`run ${runIds[0]}'s config is corrupt in the database (not JSON)`)
    expect(s.listRuns()).toHaveLength(1)
  })
})
