// The one RunStore that runs SQL, over a SqlDriver (sqlDriver.ts) per engine.
//
// Why a driver interface and not a query builder (Kysely): the queries are few (about forty) and
// already plain SQL that SQLite and PostgreSQL both speak once written with RETURNING and
// ON CONFLICT; what really differs is small and known (claiming the next run: an immediate
// transaction on SQLite, FOR UPDATE SKIP LOCKED on PostgreSQL; unique violations; BLOB vs BYTEA
// in the migrations), and it sits in SqlDialect. A builder would not remove those differences,
// would rewrite every query, and its SQLite dialect has no immediate transactions (pitfalls.md
// section 3). Here each statement is prepared once and cached by its text, as before.
// A PostgreSQL backend adds a driver (pg), its dialect and migrations/postgres.ts; this file stays.
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
import { figureRows } from './figureRows'
import {
  cancelAction,
  checkDeletable,
  checkResumable,
  INTERRUPTED_MESSAGE,
  isAbandoned,
  runNotFound
} from './runLifecycle'
import type {
  FileMaintenance,
  NewRun,
  RunFilter,
  RunRecord,
  RunResults,
  RunStore,
  StoredCheckpoint,
  StoredFigure
} from './runStore'
import { inList, type SqlDriver, type SqlExecutor } from './sqlDriver'
import { classNamesFor } from '../../common/classNames'

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
  class_names: string | null
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

const SUMMARY_COLUMNS = `r.id, r.name, s.name AS sweep, r.status, r.dataset, r.latent_dim, r.backend,
  r.epochs, r.epochs_done, m.train_nelbo, m.test_nelbo, m.test_rec, m.test_kl, r.img_per_s, r.created_at`
const SUMMARY_FROM = `FROM runs r
  LEFT JOIN sweeps s ON s.id = r.sweep_id
  LEFT JOIN epoch_metrics m ON m.run_id = r.id AND m.epoch = r.epochs_done`

const SQL = {
  upsertDataset: `INSERT INTO datasets (name, source, train_images, train_labels, test_images,
      test_labels, n_train, n_test, class_names, created_at)
    VALUES (@name, @source, @trainImages, @trainLabels, @testImages, @testLabels, @nTrain, @nTest,
      @classNames, @createdAt)
    ON CONFLICT (name) DO UPDATE SET source = excluded.source, train_images = excluded.train_images,
      train_labels = excluded.train_labels, test_images = excluded.test_images,
      test_labels = excluded.test_labels, n_train = excluded.n_train, n_test = excluded.n_test,
      class_names = excluded.class_names`,
  getDataset: 'SELECT * FROM datasets WHERE name = @name',
  listDatasets: 'SELECT * FROM datasets ORDER BY name',
  insertSweep: `INSERT INTO sweeps (name, base_config, grid, created_at)
    VALUES (@name, @baseConfig, @grid, @createdAt) RETURNING id`,
  insertRun: `INSERT INTO runs
      (sweep_id, name, status, config, dataset, latent_dim, seed, epochs, code_version, created_at)
    VALUES (@sweepId, @name, 'queued', @config, @dataset, @latentDim, @seed, @epochs, @codeVersion, @createdAt)
    RETURNING id`,
  markRunning: 'UPDATE runs SET backend = @backend, backend_detail = @detail WHERE id = @runId',
  hasQueued: "SELECT 1 AS one FROM runs WHERE status = 'queued' LIMIT 1",
  listQueue: `SELECT ${SUMMARY_COLUMNS} ${SUMMARY_FROM} WHERE r.status IN ('running', 'queued')
    ORDER BY r.status = 'running' DESC, r.priority DESC, r.id`,
  runningOwners: "SELECT id, status, owner FROM runs WHERE status = 'running'",
  markInterrupted: `UPDATE runs SET status = 'interrupted', owner = NULL, message = @message
    WHERE id = @runId AND status = 'running'`,
  status: 'SELECT status, cancel_requested FROM runs WHERE id = @runId',
  cancelQueued: `UPDATE runs SET status = 'cancelled', message = 'cancelled before it started',
    finished_at = @now WHERE id = @runId AND status = 'queued'`,
  requestCancel: "UPDATE runs SET cancel_requested = 1 WHERE id = @runId AND status = 'running'",
  setPriority: 'UPDATE runs SET priority = @priority WHERE id = @runId',
  requeue: `UPDATE runs SET status = 'queued', resumes = resumes + 1, message = NULL, owner = NULL,
    cancel_requested = 0, finished_at = NULL WHERE id = @runId`,
  deleteRun: 'DELETE FROM runs WHERE id = @runId',
  deleteEmptySweeps:
    'DELETE FROM sweeps WHERE id NOT IN (SELECT sweep_id FROM runs WHERE sweep_id IS NOT NULL)',
  addTag: 'INSERT INTO run_tags (run_id, tag) VALUES (@runId, @tag) ON CONFLICT DO NOTHING',
  removeTag: 'DELETE FROM run_tags WHERE run_id = @runId AND tag = @tag',
  setNote: 'UPDATE runs SET note = @note WHERE id = @runId',
  rename: 'UPDATE runs SET name = @name WHERE id = @runId',
  upsertEpoch: `INSERT INTO epoch_metrics (run_id, epoch, train_nelbo, train_rec, train_kl,
      test_nelbo, test_rec, test_kl, test_per_digit, img_per_s, seconds)
    VALUES (@runId, @epoch, @trainNelbo, @trainRec, @trainKl, @testNelbo, @testRec, @testKl,
      @perDigit, @imgPerSec, @seconds)
    ON CONFLICT (run_id, epoch) DO UPDATE SET train_nelbo = excluded.train_nelbo,
      train_rec = excluded.train_rec, train_kl = excluded.train_kl,
      test_nelbo = excluded.test_nelbo, test_rec = excluded.test_rec, test_kl = excluded.test_kl,
      test_per_digit = excluded.test_per_digit, img_per_s = excluded.img_per_s,
      seconds = excluded.seconds`,
  setEpochsDone: 'UPDATE runs SET epochs_done = @epoch, img_per_s = @imgPerSec WHERE id = @runId',
  upsertCheckpoint: `INSERT INTO checkpoints (run_id, kind, epoch, tensors, created_at)
    VALUES (@runId, @kind, @epoch, @tensors, @createdAt)
    ON CONFLICT (run_id, kind) DO UPDATE SET epoch = excluded.epoch, tensors = excluded.tensors,
      created_at = excluded.created_at`,
  finishRun: `UPDATE runs SET status = @status, message = @message,
      img_per_s = coalesce(@imgPerSec, img_per_s), finished_at = @now, owner = NULL,
      cancel_requested = 0
    WHERE id = @runId`,
  upsertEvaluation: `INSERT INTO evaluations (run_id, kind, result, created_at)
    VALUES (@runId, @kind, @result, @createdAt)
    ON CONFLICT (run_id, kind) DO UPDATE SET result = excluded.result,
      created_at = excluded.created_at`,
  upsertFigure: `INSERT INTO figure_data (run_id, kind, meta, data)
    VALUES (@runId, @kind, @meta, @data)
    ON CONFLICT (run_id, kind) DO UPDATE SET meta = excluded.meta, data = excluded.data`,
  getRun: `SELECT ${SUMMARY_COLUMNS}, r.config, r.backend_detail, r.code_version, r.message,
      r.note, r.started_at, r.finished_at, r.priority, r.resumes, r.owner
    ${SUMMARY_FROM} WHERE r.id = @runId`,
  tags: 'SELECT tag FROM run_tags WHERE run_id = @runId ORDER BY tag',
  epochs: 'SELECT * FROM epoch_metrics WHERE run_id = @runId ORDER BY epoch',
  evaluations: 'SELECT kind, result FROM evaluations WHERE run_id = @runId',
  figures: 'SELECT kind, meta, data FROM figure_data WHERE run_id = @runId ORDER BY kind',
  checkpoint: 'SELECT kind, epoch, tensors FROM checkpoints WHERE run_id = @runId AND kind = @kind',
  countRuns: 'SELECT count(*) AS n FROM runs'
} as const

const now = () => new Date().toISOString()

/** A plain Uint8Array view of a BLOB column (drivers may hand back a Buffer). */
const bytes = (b: Uint8Array) => new Uint8Array(b.buffer, b.byteOffset, b.byteLength)

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
    },
    classNames: classNamesFor(
      r.name,
      r.class_names ? (JSON.parse(r.class_names) as string[]) : null
    )
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

export class SqlRunStore implements RunStore {
  constructor(
    private readonly db: SqlDriver,
    readonly uri: string,
    readonly location: string,
    readonly maintenance?: FileMaintenance
  ) {}

  close(): Promise<void> {
    return this.db.close()
  }

  changeToken(): Promise<string> {
    return this.db.changeToken()
  }

  async upsertDataset(info: DatasetInfo): Promise<void> {
    await this.db.run(SQL.upsertDataset, {
      name: info.name,
      source: info.source,
      ...info.files,
      nTrain: info.nTrain,
      nTest: info.nTest,
      classNames: JSON.stringify(info.classNames),
      createdAt: now()
    })
  }

  async getDataset(name: string): Promise<DatasetInfo | null> {
    const row = await this.db.get<DatasetRow>(SQL.getDataset, { name })
    return row ? toDataset(row) : null
  }

  async listDatasets(): Promise<DatasetInfo[]> {
    return (await this.db.all<DatasetRow>(SQL.listDatasets)).map(toDataset)
  }

  createSweep(
    name: string,
    grid: Record<string, unknown[]>,
    runs: NewRun[]
  ): Promise<{ sweepId: number; runIds: number[] }> {
    const version = codeVersion()
    return this.db.transaction('immediate', async (tx) => {
      let sweepId: number
      try {
        const row = await tx.get<{ id: number }>(SQL.insertSweep, {
          name,
          baseConfig: JSON.stringify(runs[0]?.config ?? {}),
          grid: JSON.stringify(grid),
          createdAt: now()
        })
        sweepId = Number(row?.id)
      } catch (e) {
        if (this.db.dialect.isUniqueViolation(e)) {
          throw new VaeLabError(
            'INVALID_INPUT',
            `a sweep named "${name}" already exists; choose another name`,
            { field: 'sweepName' }
          )
        }
        throw e
      }
      const runIds: number[] = []
      for (const { config, name: runName } of runs) {
        const row = await tx.get<{ id: number }>(SQL.insertRun, {
          sweepId,
          name: runName ?? null,
          config: JSON.stringify(config),
          dataset: config.dataset,
          latentDim: config.latentDim,
          seed: config.seed,
          epochs: config.epochs,
          codeVersion: version,
          createdAt: now()
        })
        runIds.push(Number(row?.id))
      }
      return { sweepId, runIds }
    })
  }

  async claimNextQueued(owner: string, runIds?: number[]): Promise<number | null> {
    const among = runIds ? inList('id', runIds) : null
    const row = await this.db.transaction('immediate', (tx) =>
      tx.get<{ id: number }>(this.db.dialect.claimNextSql(among?.sql ?? null), {
        owner,
        now: now(),
        ...among?.params
      })
    )
    return row?.id ?? null
  }

  async hasQueued(): Promise<boolean> {
    return (await this.db.get(SQL.hasQueued)) !== undefined
  }

  async listQueue(): Promise<RunSummary[]> {
    return (await this.db.all<RunRow>(SQL.listQueue)).map(toSummary)
  }

  async markRunning(runId: number, backend: string, backendDetail: string): Promise<void> {
    await this.db.run(SQL.markRunning, { runId, backend, detail: backendDetail })
  }

  saveResults(runId: number, r: RunResults): Promise<void> {
    return this.db.transaction('immediate', async (tx) => {
      if (r.evaluation) await this.writeEvaluation(tx, runId, 'final', r.evaluation)
      if (r.figures) await this.writeFigures(tx, runId, figureRows(r.figures))
      if (r.weights)
        await this.writeCheckpoint(tx, runId, {
          kind: 'final',
          epoch: r.epochsDone,
          tensors: r.weights
        })
    })
  }

  async recoverInterrupted(isOwnerAlive: (owner: string | null) => boolean): Promise<number[]> {
    const running = await this.db.all<{ id: number; status: RunStatus; owner: string | null }>(
      SQL.runningOwners
    )
    const stale = running.filter((r) => isAbandoned(r.status, r.owner, isOwnerAlive))
    if (stale.length === 0) return []
    await this.db.transaction('immediate', async (tx) => {
      for (const r of stale)
        await tx.run(SQL.markInterrupted, { runId: r.id, message: INTERRUPTED_MESSAGE })
    })
    return stale.map((r) => r.id)
  }

  requestCancel(runId: number): Promise<'cancelled' | 'requested'> {
    return this.db.transaction('immediate', async (tx) => {
      const { status } = await this.requireStatus(tx, runId)
      if (cancelAction(runId, status) === 'cancel-now') {
        await tx.run(SQL.cancelQueued, { runId, now: now() })
        return 'cancelled' as const
      }
      await tx.run(SQL.requestCancel, { runId })
      return 'requested' as const
    })
  }

  async isCancelRequested(runId: number): Promise<boolean> {
    const row = await this.db.get<{ cancel_requested: number }>(SQL.status, { runId })
    return row?.cancel_requested === 1
  }

  async setPriority(runId: number, priority: number): Promise<void> {
    await this.requireStatus(this.db, runId)
    await this.db.run(SQL.setPriority, { runId, priority })
  }

  requeueForResume(runId: number): Promise<void> {
    return this.db.transaction('immediate', async (tx) => {
      checkResumable(runId, (await this.requireStatus(tx, runId)).status)
      await tx.run(SQL.requeue, { runId })
    })
  }

  deleteRuns(runIds: number[]): Promise<void> {
    return this.db.transaction('immediate', async (tx) => {
      for (const id of runIds) checkDeletable(id, (await this.requireStatus(tx, id)).status)
      for (const id of runIds) await tx.run(SQL.deleteRun, { runId: id })
      await tx.run(SQL.deleteEmptySweeps)
    })
  }

  async addTag(runId: number, tag: string): Promise<void> {
    await this.requireStatus(this.db, runId)
    await this.db.run(SQL.addTag, { runId, tag })
  }

  async removeTag(runId: number, tag: string): Promise<void> {
    await this.requireStatus(this.db, runId)
    await this.db.run(SQL.removeTag, { runId, tag })
  }

  async setNote(runId: number, note: string): Promise<void> {
    await this.requireStatus(this.db, runId)
    await this.db.run(SQL.setNote, { runId, note })
  }

  async rename(runId: number, name: string): Promise<void> {
    await this.requireStatus(this.db, runId)
    await this.db.run(SQL.rename, { runId, name })
  }

  private async requireStatus(
    q: SqlExecutor,
    runId: number
  ): Promise<{ status: RunStatus; cancel_requested: number }> {
    const row = await q.get<{ status: RunStatus; cancel_requested: number }>(SQL.status, {
      runId
    })
    if (!row) throw runNotFound(runId)
    return row
  }

  appendEpoch(runId: number, m: EpochMetrics, checkpoint?: StoredCheckpoint): Promise<void> {
    // The epoch's metrics and its checkpoint land together or not at all.
    return this.db.transaction('immediate', async (tx) => {
      await tx.run(SQL.upsertEpoch, {
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
      await tx.run(SQL.setEpochsDone, { runId, epoch: m.epoch, imgPerSec: m.imgPerSec })
      if (checkpoint) await this.writeCheckpoint(tx, runId, checkpoint)
    })
  }

  async saveCheckpoint(runId: number, c: StoredCheckpoint): Promise<void> {
    await this.writeCheckpoint(this.db, runId, c)
  }

  private async writeCheckpoint(q: SqlExecutor, runId: number, c: StoredCheckpoint) {
    await q.run(SQL.upsertCheckpoint, {
      runId,
      kind: c.kind,
      epoch: c.epoch,
      tensors: c.tensors,
      createdAt: now()
    })
  }

  async finishRun(
    runId: number,
    status: RunStatus,
    message: string | null,
    imgPerSec: number | null
  ): Promise<void> {
    await this.db.run(SQL.finishRun, { runId, status, message, imgPerSec, now: now() })
  }

  async saveEvaluation(runId: number, kind: string, result: unknown): Promise<void> {
    await this.writeEvaluation(this.db, runId, kind, result)
  }

  private async writeEvaluation(q: SqlExecutor, runId: number, kind: string, result: unknown) {
    await q.run(SQL.upsertEvaluation, {
      runId,
      kind,
      result: JSON.stringify(result),
      createdAt: now()
    })
  }

  saveFigures(runId: number, figures: StoredFigure[]): Promise<void> {
    return this.db.transaction('immediate', (tx) => this.writeFigures(tx, runId, figures))
  }

  private async writeFigures(q: SqlExecutor, runId: number, figures: StoredFigure[]) {
    for (const f of figures) {
      await q.run(SQL.upsertFigure, {
        runId,
        kind: f.kind,
        meta: JSON.stringify(f.meta),
        data: f.data
      })
    }
  }

  async getRun(runId: number): Promise<RunRecord | null> {
    const row = await this.db.get<RunDetailRow>(SQL.getRun, { runId })
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
    const tags = await this.db.all<{ tag: string }>(SQL.tags, { runId })
    return {
      ...toSummary(row),
      config,
      backendDetail: row.backend_detail,
      codeVersion: row.code_version,
      message: row.message,
      note: row.note,
      tags: tags.map((t) => t.tag),
      startedAt: row.started_at,
      finishedAt: row.finished_at,
      priority: row.priority,
      resumes: row.resumes,
      owner: row.owner
    }
  }

  async requireRun(runId: number): Promise<RunRecord> {
    const run = await this.getRun(runId)
    if (!run) throw runNotFound(runId)
    return run
  }

  async listRuns(filter: RunFilter = {}): Promise<RunSummary[]> {
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
    const sql = `SELECT ${SUMMARY_COLUMNS} ${SUMMARY_FROM} ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY r.id`
    return (await this.db.all<RunRow>(sql, params)).map(toSummary)
  }

  async epochMetrics(runId: number): Promise<EpochMetrics[]> {
    return (await this.db.all<MetricRow>(SQL.epochs, { runId })).map((r) => ({
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

  async evaluations(runId: number): Promise<Record<string, unknown>> {
    const rows = await this.db.all<{ kind: string; result: string }>(SQL.evaluations, { runId })
    return Object.fromEntries(
      rows.map((r) => [r.kind, parseColumn(r.result, `run ${runId}'s ${r.kind} evaluation`)])
    )
  }

  async figures(runId: number): Promise<StoredFigure[]> {
    const rows = await this.db.all<{ kind: StoredFigure['kind']; meta: string; data: Uint8Array }>(
      SQL.figures,
      { runId }
    )
    return rows.map((r) => ({
      kind: r.kind,
      meta: parseColumn<Record<string, unknown>>(r.meta, `run ${runId}'s ${r.kind} figure`),
      data: bytes(r.data)
    }))
  }

  async checkpoint(runId: number, kind: 'latest' | 'final'): Promise<StoredCheckpoint | null> {
    const r = await this.db.get<{
      kind: StoredCheckpoint['kind']
      epoch: number
      tensors: Uint8Array
    }>(SQL.checkpoint, { runId, kind })
    return r ? { kind: r.kind, epoch: r.epoch, tensors: bytes(r.tensors) } : null
  }

  async countRuns(): Promise<number> {
    return (await this.db.get<{ n: number }>(SQL.countRuns))?.n ?? 0
  }
}
