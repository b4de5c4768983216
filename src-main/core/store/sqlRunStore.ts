// The one RunStore that runs SQL, over a SqlDriver (sqlDriver.ts) per engine.
//
// Why a driver interface and not a query builder (Kysely): the queries are few (about forty) and
// already plain SQL that SQLite and PostgreSQL both speak once written with RETURNING and
// ON CONFLICT; what really differs is small and known (claiming the next run: an immediate
// transaction on SQLite, FOR UPDATE SKIP LOCKED on PostgreSQL; unique violations; BLOB vs BYTEA
// in the migrations), and it sits in SqlDialect. A builder would not remove those differences,
// would rewrite every query, and its SQLite dialect has no immediate transactions (pitfalls.md
// section 3). Here each statement is prepared once and cached by its text, as before.
// PostgreSQL is a driver (pgDriver.ts), its dialect and migrations/postgres.ts; this file is both.
//
// The queue survives machines dying: a claim takes a lease (lease_token, lease_expires_at on the
// database's clock) that the worker renews; writes for a run carry the token and land only while
// it is held (a worker that lost its lease writes nothing more); recoverLost hands the runs of lost
// workers back (or interrupts or fails them, by their LostAction and the retry cap); each claim is
// an attempt in run_attempts.
import {
  parseStoredConfig,
  type DatasetInfo,
  type EpochMetrics,
  type RunStatus,
  type RunSummary,
  type TrainConfig
} from '../../common/contract'
import { VaeLabError } from '../../common/errors'
import { randomUUID } from 'node:crypto'
import { codeVersion } from '../version'
import { figureRows } from './figureRows'
import {
  cancelAction,
  checkDeletable,
  checkResumable,
  DEFAULT_MAX_RETRIES,
  isAbandoned,
  LeaseLostError,
  lostRunVerdict,
  runNotFound
} from './runLifecycle'
import type {
  Claim,
  ClaimOptions,
  EncodedFigure,
  EpochFigureKind,
  FileMaintenance,
  ImportOutcome,
  LostPolicy,
  LostRuns,
  NewRun,
  RunAttempt,
  RunBundle,
  RunFilter,
  RunRecord,
  RunResults,
  RunStore,
  StoredCheckpoint,
  StoredFigure
} from './runStore'
import { inList, type SqlDriver, type SqlExecutor, type SqlValue } from './sqlDriver'
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
  worker: string | null
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
  r.epochs, r.epochs_done, m.train_nelbo, m.test_nelbo, m.test_rec, m.test_kl, r.img_per_s, r.created_at,
  r.worker`
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
  insertSweep: `INSERT INTO sweeps (uid, name, base_config, grid, created_at)
    VALUES (@uid, @name, @baseConfig, @grid, @createdAt) RETURNING id`,
  insertRun: `INSERT INTO runs
      (uid, sweep_id, name, status, config, dataset, latent_dim, seed, epochs, code_version, created_at)
    VALUES (@uid, @sweepId, @name, 'queued', @config, @dataset, @latentDim, @seed, @epochs,
      @codeVersion, @createdAt)
    RETURNING id`,
  markRunning: 'UPDATE runs SET backend = @backend, backend_detail = @detail WHERE id = @runId',
  hasQueued: "SELECT 1 AS one FROM runs WHERE status = 'queued' LIMIT 1",
  listQueue: `SELECT ${SUMMARY_COLUMNS} ${SUMMARY_FROM} WHERE r.status IN ('running', 'queued')
    ORDER BY r.status = 'running' DESC, r.priority DESC, r.id`,
  claimedWith: 'SELECT id, attempts, epochs_done FROM runs WHERE lease_token = @token',
  insertAttempt: `INSERT INTO run_attempts
      (run_id, attempt, owner, worker, started_at, outcome, from_epoch, to_epoch)
    VALUES (@runId, @attempt, @owner, @worker, @now, 'running', @epoch, @epoch)
    ON CONFLICT (run_id, attempt) DO NOTHING`,
  endAttempt: `UPDATE run_attempts SET outcome = @outcome, ended_at = @now, message = @message
    WHERE run_id = @runId AND attempt = @attempt AND outcome = 'running'`,
  attemptReachedEpoch: `UPDATE run_attempts SET to_epoch = @epoch
    WHERE run_id = @runId AND attempt = (SELECT attempts FROM runs WHERE id = @runId)`,
  attempts: 'SELECT * FROM run_attempts WHERE run_id = @runId ORDER BY attempt',
  timesLost: "SELECT count(*) AS n FROM run_attempts WHERE run_id = @runId AND outcome = 'lost'",
  heldFor: `SELECT attempts, epochs_done FROM runs
    WHERE id = @runId AND status = 'running' AND lease_token = @token`,
  release: `UPDATE runs SET status = 'queued', owner = NULL, lease_token = NULL,
      lease_expires_at = NULL, cancel_requested = 0, resumes = resumes + 1, message = @message
    WHERE id = @runId AND status = 'running' AND lease_token = @token
    RETURNING attempts`,
  // Which worker a lost run had is matched on its token (coalesce: runs from before leases have
  // none), so a run that its worker renewed, or another process already handled, is left alone.
  markLost: `UPDATE runs SET status = @status, owner = NULL, lease_token = NULL,
      lease_expires_at = NULL, message = @message, resumes = resumes + @requeued,
      finished_at = CASE WHEN @status = 'queued' THEN NULL ELSE @now END
    WHERE id = @runId AND status = 'running' AND coalesce(lease_token, '') = @token`,
  status: 'SELECT status, cancel_requested FROM runs WHERE id = @runId',
  cancelQueued: `UPDATE runs SET status = 'cancelled', message = 'cancelled before it started',
    finished_at = @now WHERE id = @runId AND status = 'queued'`,
  requestCancel: "UPDATE runs SET cancel_requested = 1 WHERE id = @runId AND status = 'running'",
  setPriority: 'UPDATE runs SET priority = @priority WHERE id = @runId',
  requeue: `UPDATE runs SET status = 'queued', resumes = resumes + 1, message = NULL, owner = NULL,
    lease_token = NULL, lease_expires_at = NULL, cancel_requested = 0, finished_at = NULL
    WHERE id = @runId`,
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
  setEpochsDoneHeld: `UPDATE runs SET epochs_done = @epoch, img_per_s = @imgPerSec
    WHERE id = @runId AND status = 'running' AND lease_token = @token`,
  upsertCheckpoint: `INSERT INTO checkpoints (run_id, kind, epoch, tensors, created_at)
    VALUES (@runId, @kind, @epoch, @tensors, @createdAt)
    ON CONFLICT (run_id, kind) DO UPDATE SET epoch = excluded.epoch, tensors = excluded.tensors,
      created_at = excluded.created_at`,
  finishRun: `UPDATE runs SET status = @status, message = @message,
      img_per_s = coalesce(@imgPerSec, img_per_s), finished_at = @now, owner = NULL,
      lease_token = NULL, lease_expires_at = NULL, cancel_requested = 0
    WHERE id = @runId`,
  finishRunHeld: `UPDATE runs SET status = @status, message = @message,
      img_per_s = coalesce(@imgPerSec, img_per_s), finished_at = @now, owner = NULL,
      lease_token = NULL, lease_expires_at = NULL, cancel_requested = 0
    WHERE id = @runId AND status = 'running' AND lease_token = @token
    RETURNING attempts`,
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
  upsertEpochFigure: `INSERT INTO epoch_figures (run_id, epoch, kind, meta, data)
    VALUES (@runId, @epoch, @kind, @meta, @data)
    ON CONFLICT (run_id, epoch, kind) DO UPDATE SET meta = excluded.meta, data = excluded.data`,
  epochFigures:
    'SELECT kind, meta, data FROM epoch_figures WHERE run_id = @runId AND epoch = @epoch ORDER BY kind',
  allEpochFigures:
    'SELECT epoch, kind, meta, data FROM epoch_figures WHERE run_id = @runId ORDER BY epoch, kind',
  figureEpochs: 'SELECT DISTINCT epoch FROM epoch_figures WHERE run_id = @runId ORDER BY epoch',
  checkpoint: 'SELECT kind, epoch, tensors FROM checkpoints WHERE run_id = @runId AND kind = @kind',
  countRuns: 'SELECT count(*) AS n FROM runs',
  // Copying runs between stores (runs pull / push), by uid.
  runByUid: 'SELECT id, status, epochs_done FROM runs WHERE uid = @uid',
  runRow:
    'SELECT r.*, s.uid AS sweep_uid FROM runs r LEFT JOIN sweeps s ON s.id = r.sweep_id WHERE r.id = @runId',
  sweepRow: 'SELECT * FROM sweeps WHERE id = @id',
  sweepByUid: 'SELECT id FROM sweeps WHERE uid = @uid',
  sweepByName: 'SELECT id FROM sweeps WHERE name = @name',
  checkpoints: 'SELECT kind, epoch, tensors FROM checkpoints WHERE run_id = @runId ORDER BY kind',
  insertDatasetIfMissing: `INSERT INTO datasets (name, source, train_images, train_labels,
      test_images, test_labels, n_train, n_test, created_at)
    VALUES (@name, @source, @trainImages, @trainLabels, @testImages, @testLabels, @nTrain, @nTest, @createdAt)
    ON CONFLICT (name) DO NOTHING`,
  insertCopiedRun: `INSERT INTO runs (uid, sweep_id, name, status, priority, config, dataset,
      latent_dim, seed, epochs, epochs_done, backend, backend_detail, code_version, message,
      img_per_s, note, created_at, started_at, finished_at, resumes, attempts, worker)
    VALUES (@uid, @sweepId, @name, @status, @priority, @config, @dataset, @latentDim, @seed,
      @epochs, @epochsDone, @backend, @backendDetail, @codeVersion, @message, @imgPerSec, @note,
      @createdAt, @startedAt, @finishedAt, @resumes, @attempts, @worker)
    RETURNING id`,
  updateCopiedRun: `UPDATE runs SET sweep_id = @sweepId, name = @name, status = @status,
      config = @config, epochs = @epochs, epochs_done = @epochsDone, backend = @backend,
      backend_detail = @backendDetail, code_version = @codeVersion, message = @message,
      img_per_s = @imgPerSec, note = coalesce(note, @note), started_at = @startedAt,
      finished_at = @finishedAt, resumes = @resumes, attempts = @attempts, worker = @worker
    WHERE id = @runId`,
  clearCopiedData: [
    'DELETE FROM epoch_metrics WHERE run_id = @runId',
    'DELETE FROM evaluations WHERE run_id = @runId',
    'DELETE FROM figure_data WHERE run_id = @runId',
    'DELETE FROM epoch_figures WHERE run_id = @runId',
    'DELETE FROM checkpoints WHERE run_id = @runId',
    'DELETE FROM run_attempts WHERE run_id = @runId'
  ],
  insertCopiedAttempt: `INSERT INTO run_attempts (run_id, attempt, owner, worker, started_at,
      ended_at, outcome, from_epoch, to_epoch, message)
    VALUES (@runId, @attempt, @owner, @worker, @startedAt, @endedAt, @outcome, @fromEpoch,
      @toEpoch, @message)`,
  uids: `SELECT r.id, r.uid, r.status FROM runs r LEFT JOIN sweeps s ON s.id = r.sweep_id`
} as const

/** A fresh random id: runs' and sweeps' identity across stores, and lease tokens. */
const newUid = (): string => randomUUID().replace(/-/g, '')

interface AttemptRow {
  attempt: number
  owner: string
  worker: string | null
  started_at: string
  ended_at: string | null
  outcome: string
  from_epoch: number
  to_epoch: number
  message: string | null
}

const toAttempt = (a: AttemptRow): RunAttempt => ({
  attempt: a.attempt,
  owner: a.owner,
  worker: a.worker,
  startedAt: a.started_at,
  endedAt: a.ended_at,
  outcome: a.outcome,
  fromEpoch: a.from_epoch,
  toEpoch: a.to_epoch,
  message: a.message
})

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
    createdAt: r.created_at,
    worker: r.worker
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

  get backend(): 'sqlite' | 'postgres' {
    return this.db.dialect.name
  }

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
          uid: newUid(),
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
          uid: newUid(),
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

  claimNextQueued(owner: string, o: ClaimOptions = {}): Promise<Claim | null> {
    const filters: string[] = []
    let params: Record<string, SqlValue> = {}
    if (o.runIds) {
      const among = inList('id', o.runIds)
      filters.push(`r.id ${among.sql}`)
      params = { ...among.params }
    }
    if (o.sweep !== undefined) {
      filters.push('r.sweep_id = (SELECT s.id FROM sweeps s WHERE s.name = @sweep)')
      params.sweep = o.sweep
    }
    const leaseSeconds = o.leaseSeconds ?? 60
    const token = newUid()
    const sql = this.db.dialect.claimNextSql(filters.length ? filters.join(' AND ') : null)
    return this.db.transaction('immediate', async (tx) => {
      // A PostgreSQL driver reruns a transaction whose connection died, perhaps after it had
      // committed: the token finds that claim instead of taking a second run.
      const again = await tx.get<{ id: number; attempts: number; epochs_done: number }>(
        SQL.claimedWith,
        { token }
      )
      const row =
        again ??
        (await tx.get<{ id: number; attempts: number; epochs_done: number }>(sql, {
          ...params,
          owner,
          worker: o.worker ? `${owner} ${o.worker}` : owner,
          token,
          leaseMs: Math.round(leaseSeconds * 1000),
          onLost: o.onLost ?? 'interrupt',
          now: now()
        }))
      if (!row) return null
      await tx.run(SQL.insertAttempt, {
        runId: row.id,
        attempt: row.attempts,
        owner,
        worker: o.worker ?? null,
        now: now(),
        epoch: row.epochs_done
      })
      return {
        runId: row.id,
        token,
        attempt: row.attempts,
        epochsDone: row.epochs_done,
        leaseSeconds
      }
    })
  }

  async heartbeat(
    runId: number,
    token: string,
    leaseSeconds: number
  ): Promise<{ held: boolean; cancelRequested: boolean }> {
    const nowMs = this.db.dialect.nowMs
    const row = await this.db.get<{ cancel_requested: number }>(
      `UPDATE runs SET lease_expires_at = ${nowMs} + @leaseMs, heartbeat_at = ${nowMs}
        WHERE id = @runId AND status = 'running' AND lease_token = @token
        RETURNING cancel_requested`,
      { runId, token, leaseMs: Math.round(leaseSeconds * 1000) }
    )
    return { held: row !== undefined, cancelRequested: row?.cancel_requested === 1 }
  }

  releaseRun(runId: number, token: string, message: string): Promise<boolean> {
    return this.db.transaction('immediate', async (tx) => {
      const row = await tx.get<{ attempts: number }>(SQL.release, { runId, token, message })
      if (!row) return false
      await tx.run(SQL.endAttempt, {
        runId,
        attempt: row.attempts,
        outcome: 'released',
        now: now(),
        message
      })
      return true
    })
  }

  async recoverLost(policy: LostPolicy): Promise<LostRuns> {
    const maxRetries = policy.maxRetries ?? DEFAULT_MAX_RETRIES
    const running = await this.db.all<{
      id: number
      owner: string | null
      lease_token: string | null
      on_lost: 'interrupt' | 'requeue'
      attempts: number
      expired: number
    }>(
      `SELECT id, owner, lease_token, on_lost, attempts,
          CASE WHEN lease_expires_at < ${this.db.dialect.nowMs} THEN 1 ELSE 0 END AS expired
        FROM runs WHERE status = 'running'`
    )
    const result: LostRuns = { interrupted: [], requeued: [], failed: [] }
    const lost = running.filter((r) =>
      isAbandoned('running', r.owner, policy.isOwnerAlive, r.expired === 1)
    )
    for (const r of lost) {
      const verdict = await this.db.transaction('immediate', async (tx) => {
        const lost = (await tx.get<{ n: number }>(SQL.timesLost, { runId: r.id }))?.n ?? 0
        const v = lostRunVerdict(r.on_lost, lost + 1, maxRetries, r.owner ?? 'unknown')
        const { changes } = await tx.run(SQL.markLost, {
          runId: r.id,
          token: r.lease_token ?? '',
          status: v.status,
          message: v.message,
          requeued: v.status === 'queued' ? 1 : 0,
          now: now()
        })
        if (changes === 0) return null // renewed meanwhile, or handled by another process
        await tx.run(SQL.endAttempt, {
          runId: r.id,
          attempt: r.attempts,
          outcome: r.on_lost === 'interrupt' ? 'interrupted' : 'lost',
          now: now(),
          message: v.message
        })
        return v.status
      })
      if (verdict === 'interrupted') result.interrupted.push(r.id)
      else if (verdict === 'queued') result.requeued.push(r.id)
      else if (verdict === 'failed') result.failed.push(r.id)
    }
    return result
  }

  async attempts(runId: number): Promise<RunAttempt[]> {
    return (await this.db.all<AttemptRow>(SQL.attempts, { runId })).map(toAttempt)
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

  saveResults(runId: number, r: RunResults, token?: string): Promise<void> {
    return this.db.transaction('immediate', async (tx) => {
      if (r.lastEpoch)
        await this.writeEpoch(tx, runId, r.lastEpoch.metrics, undefined, token, r.lastEpoch.figures)
      else if (token !== undefined) await this.requireLease(tx, runId, token)
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

  /** Throws LeaseLostError unless the lease `token` still holds the run (and locks its row). */
  private async requireLease(q: SqlExecutor, runId: number, token: string) {
    const row = await q.get(SQL.heldFor + this.db.dialect.lockRows, { runId, token })
    if (!row) throw new LeaseLostError(runId)
  }

  requestCancel(runId: number): Promise<'cancelled' | 'requested'> {
    return this.db.transaction('immediate', async (tx) => {
      const { status } = await this.requireStatus(tx, runId, true)
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
      checkResumable(runId, (await this.requireStatus(tx, runId, true)).status)
      await tx.run(SQL.requeue, { runId })
    })
  }

  deleteRuns(runIds: number[]): Promise<void> {
    return this.db.transaction('immediate', async (tx) => {
      for (const id of runIds) checkDeletable(id, (await this.requireStatus(tx, id, true)).status)
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

  /** The run's status, or NOT_FOUND; `lock` holds its row to the end of the transaction. */
  private async requireStatus(
    q: SqlExecutor,
    runId: number,
    lock = false
  ): Promise<{ status: RunStatus; cancel_requested: number }> {
    const sql = lock ? SQL.status + this.db.dialect.lockRows : SQL.status
    const row = await q.get<{ status: RunStatus; cancel_requested: number }>(sql, {
      runId
    })
    if (!row) throw runNotFound(runId)
    return row
  }

  appendEpoch(
    runId: number,
    m: EpochMetrics,
    checkpoint?: StoredCheckpoint,
    token?: string,
    figures: readonly EncodedFigure[] = []
  ): Promise<void> {
    // The epoch's metrics and its checkpoint land together or not at all. The run's row is
    // updated last: with a lease token that checks the lease, and takes the row's lock only for
    // the moment before commit, not for the whole 10 MB write (claims and heartbeats of other
    // runs never wait for it; PostgreSQL would otherwise hold the lock while the bytes arrive).
    return this.db.transaction('immediate', (tx) =>
      this.writeEpoch(tx, runId, m, checkpoint, token, figures)
    )
  }

  private async writeEpoch(
    tx: SqlExecutor,
    runId: number,
    m: EpochMetrics,
    checkpoint: StoredCheckpoint | undefined,
    token: string | undefined,
    figures: readonly EncodedFigure[]
  ) {
    await tx.run(SQL.upsertEpoch, epochParams(runId, m))
    if (checkpoint) await this.writeCheckpoint(tx, runId, checkpoint)
    for (const f of figures) await this.writeEpochFigure(tx, runId, m.epoch, f)
    const epoch = { runId, epoch: m.epoch, imgPerSec: m.imgPerSec }
    if (token !== undefined) {
      const { changes } = await tx.run(SQL.setEpochsDoneHeld, { ...epoch, token })
      if (changes === 0) throw new LeaseLostError(runId)
    } else await tx.run(SQL.setEpochsDone, epoch)
    await tx.run(SQL.attemptReachedEpoch, { runId, epoch: m.epoch })
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
    imgPerSec: number | null,
    token?: string
  ): Promise<void> {
    const params = { runId, status, message, imgPerSec, now: now() }
    if (token === undefined) {
      // A run finished by hand (or by an older code path): its attempt, if one is open, ends too.
      await this.db.transaction('immediate', async (tx) => {
        const held = await tx.get<{ attempts: number }>(
          'SELECT attempts FROM runs WHERE id = @runId' + this.db.dialect.lockRows,
          { runId }
        )
        await tx.run(SQL.finishRun, params)
        if (held)
          await tx.run(SQL.endAttempt, { ...params, attempt: held.attempts, outcome: status })
      })
      return
    }
    await this.db.transaction('immediate', async (tx) => {
      const row = await tx.get<{ attempts: number }>(SQL.finishRunHeld, { ...params, token })
      if (!row) throw new LeaseLostError(runId)
      await tx.run(SQL.endAttempt, { ...params, attempt: row.attempts, outcome: status })
    })
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

  private async writeEpochFigure(q: SqlExecutor, runId: number, epoch: number, f: EncodedFigure) {
    await q.run(SQL.upsertEpochFigure, {
      runId,
      epoch,
      kind: f.kind,
      meta: JSON.stringify(f.meta),
      data: f.data
    })
  }

  async epochFigures(
    runId: number,
    epoch: number,
    kinds?: readonly EpochFigureKind[]
  ): Promise<EncodedFigure[]> {
    const rows = await this.db.all<{ kind: EpochFigureKind; meta: string; data: Uint8Array }>(
      SQL.epochFigures,
      { runId, epoch }
    )
    return rows
      .filter((r) => !kinds || kinds.includes(r.kind))
      .map((r) => ({
        kind: r.kind,
        meta: parseColumn<Record<string, unknown>>(
          r.meta,
          `run ${runId}'s ${r.kind} figure at epoch ${epoch}`
        ),
        data: bytes(r.data)
      }))
  }

  async figureEpochs(runId: number): Promise<number[]> {
    const rows = await this.db.all<{ epoch: number }>(SQL.figureEpochs, { runId })
    return rows.map((r) => Number(r.epoch))
  }

  async getRun(runId: number): Promise<RunRecord | null> {
    const row = await this.db.get<RunDetailRow>(SQL.getRun, { runId })
    if (!row) return null
    const parsed = parseStoredConfig(parseColumn<unknown>(row.config, `run ${runId}'s config`))
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
    return (await this.db.all<MetricRow>(SQL.epochs, { runId })).map((r) => toMetrics(runId, r))
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

  // --- Copying runs between stores (runs pull / push) ---------------------------------------

  async runUids(filter: RunFilter = {}): Promise<{ id: number; uid: string; status: RunStatus }[]> {
    const where: string[] = []
    const params: Record<string, string> = {}
    if (filter.sweep !== undefined) {
      where.push('s.name = @sweep')
      params.sweep = filter.sweep
    }
    if (filter.status) {
      where.push('r.status = @status')
      params.status = filter.status
    }
    if (filter.tag) {
      where.push('EXISTS (SELECT 1 FROM run_tags t WHERE t.run_id = r.id AND t.tag = @tag)')
      params.tag = filter.tag
    }
    const sql = `${SQL.uids} ${where.length ? 'WHERE ' + where.join(' AND ') : ''} ORDER BY r.id`
    return this.db.all(sql, params)
  }

  exportRun(runId: number): Promise<RunBundle> {
    // One transaction: a consistent picture of a run that may still be written to.
    return this.db.transaction('deferred', async (tx) => {
      const r = await tx.get<Record<string, SqlValue> & { sweep_uid: string | null }>(SQL.runRow, {
        runId
      })
      if (!r) throw runNotFound(runId)
      const sweep =
        r.sweep_id === null
          ? undefined
          : await tx.get<{
              uid: string
              name: string
              base_config: string
              grid: string
              created_at: string
            }>(SQL.sweepRow, { id: r.sweep_id })
      const dataset = await tx.get<DatasetRow>(SQL.getDataset, { name: r.dataset as string })
      const tags = await tx.all<{ tag: string }>(SQL.tags, { runId })
      const evaluations = await tx.all<{ kind: string; result: string }>(SQL.evaluations, {
        runId
      })
      const figures = await tx.all<{ kind: StoredFigure['kind']; meta: string; data: Uint8Array }>(
        SQL.figures,
        { runId }
      )
      const epochFigures = await tx.all<{
        epoch: number
        kind: EpochFigureKind
        meta: string
        data: Uint8Array
      }>(SQL.allEpochFigures, { runId })
      const checkpoints = await tx.all<{
        kind: StoredCheckpoint['kind']
        epoch: number
        tensors: Uint8Array
      }>(SQL.checkpoints, { runId })
      const attempts = await tx.all<AttemptRow>(SQL.attempts, { runId })
      const metrics = await tx.all<MetricRow>(SQL.epochs, { runId })
      return {
        uid: r.uid as string,
        sweep: sweep
          ? {
              uid: sweep.uid,
              name: sweep.name,
              baseConfig: sweep.base_config,
              grid: sweep.grid,
              createdAt: sweep.created_at
            }
          : null,
        run: {
          name: r.name as string | null,
          status: r.status as RunStatus,
          priority: r.priority as number,
          config: r.config as string,
          dataset: r.dataset as string,
          latentDim: r.latent_dim as number,
          seed: r.seed as number,
          epochs: r.epochs as number,
          epochsDone: r.epochs_done as number,
          backend: r.backend as string | null,
          backendDetail: r.backend_detail as string | null,
          codeVersion: r.code_version as string,
          message: r.message as string | null,
          imgPerSec: r.img_per_s as number | null,
          note: r.note as string | null,
          createdAt: r.created_at as string,
          startedAt: r.started_at as string | null,
          finishedAt: r.finished_at as string | null,
          resumes: r.resumes as number,
          attempts: r.attempts as number,
          worker: r.worker as string | null
        },
        tags: tags.map((t) => t.tag),
        metrics: metrics.map((m) => toMetrics(runId, m)),
        evaluations: Object.fromEntries(
          evaluations.map((e) => [e.kind, parseColumn(e.result, `run ${runId}'s ${e.kind}`)])
        ),
        figures: figures.map((f) => ({
          kind: f.kind,
          meta: parseColumn<Record<string, unknown>>(f.meta, `run ${runId}'s ${f.kind} figure`),
          data: bytes(f.data)
        })),
        epochFigures: epochFigures.map((f) => ({
          epoch: Number(f.epoch),
          kind: f.kind,
          meta: parseColumn<Record<string, unknown>>(
            f.meta,
            `run ${runId}'s ${f.kind} figure at epoch ${f.epoch}`
          ),
          data: bytes(f.data)
        })),
        checkpoints: checkpoints.map((c) => ({
          kind: c.kind,
          epoch: c.epoch,
          tensors: bytes(c.tensors)
        })),
        attemptLog: attempts.map(toAttempt),
        dataset: dataset ? toDataset(dataset) : null
      }
    })
  }

  importRun(b: RunBundle): Promise<ImportOutcome> {
    return this.db.transaction('immediate', async (tx) => {
      const here = await tx.get<{ id: number; status: RunStatus; epochs_done: number }>(
        SQL.runByUid + this.db.dialect.lockRows,
        { uid: b.uid }
      )
      // The copy here moved on (resumed, or training here): it is not overwritten.
      if (
        here &&
        (here.status === 'queued' ||
          here.status === 'running' ||
          here.epochs_done > b.run.epochsDone)
      )
        return 'kept'
      if (here && (await this.sameAsHere(tx, here.id, b))) {
        for (const tag of b.tags) await tx.run(SQL.addTag, { runId: here.id, tag })
        return 'unchanged'
      }
      if (b.dataset) {
        await tx.run(SQL.insertDatasetIfMissing, {
          name: b.dataset.name,
          source: b.dataset.source,
          ...b.dataset.files,
          nTrain: b.dataset.nTrain,
          nTest: b.dataset.nTest,
          createdAt: now()
        })
      }
      const sweepId = b.sweep ? await this.importSweep(tx, b.sweep) : null
      const run = {
        ...b.run,
        uid: b.uid,
        sweepId,
        latentDim: b.run.latentDim
      }
      let runId: number
      if (here) {
        runId = here.id
        await tx.run(SQL.updateCopiedRun, {
          runId,
          sweepId,
          name: run.name,
          status: run.status,
          config: run.config,
          epochs: run.epochs,
          epochsDone: run.epochsDone,
          backend: run.backend,
          backendDetail: run.backendDetail,
          codeVersion: run.codeVersion,
          message: run.message,
          imgPerSec: run.imgPerSec,
          note: run.note,
          startedAt: run.startedAt,
          finishedAt: run.finishedAt,
          resumes: run.resumes,
          attempts: run.attempts,
          worker: run.worker
        })
        for (const sql of SQL.clearCopiedData) await tx.run(sql, { runId })
      } else {
        const row = await tx.get<{ id: number }>(SQL.insertCopiedRun, run)
        runId = Number(row?.id)
      }
      for (const tag of b.tags) await tx.run(SQL.addTag, { runId, tag })
      for (const m of b.metrics) await tx.run(SQL.upsertEpoch, epochParams(runId, m))
      for (const [kind, result] of Object.entries(b.evaluations))
        await this.writeEvaluation(tx, runId, kind, result)
      await this.writeFigures(tx, runId, b.figures)
      for (const f of b.epochFigures ?? []) await this.writeEpochFigure(tx, runId, f.epoch, f)
      for (const c of b.checkpoints) await this.writeCheckpoint(tx, runId, c)
      for (const a of b.attemptLog) await tx.run(SQL.insertCopiedAttempt, { runId, ...a })
      return here ? 'updated' : 'added'
    })
  }

  /** Whether the copy here already has what the bundle carries (status, epochs, results). */
  private async sameAsHere(tx: SqlExecutor, runId: number, b: RunBundle): Promise<boolean> {
    const r = await tx.get<{
      status: RunStatus
      epochs_done: number
      finished_at: string | null
      message: string | null
      name: string | null
    }>('SELECT status, epochs_done, finished_at, message, name FROM runs WHERE id = @runId', {
      runId
    })
    const kinds = async (sql: string) =>
      (await tx.all<{ kind: string }>(sql, { runId })).map((k) => k.kind).join(',')
    return (
      r !== undefined &&
      r.status === b.run.status &&
      r.epochs_done === b.run.epochsDone &&
      r.finished_at === b.run.finishedAt &&
      r.message === b.run.message &&
      r.name === b.run.name &&
      (await kinds('SELECT kind FROM evaluations WHERE run_id = @runId ORDER BY kind')) ===
        Object.keys(b.evaluations).sort().join(',') &&
      (await kinds('SELECT kind FROM figure_data WHERE run_id = @runId ORDER BY kind')) ===
        b.figures
          .map((f) => f.kind)
          .sort()
          .join(',')
    )
  }

  /**
   * The sweep here with the bundle's uid, else a new one; a different sweep that already has its
   * name here keeps it, and the copy is named "NAME [uid prefix]" (sweep names are unique).
   */
  private async importSweep(tx: SqlExecutor, s: NonNullable<RunBundle['sweep']>) {
    const known = await tx.get<{ id: number }>(SQL.sweepByUid, { uid: s.uid })
    if (known) return known.id
    const taken = await tx.get<{ id: number }>(SQL.sweepByName, { name: s.name })
    const row = await tx.get<{ id: number }>(SQL.insertSweep, {
      uid: s.uid,
      name: taken ? `${s.name} [${s.uid.slice(0, 8)}]` : s.name,
      baseConfig: s.baseConfig,
      grid: s.grid,
      createdAt: s.createdAt
    })
    return Number(row?.id)
  }
}

function epochParams(runId: number, m: EpochMetrics): Record<string, SqlValue> {
  return {
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
  }
}

function toMetrics(runId: number, r: MetricRow): EpochMetrics {
  return {
    epoch: r.epoch,
    train: { nelbo: r.train_nelbo, rec: r.train_rec, kl: r.train_kl },
    test: { nelbo: r.test_nelbo, rec: r.test_rec, kl: r.test_kl },
    testPerDigit: parseColumn(r.test_per_digit, `run ${runId} epoch ${r.epoch} per-digit metrics`),
    imgPerSec: r.img_per_s,
    seconds: r.seconds
  }
}
