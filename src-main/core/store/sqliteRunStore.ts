import fs from 'node:fs'
import path from 'node:path'
import Database from 'better-sqlite3'
import {
  TrainConfigSchema,
  type DatasetInfo,
  type EpochMetrics,
  type RunStatus,
  type RunSummary,
  type TrainConfig
} from '../../common/contract'
import { VaeLabError } from '../../common/errors'
import { codeVersion } from '../version'
import { MIGRATIONS, SCHEMA_VERSION } from './migrations'
import { figureRows } from './figureRows'
import type {
  NewRun,
  RunFilter,
  RunRecord,
  RunResults,
  RunStore,
  StoredCheckpoint,
  StoredFigure
} from './runStore'

interface RunRow {
  id: number
  name: string | null
  sweep: string | null
  status: RunStatus
  dataset: string
  latent_dim: number
  backend: string | null
  epochs: number
  epochs_done: number
  train_nelbo: number | null
  test_nelbo: number | null
  test_rec: number | null
  test_kl: number | null
  img_per_s: number | null
  created_at: string
}

interface RunDetailRow extends RunRow {
  config: string
  priority: number
  resumes: number
  owner: string | null
  backend_detail: string | null
  code_version: string
  message: string | null
  note: string | null
  started_at: string | null
  finished_at: string | null
}

interface DatasetRow {
  name: string
  source: 'builtin' | 'imported'
  train_images: string
  train_labels: string
  test_images: string
  test_labels: string
  n_train: number
  n_test: number
}

interface MetricRow {
  epoch: number
  train_nelbo: number
  train_rec: number
  train_kl: number
  test_nelbo: number
  test_rec: number
  test_kl: number
  test_per_digit: string
  img_per_s: number
  seconds: number
}

const SUMMARY_SELECT = `
  SELECT r.id, r.name, s.name AS sweep, r.status, r.dataset, r.latent_dim, r.backend, r.epochs,
         r.epochs_done, m.train_nelbo, m.test_nelbo, m.test_rec, m.test_kl, r.img_per_s, r.created_at
  FROM runs r
  LEFT JOIN sweeps s ON s.id = r.sweep_id
  LEFT JOIN epoch_metrics m ON m.run_id = r.id AND m.epoch = r.epochs_done`

const now = () => new Date().toISOString()

function isSqliteError(e: unknown, ...codes: string[]): boolean {
  const code = (e as { code?: unknown }).code
  return typeof code === 'string' && codes.includes(code)
}

/**
 * mkdir -p, one level at a time: Node's recursive mkdirSync spins forever under /proc (seen on
 * Node 20), and a failure here should name the directory and the reason.
 */
function ensureDirectory(dir: string): void {
  if (fs.existsSync(dir)) return
  ensureDirectory(path.dirname(dir))
  try {
    fs.mkdirSync(dir)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    if (code === 'EEXIST') return
    throw new VaeLabError(
      'INVALID_INPUT',
      `cannot create the directory ${dir} for the database (${code ?? String(e)}); choose another --db`,
      { cause: e }
    )
  }
}

/** Opens (creating if needed) a VAE Lab database: WAL, busy timeout, migrations, refusal of newer schemas. */
export function openDatabase(file: string): Database.Database {
  ensureDirectory(path.dirname(path.resolve(file)))
  let db: Database.Database
  try {
    db = new Database(file, { timeout: 5000 })
  } catch (e) {
    throw new VaeLabError(
      'INVALID_INPUT',
      `cannot open the database ${file}: ${(e as Error).message}; choose another --db`,
      { cause: e }
    )
  }
  try {
    const version = db.pragma('user_version', { simple: true }) as number
    if (version > SCHEMA_VERSION) {
      throw new VaeLabError(
        'DATABASE_INCOMPATIBLE',
        `${file} was written by a newer VAE Lab (schema ${version}, this version knows up to ${SCHEMA_VERSION}); ` +
          'upgrade VAE Lab, or choose another database with --db. The file was not changed.'
      )
    }
    const objects = (db.prepare('SELECT count(*) AS n FROM sqlite_master').get() as { n: number }).n
    if (version === 0 && objects > 0) {
      throw new VaeLabError(
        'DATABASE_INCOMPATIBLE',
        `${file} is an SQLite database of another program (it has tables but no VAE Lab schema); it was left untouched. Choose another file with --db.`
      )
    }
    db.pragma('journal_mode = WAL')
    db.pragma('foreign_keys = ON')
    const pending = MIGRATIONS.filter((m) => m.version > version)
    if (pending.length > 0) {
      db.transaction(() => {
        for (const m of pending) db.exec(m.sql)
        db.pragma(`user_version = ${SCHEMA_VERSION}`)
      }).immediate()
    }
    return db
  } catch (e) {
    db.close()
    if (e instanceof VaeLabError) throw e
    if (isSqliteError(e, 'SQLITE_NOTADB', 'SQLITE_CORRUPT')) {
      throw new VaeLabError(
        'DATA_CORRUPT',
        `${file} is not a readable VAE Lab database (${(e as Error).message}); it was left untouched. ` +
          'Restore a backup or choose another file with --db.',
        { cause: e }
      )
    }
    throw e
  }
}

function toSummary(r: RunRow): RunSummary {
  return {
    id: r.id,
    name: r.name,
    sweep: r.sweep,
    status: r.status,
    dataset: r.dataset,
    latent: r.latent_dim,
    backend: r.backend,
    epochs: r.epochs,
    epochsDone: r.epochs_done,
    trainNelbo: r.train_nelbo,
    testNelbo: r.test_nelbo,
    testRec: r.test_rec,
    testKl: r.test_kl,
    imgPerSec: r.img_per_s,
    createdAt: r.created_at
  }
}

function toDataset(r: DatasetRow): DatasetInfo {
  return {
    name: r.name,
    source: r.source,
    nTrain: r.n_train,
    nTest: r.n_test,
    files: {
      trainImages: r.train_images,
      trainLabels: r.train_labels,
      testImages: r.test_images,
      testLabels: r.test_labels
    }
  }
}

/** Parses a JSON column; a damaged row is reported as DATA_CORRUPT naming the run, never a crash. */
function parseColumn<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T
  } catch (e) {
    throw new VaeLabError('DATA_CORRUPT', `${what} is corrupt in the database (not JSON)`, {
      cause: e
    })
  }
}

export class SqliteRunStore implements RunStore {
  private readonly db: Database.Database
  private readonly stmt

  constructor(readonly file: string) {
    this.db = openDatabase(file)
    const db = this.db
    this.stmt = {
      upsertDataset: db.prepare(`INSERT INTO datasets VALUES
        (@name, @source, @trainImages, @trainLabels, @testImages, @testLabels, @nTrain, @nTest, @createdAt)
        ON CONFLICT(name) DO UPDATE SET source = excluded.source, train_images = excluded.train_images,
          train_labels = excluded.train_labels, test_images = excluded.test_images,
          test_labels = excluded.test_labels, n_train = excluded.n_train, n_test = excluded.n_test`),
      getDataset: db.prepare<[string], DatasetRow>('SELECT * FROM datasets WHERE name = ?'),
      listDatasets: db.prepare<[], DatasetRow>('SELECT * FROM datasets ORDER BY name'),
      insertSweep: db.prepare(
        'INSERT INTO sweeps (name, base_config, grid, created_at) VALUES (?, ?, ?, ?)'
      ),
      insertRun: db.prepare(`INSERT INTO runs
        (sweep_id, name, status, config, dataset, latent_dim, seed, epochs, code_version, created_at)
        VALUES (@sweepId, @name, 'queued', @config, @dataset, @latentDim, @seed, @epochs, @codeVersion, @createdAt)`),
      claimAny: db.prepare<
        [string, string],
        { id: number }
      >(`UPDATE runs SET status = 'running', owner = ?,
          started_at = coalesce(started_at, ?), cancel_requested = 0, message = NULL
        WHERE id = (SELECT id FROM runs WHERE status = 'queued' ORDER BY priority DESC, id LIMIT 1) RETURNING id`),
      claimAmong: db.prepare<
        [string, string, string],
        { id: number }
      >(`UPDATE runs SET status = 'running', owner = ?,
          started_at = coalesce(started_at, ?), cancel_requested = 0, message = NULL
        WHERE id = (SELECT id FROM runs WHERE status = 'queued' AND id IN (SELECT value FROM json_each(?))
                    ORDER BY priority DESC, id LIMIT 1) RETURNING id`),
      markRunning: db.prepare('UPDATE runs SET backend = ?, backend_detail = ? WHERE id = ?'),
      hasQueued: db.prepare("SELECT 1 FROM runs WHERE status = 'queued' LIMIT 1"),
      listQueue: db.prepare<[], RunRow>(`${SUMMARY_SELECT} WHERE r.status IN ('running', 'queued')
        ORDER BY r.status = 'running' DESC, r.priority DESC, r.id`),
      runningOwners: db.prepare<[], { id: number; owner: string | null }>(
        "SELECT id, owner FROM runs WHERE status = 'running'"
      ),
      markInterrupted: db.prepare(`UPDATE runs SET status = 'interrupted', owner = NULL,
        message = 'the process training it stopped before the run finished; \`vae-lab resume\` continues it'
        WHERE id = ? AND status = 'running'`),
      status: db.prepare<[number], { status: RunStatus; cancel_requested: number }>(
        'SELECT status, cancel_requested FROM runs WHERE id = ?'
      ),
      cancelQueued: db.prepare(
        "UPDATE runs SET status = 'cancelled', message = 'cancelled before it started', finished_at = ? WHERE id = ? AND status = 'queued'"
      ),
      requestCancel: db.prepare(
        "UPDATE runs SET cancel_requested = 1 WHERE id = ? AND status = 'running'"
      ),
      setPriority: db.prepare('UPDATE runs SET priority = ? WHERE id = ?'),
      requeue:
        db.prepare(`UPDATE runs SET status = 'queued', resumes = resumes + 1, message = NULL, owner = NULL,
        cancel_requested = 0, finished_at = NULL WHERE id = ?`),
      deleteRun: db.prepare('DELETE FROM runs WHERE id = ?'),
      deleteEmptySweeps: db.prepare(
        'DELETE FROM sweeps WHERE id NOT IN (SELECT sweep_id FROM runs WHERE sweep_id IS NOT NULL)'
      ),
      addTag: db.prepare('INSERT OR IGNORE INTO run_tags VALUES (?, ?)'),
      setNote: db.prepare('UPDATE runs SET note = ? WHERE id = ?'),
      rename: db.prepare('UPDATE runs SET name = ? WHERE id = ?'),
      insertEpoch: db.prepare(`INSERT OR REPLACE INTO epoch_metrics VALUES
        (@runId, @epoch, @trainNelbo, @trainRec, @trainKl, @testNelbo, @testRec, @testKl, @perDigit, @imgPerSec, @seconds)`),
      setEpochsDone: db.prepare('UPDATE runs SET epochs_done = ?, img_per_s = ? WHERE id = ?'),
      upsertCheckpoint: db.prepare(`INSERT OR REPLACE INTO checkpoints VALUES (?, ?, ?, ?, ?)`),
      finishRun:
        db.prepare(`UPDATE runs SET status = ?, message = ?, img_per_s = coalesce(?, img_per_s), finished_at = ?,
        owner = NULL, cancel_requested = 0 WHERE id = ?`),
      upsertEvaluation: db.prepare('INSERT OR REPLACE INTO evaluations VALUES (?, ?, ?, ?)'),
      upsertFigure: db.prepare('INSERT OR REPLACE INTO figure_data VALUES (?, ?, ?, ?)'),
      getRun: db.prepare<
        [number],
        RunDetailRow
      >(`SELECT r.id, r.name, s.name AS sweep, r.status, r.dataset, r.latent_dim,
          r.backend, r.epochs, r.epochs_done, m.train_nelbo, m.test_nelbo, m.test_rec, m.test_kl, r.img_per_s,
          r.created_at, r.config, r.backend_detail, r.code_version, r.message, r.note, r.started_at, r.finished_at,
          r.priority, r.resumes, r.owner
        FROM runs r LEFT JOIN sweeps s ON s.id = r.sweep_id
        LEFT JOIN epoch_metrics m ON m.run_id = r.id AND m.epoch = r.epochs_done WHERE r.id = ?`),
      tags: db.prepare<[number], { tag: string }>(
        'SELECT tag FROM run_tags WHERE run_id = ? ORDER BY tag'
      ),
      epochs: db.prepare<[number], MetricRow>(
        'SELECT * FROM epoch_metrics WHERE run_id = ? ORDER BY epoch'
      ),
      evaluations: db.prepare<[number], { kind: string; result: string }>(
        'SELECT kind, result FROM evaluations WHERE run_id = ?'
      ),
      figures: db.prepare<[number], { kind: StoredFigure['kind']; meta: string; data: Buffer }>(
        'SELECT kind, meta, data FROM figure_data WHERE run_id = ? ORDER BY kind'
      ),
      checkpoint: db.prepare<
        [number, string],
        { kind: StoredCheckpoint['kind']; epoch: number; tensors: Buffer }
      >('SELECT kind, epoch, tensors FROM checkpoints WHERE run_id = ? AND kind = ?'),
      countRuns: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM runs')
    }
  }

  close(): void {
    if (this.db.open) this.db.close()
  }

  upsertDataset(info: DatasetInfo): void {
    this.stmt.upsertDataset.run({
      name: info.name,
      source: info.source,
      ...info.files,
      nTrain: info.nTrain,
      nTest: info.nTest,
      createdAt: now()
    })
  }

  getDataset(name: string): DatasetInfo | null {
    const row = this.stmt.getDataset.get(name)
    return row ? toDataset(row) : null
  }

  listDatasets(): DatasetInfo[] {
    return this.stmt.listDatasets.all().map(toDataset)
  }

  createSweep(
    name: string,
    grid: Record<string, unknown[]>,
    runs: NewRun[]
  ): { sweepId: number; runIds: number[] } {
    const version = codeVersion()
    return this.db
      .transaction(() => {
        let sweepId: number
        try {
          sweepId = Number(
            this.stmt.insertSweep.run(
              name,
              JSON.stringify(runs[0]?.config ?? {}),
              JSON.stringify(grid),
              now()
            ).lastInsertRowid
          )
        } catch (e) {
          if (isSqliteError(e, 'SQLITE_CONSTRAINT_UNIQUE')) {
            throw new VaeLabError(
              'INVALID_INPUT',
              `a sweep named "${name}" already exists; choose another --sweep name`
            )
          }
          throw e
        }
        const runIds = runs.map(({ config, name: runName }) =>
          Number(
            this.stmt.insertRun.run({
              sweepId,
              name: runName ?? null,
              config: JSON.stringify(config),
              dataset: config.dataset,
              latentDim: config.latentDim,
              seed: config.seed,
              epochs: config.epochs,
              codeVersion: version,
              createdAt: now()
            }).lastInsertRowid
          )
        )
        return { sweepId, runIds }
      })
      .immediate()
  }

  claimNextQueued(owner: string, runIds?: number[]): number | null {
    const row = this.db
      .transaction(() =>
        runIds
          ? this.stmt.claimAmong.get(owner, now(), JSON.stringify(runIds))
          : this.stmt.claimAny.get(owner, now())
      )
      .immediate()
    return row?.id ?? null
  }

  hasQueued(): boolean {
    return this.stmt.hasQueued.get() !== undefined
  }

  listQueue(): RunSummary[] {
    return this.stmt.listQueue.all().map(toSummary)
  }

  dataVersion(): number {
    return this.db.pragma('data_version', { simple: true }) as number
  }

  markRunning(runId: number, backend: string, backendDetail: string): void {
    this.stmt.markRunning.run(backend, backendDetail, runId)
  }

  saveResults(runId: number, r: RunResults): void {
    this.db
      .transaction(() => {
        if (r.evaluation) this.saveEvaluation(runId, 'final', r.evaluation)
        if (r.figures) this.saveFigures(runId, figureRows(r.figures))
        if (r.weights)
          this.saveCheckpoint(runId, { kind: 'final', epoch: r.epochsDone, tensors: r.weights })
      })
      .immediate()
  }

  recoverInterrupted(isOwnerAlive: (owner: string | null) => boolean): number[] {
    const stale = this.stmt.runningOwners.all().filter((r) => !isOwnerAlive(r.owner))
    if (stale.length === 0) return []
    this.db.transaction(() => stale.forEach((r) => this.stmt.markInterrupted.run(r.id))).immediate()
    return stale.map((r) => r.id)
  }

  requestCancel(runId: number): 'cancelled' | 'requested' {
    return this.db
      .transaction(() => {
        const run = this.requireStatus(runId)
        if (run.status === 'queued') {
          this.stmt.cancelQueued.run(now(), runId)
          return 'cancelled' as const
        }
        if (run.status === 'running') {
          this.stmt.requestCancel.run(runId)
          return 'requested' as const
        }
        throw new VaeLabError(
          'INVALID_INPUT',
          `run ${runId} is ${run.status}; only queued or running runs can be cancelled`
        )
      })
      .immediate()
  }

  isCancelRequested(runId: number): boolean {
    return this.stmt.status.get(runId)?.cancel_requested === 1
  }

  setPriority(runId: number, priority: number): void {
    this.requireStatus(runId)
    this.stmt.setPriority.run(priority, runId)
  }

  requeueForResume(runId: number): void {
    this.db
      .transaction(() => {
        const { status } = this.requireStatus(runId)
        if (!['interrupted', 'cancelled', 'failed'].includes(status)) {
          const why =
            status === 'diverged'
              ? 'it diverged; start a new run with a lower learning rate'
              : `it is ${status}`
          throw new VaeLabError('INVALID_INPUT', `run ${runId} cannot be resumed: ${why}`)
        }
        this.stmt.requeue.run(runId)
      })
      .immediate()
  }

  deleteRuns(runIds: number[]): void {
    this.db
      .transaction(() => {
        for (const id of runIds) {
          if (this.requireStatus(id).status === 'running') {
            throw new VaeLabError(
              'INVALID_INPUT',
              `run ${id} is running; cancel it first (\`vae-lab queue cancel ${id}\`)`
            )
          }
        }
        for (const id of runIds) this.stmt.deleteRun.run(id)
        this.stmt.deleteEmptySweeps.run()
      })
      .immediate()
  }

  addTag(runId: number, tag: string): void {
    this.requireStatus(runId)
    this.stmt.addTag.run(runId, tag)
  }

  setNote(runId: number, note: string): void {
    this.requireStatus(runId)
    this.stmt.setNote.run(note, runId)
  }

  rename(runId: number, name: string): void {
    this.requireStatus(runId)
    this.stmt.rename.run(name, runId)
  }

  integrityCheck(): string[] {
    return (this.db.pragma('integrity_check') as { integrity_check: string }[]).map(
      (r) => r.integrity_check
    )
  }

  async backup(file: string): Promise<void> {
    await this.db.backup(file)
  }

  private requireStatus(runId: number): { status: RunStatus; cancel_requested: number } {
    const row = this.stmt.status.get(runId)
    if (!row)
      throw new VaeLabError(
        'NOT_FOUND',
        `no run with id ${runId}; \`vae-lab runs list\` shows the runs`
      )
    return row
  }

  appendEpoch(runId: number, m: EpochMetrics, checkpoint?: StoredCheckpoint): void {
    // The epoch's metrics and its checkpoint land together or not at all.
    this.db
      .transaction(() => {
        this.stmt.insertEpoch.run({
          runId,
          epoch: m.epoch,
          trainNelbo: m.train.nelbo,
          trainRec: m.train.rec,
          trainKl: m.train.kl,
          testNelbo: m.test.nelbo,
          testRec: m.test.rec,
          testKl: m.test.kl,
          perDigit: JSON.stringify(m.testPerDigit),
          imgPerSec: m.imgPerSec,
          seconds: m.seconds
        })
        this.stmt.setEpochsDone.run(m.epoch, m.imgPerSec, runId)
        if (checkpoint) this.saveCheckpoint(runId, checkpoint)
      })
      .immediate()
  }

  saveCheckpoint(runId: number, c: StoredCheckpoint): void {
    this.stmt.upsertCheckpoint.run(
      runId,
      c.kind,
      c.epoch,
      Buffer.from(c.tensors.buffer, c.tensors.byteOffset, c.tensors.byteLength),
      now()
    )
  }

  finishRun(
    runId: number,
    status: RunStatus,
    message: string | null,
    imgPerSec: number | null
  ): void {
    this.stmt.finishRun.run(status, message, imgPerSec, now(), runId)
  }

  saveEvaluation(runId: number, kind: string, result: unknown): void {
    this.stmt.upsertEvaluation.run(runId, kind, JSON.stringify(result), now())
  }

  saveFigures(runId: number, figures: StoredFigure[]): void {
    this.db
      .transaction(() => {
        for (const f of figures) {
          this.stmt.upsertFigure.run(
            runId,
            f.kind,
            JSON.stringify(f.meta),
            Buffer.from(f.data.buffer, f.data.byteOffset, f.data.byteLength)
          )
        }
      })
      .immediate()
  }

  getRun(runId: number): RunRecord | null {
    const row = this.stmt.getRun.get(runId)
    if (!row) return null
    const parsed = TrainConfigSchema.safeParse(
      parseColumn<unknown>(row.config, `run ${runId}'s config`)
    )
    if (!parsed.success) {
      throw new VaeLabError(
        'DATA_CORRUPT',
        `run ${runId}'s config in the database is invalid: ${parsed.error.issues[0]?.message}`
      )
    }
    const config: TrainConfig = parsed.data
    return {
      ...toSummary(row),
      config,
      backendDetail: row.backend_detail,
      codeVersion: row.code_version,
      message: row.message,
      note: row.note,
      tags: this.stmt.tags.all(runId).map((t) => t.tag),
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      priority: row.priority,
      resumes: row.resumes,
      owner: row.owner
    }
  }

  requireRun(runId: number): RunRecord {
    const run = this.getRun(runId)
    if (!run)
      throw new VaeLabError(
        'NOT_FOUND',
        `no run with id ${runId}; \`vae-lab runs list\` shows the runs`
      )
    return run
  }

  listRuns(filter: RunFilter = {}): RunSummary[] {
    const where: string[] = []
    const params: Record<string, string> = {}
    if (filter.status) {
      where.push('r.status = @status')
      params.status = filter.status
    }
    if (filter.sweep) {
      where.push('s.name = @sweep')
      params.sweep = filter.sweep
    }
    if (filter.tag) {
      where.push('EXISTS (SELECT 1 FROM run_tags t WHERE t.run_id = r.id AND t.tag = @tag)')
      params.tag = filter.tag
    }
    const sql = `${SUMMARY_SELECT} ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY r.id`
    return this.db.prepare<Record<string, string>, RunRow>(sql).all(params).map(toSummary)
  }

  epochMetrics(runId: number): EpochMetrics[] {
    return this.stmt.epochs.all(runId).map((r) => ({
      epoch: r.epoch,
      train: { nelbo: r.train_nelbo, rec: r.train_rec, kl: r.train_kl },
      test: { nelbo: r.test_nelbo, rec: r.test_rec, kl: r.test_kl },
      testPerDigit: parseColumn(
        r.test_per_digit,
        `run ${runId} epoch ${r.epoch} per-digit metrics`
      ),
      imgPerSec: r.img_per_s,
      seconds: r.seconds
    }))
  }

  evaluations(runId: number): Record<string, unknown> {
    return Object.fromEntries(
      this.stmt.evaluations
        .all(runId)
        .map((r) => [r.kind, parseColumn(r.result, `run ${runId}'s ${r.kind} evaluation`)])
    )
  }

  figures(runId: number): StoredFigure[] {
    return this.stmt.figures.all(runId).map((r) => ({
      kind: r.kind,
      meta: parseColumn<Record<string, unknown>>(r.meta, `run ${runId}'s ${r.kind} figure`),
      data: new Uint8Array(r.data.buffer, r.data.byteOffset, r.data.byteLength)
    }))
  }

  checkpoint(runId: number, kind: 'latest' | 'final'): StoredCheckpoint | null {
    const r = this.stmt.checkpoint.get(runId, kind)
    return r
      ? {
          kind: r.kind,
          epoch: r.epoch,
          tensors: new Uint8Array(r.tensors.buffer, r.tensors.byteOffset, r.tensors.byteLength)
        }
      : null
  }

  countRuns(): number {
    return this.stmt.countRuns.get()?.n ?? 0
  }
}
