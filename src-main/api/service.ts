// Implements every operation once, over the core; the CLI (and later IPC and HTTP) are thin
// adapters over this. Inputs arrive unvalidated and are checked here against the contract.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { z } from 'zod'
import {
  DatasetImportSchema,
  IwaeRequestSchema,
  TrainConfigSchema,
  type BackendName,
  type BackendReport,
  type DatasetInfo,
  type EpochMetrics,
  type IwaeReport,
  type ProgressEvent,
  type RunSummary,
  type TrainConfig,
  type TrainConfigInput
} from '../common/contract'
import { initBackend, probeAll, selectBackend } from '../core/backend/backends'
import { builtinMnistInfo, headOf, loadDataset, readImageSet } from '../core/data/dataset'
import { evaluationImages } from '../core/data/pixels'
import { VaeLabError } from '../common/errors'
import { stockMatMul } from '../core/model/dense'
import { iwaeBound } from '../core/model/evaluate'
import { createVaeParams, disposeParams, INPUT_DIM } from '../core/model/vae'
import { isOwnerAlive } from '../core/queue/owner'
import { runQueue } from '../core/queue/runQueue'
import type { RunFilter, RunRecord, RunStore } from '../core/store/runStore'
import {
  benchmarkTraining,
  PAPER_BENCHMARK,
  type BenchmarkOptions,
  type BenchmarkResult
} from '../core/train/benchmark'
import { assignParams } from '../core/train/checkpoint'
import type { TrainEnv } from '../core/train/trainer'

/** Validates `input` against `schema`; the first problem becomes an INVALID_INPUT error naming the field. */
export function validate<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const field = issue.path.join('.')
  throw new VaeLabError('INVALID_INPUT', issue.message, field ? { field } : undefined)
}

/** Config fields a sweep may vary over; every combination of their values becomes one run. */
export const GRID_FIELDS = ['latentDim', 'beta', 'lr', 'seed', 'hidden'] as const
export type GridField = (typeof GRID_FIELDS)[number]
export type SweepGrid = Partial<Record<GridField, number[]>>

export interface SweepRequest {
  /** Settings shared by every run; the grid's fields override them per run. */
  base: Partial<TrainConfigInput>
  grid: SweepGrid
  sweepName?: string
}

export interface SweepResult {
  sweep: string
  runs: RunSummary[]
}

export interface QueueRequest {
  workers?: number
  signal?: AbortSignal
  /** On abort, runs in training are 'cancel'led (Ctrl-C) or 'requeue'd (the app closing). */
  onAbort?: 'cancel' | 'requeue'
}

export type BenchmarkEntry = {
  backend: BackendName
  variant: string
  available: boolean
  detail: string
} & Partial<BenchmarkResult>

export interface RunDetails {
  run: RunRecord
  metrics: EpochMetrics[]
  evaluations: Record<string, unknown>
}

/** The seed study: MNIST, latent 2/5/10/50, 500 hidden, batch 100, Adam 1e-3, 10 epochs. */
export const PAPER_PRESET: { grid: SweepGrid; base: Partial<TrainConfigInput> } = {
  grid: { latentDim: [2, 5, 10, 50] },
  base: { dataset: 'mnist', hidden: 500, batchSize: 100, optimizer: 'adam', epochs: 10 }
}

const GRID_LABEL: Record<GridField, string> = {
  latentDim: 'latent',
  beta: 'beta',
  lr: 'lr',
  seed: 'seed',
  hidden: 'hidden'
}

/** Every combination of the grid's values, in the order the fields were given. */
export function expandGrid(grid: SweepGrid): Record<string, number>[] {
  return Object.entries(grid).reduce<Record<string, number>[]>(
    (combos, [field, values]) =>
      combos.flatMap((c) => (values ?? []).map((v) => ({ ...c, [field]: v }))),
    [{}]
  )
}

function sweepNameNow(grid: SweepGrid): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)
  return `${grid.latentDim ? `latent-${grid.latentDim.join('-')}` : 'sweep'}-${stamp}`
}

/** Default parallelism: one training worker per core. */
export function defaultWorkers(): number {
  return os.availableParallelism()
}

function checkWorkers(workers: number): number {
  if (!Number.isInteger(workers) || workers < 1 || workers > 64) {
    throw new VaeLabError('INVALID_INPUT', 'must be a whole number from 1 to 64', {
      field: 'workers'
    })
  }
  return workers
}

/** Availability of every backend, with how to get the missing ones; touches no database. */
export function backendReports(): Promise<BackendReport[]> {
  return probeAll()
}

/**
 * Training throughput of every available backend (784-500-20, batch 100, Adam by default).
 * On wasm it also measures the stock matMul gradient, to show what the transpose-free one buys.
 */
export async function benchmarkBackends(
  options: Partial<BenchmarkOptions> = {}
): Promise<BenchmarkEntry[]> {
  const o = { ...PAPER_BENCHMARK, ...options }
  const entries: BenchmarkEntry[] = []
  for (const report of await probeAll()) {
    if (!report.available) {
      entries.push({
        backend: report.name,
        variant: 'default',
        available: false,
        detail: report.detail
      })
      continue
    }
    const backend = await initBackend(report.name)
    const variants: [string, TrainEnv][] = [['default', backend]]
    if (report.name === 'wasm')
      variants.push([
        'stock matMul gradient (transposed GEMMs)',
        { matMul: stockMatMul, blas: null }
      ])
    for (const [variant, env] of variants) {
      entries.push({
        backend: report.name,
        variant,
        available: true,
        detail: backend.detail,
        ...(await benchmarkTraining(env, o))
      })
    }
  }
  return entries
}

export class VaeLabService {
  constructor(private readonly store: RunStore) {
    // A run left 'running' by a process that was killed (kill -9, power loss) is interrupted.
    store.recoverInterrupted(isOwnerAlive)
  }

  dataset(name: string): DatasetInfo {
    if (name === 'mnist') return builtinMnistInfo()
    const info = this.store.getDataset(name)
    if (!info) {
      const known = ['mnist', ...this.store.listDatasets().map((d) => d.name)].join(', ')
      throw new VaeLabError(
        'NOT_FOUND',
        `unknown dataset "${name}"; known datasets: ${known} (add one with \`vae-lab data import\`)`
      )
    }
    return info
  }

  listDatasets(): DatasetInfo[] {
    return [builtinMnistInfo(), ...this.store.listDatasets()]
  }

  /** Reads and checks all four files before registering anything; paths are kept absolute. */
  importDataset(input: unknown): DatasetInfo {
    const parsed = validate(DatasetImportSchema, input)
    const req = {
      ...parsed,
      trainImages: path.resolve(parsed.trainImages),
      trainLabels: path.resolve(parsed.trainLabels),
      testImages: path.resolve(parsed.testImages),
      testLabels: path.resolve(parsed.testLabels)
    }
    // Runs refer to datasets by name: replacing one would silently change what they were trained on.
    if (this.store.getDataset(req.name)) {
      throw new VaeLabError(
        'INVALID_INPUT',
        `a dataset named "${req.name}" already exists; choose another --name`
      )
    }
    const train = readImageSet(req.trainImages, req.trainLabels)
    const test = readImageSet(req.testImages, req.testLabels)
    const info: DatasetInfo = {
      name: req.name,
      source: 'imported',
      nTrain: train.count,
      nTest: test.count,
      files: {
        trainImages: req.trainImages,
        trainLabels: req.trainLabels,
        testImages: req.testImages,
        testLabels: req.testLabels
      }
    }
    this.store.upsertDataset(info)
    return info
  }

  /**
   * Validates every run's config, the dataset and a forced backend before the first write, then
   * queues the sweep's runs. Nothing is written when any of it is wrong.
   */
  async queueSweep(req: SweepRequest): Promise<SweepResult> {
    const unknown = Object.keys(req.grid).filter(
      (f) => !(GRID_FIELDS as readonly string[]).includes(f)
    )
    if (unknown.length)
      throw new VaeLabError('INVALID_INPUT', `cannot vary ${unknown.join(', ')} in a sweep`)
    if (!req.grid.latentDim?.length) {
      throw new VaeLabError(
        'INVALID_INPUT',
        'give at least one latent dimension, e.g. --latent 2,5,10,50',
        { field: 'latentDim' }
      )
    }
    const combos = expandGrid(req.grid)
    if (combos.length > 1000)
      throw new VaeLabError(
        'INVALID_INPUT',
        `the grid has ${combos.length} combinations; at most 1000 runs per sweep`
      )
    const configs: TrainConfig[] = combos.map((combo) =>
      validate(TrainConfigSchema, { ...req.base, ...combo })
    )
    const dataset = this.dataset(configs[0].dataset)
    for (const c of configs) {
      const images = Math.min(c.limitTrain ?? dataset.nTrain, dataset.nTrain)
      if (images < c.batchSize) {
        throw new VaeLabError(
          'INVALID_INPUT',
          `${images} training images are fewer than one batch of ${c.batchSize}; lower --batch or raise --limit-train`,
          { field: c.limitTrain ? 'limitTrain' : 'batchSize' }
        )
      }
    }
    await selectBackend(configs[0].backend)
    const varied = (Object.keys(req.grid) as GridField[]).filter(
      (f) => f === 'latentDim' || (req.grid[f]?.length ?? 0) > 1
    )
    const runs = configs.map((config, i) => ({
      config,
      name: varied.map((f) => `${GRID_LABEL[f]} ${combos[i][f]}`).join(', ')
    }))
    if (req.sweepName !== undefined && !/^\S.{0,99}$/.test(req.sweepName)) {
      throw new VaeLabError(
        'INVALID_INPUT',
        'a sweep name is 1-100 characters and does not start with a space',
        { field: 'sweep' }
      )
    }
    const sweep = req.sweepName ?? sweepNameNow(req.grid)
    this.store.createSweep(sweep, req.grid, runs)
    return { sweep, runs: this.store.listRuns({ sweep }) }
  }

  /** Queues a sweep and trains exactly its runs here, `workers` at a time. */
  async trainSweep(
    req: SweepRequest,
    onEvent: (e: ProgressEvent) => void = () => {},
    q: QueueRequest = {}
  ): Promise<SweepResult> {
    const workers = checkWorkers(q.workers ?? defaultWorkers())
    const { sweep, runs } = await this.queueSweep(req)
    await this.work({ workers, runIds: runs.map((r) => r.id), signal: q.signal }, onEvent)
    return { sweep, runs: this.store.listRuns({ sweep }) }
  }

  /** Trains whatever is queued (by priority, then age) until the queue is empty; returns the ids trained. */
  async runQueue(
    onEvent: (e: ProgressEvent) => void = () => {},
    q: QueueRequest = {}
  ): Promise<RunSummary[]> {
    const ids = await this.work(
      {
        workers: checkWorkers(q.workers ?? defaultWorkers()),
        signal: q.signal,
        onAbort: q.onAbort
      },
      onEvent
    )
    const done = new Set(ids)
    return this.store.listRuns().filter((r) => done.has(r.id))
  }

  /** Puts an interrupted, cancelled or failed run back in the queue, to continue from its checkpoint. */
  requeueRun(runId: number): void {
    this.store.requeueForResume(runId)
  }

  /** Continues an interrupted, cancelled or failed run from its latest checkpoint, here and now. */
  async resumeRun(
    runId: number,
    onEvent: (e: ProgressEvent) => void = () => {},
    q: QueueRequest = {}
  ): Promise<RunSummary> {
    this.store.requeueForResume(runId)
    await this.work({ workers: 1, runIds: [runId], signal: q.signal }, onEvent)
    return this.store.listRuns().find((r) => r.id === runId) as RunSummary
  }

  private work(
    o: { workers: number; runIds?: number[]; signal?: AbortSignal; onAbort?: 'cancel' | 'requeue' },
    onEvent: (e: ProgressEvent) => void
  ) {
    return runQueue({ store: this.store, dataset: (name) => this.dataset(name), onEvent }, o)
  }

  /** Queued and running runs, in the order the queue takes them. */
  queue(): RunSummary[] {
    return this.store.listQueue()
  }

  hasQueued(): boolean {
    return this.store.hasQueued()
  }

  cancelRun(runId: number): 'cancelled' | 'requested' {
    return this.store.requestCancel(runId)
  }

  prioritizeRun(runId: number, priority: number): void {
    if (!Number.isInteger(priority) || Math.abs(priority) > 1_000_000) {
      throw new VaeLabError(
        'INVALID_INPUT',
        'priority must be a whole number (higher runs first)',
        { field: 'priority' }
      )
    }
    this.store.setPriority(runId, priority)
  }

  deleteRuns(runIds: number[]): void {
    this.store.deleteRuns(runIds)
  }

  tagRun(runId: number, tag: string): void {
    if (!/^[\w.:-]{1,64}$/.test(tag))
      throw new VaeLabError('INVALID_INPUT', 'a tag is 1-64 letters, digits or _ . : -', {
        field: 'tag'
      })
    this.store.addTag(runId, tag)
  }

  noteRun(runId: number, note: string): void {
    if (note.length > 10_000)
      throw new VaeLabError('INVALID_INPUT', 'a note is at most 10,000 characters', {
        field: 'note'
      })
    this.store.setNote(runId, note)
  }

  renameRun(runId: number, name: string): void {
    if (!name.trim() || name.length > 200)
      throw new VaeLabError('INVALID_INPUT', 'a name is 1-200 characters', { field: 'name' })
    this.store.rename(runId, name.trim())
  }

  checkDatabase(): { file: string; ok: boolean; problems: string[]; runs: number } {
    const problems = this.store.integrityCheck().filter((p) => p !== 'ok')
    return {
      file: this.store.file,
      ok: problems.length === 0,
      problems,
      runs: this.store.countRuns()
    }
  }

  /**
   * A consistent copy, written beside the target and renamed into place: never the database
   * itself (or its -wal/-shm files), and an existing file only when `overwrite` says so.
   */
  async backupDatabase(file: string, overwrite = false): Promise<void> {
    const target = path.resolve(file)
    const source = fs.realpathSync(this.store.file)
    const real = fs.existsSync(target) ? fs.realpathSync(target) : target
    if ([source, `${source}-wal`, `${source}-shm`].includes(real)) {
      throw new VaeLabError(
        'INVALID_INPUT',
        `${file} is the database itself; back it up to another path`
      )
    }
    if (fs.existsSync(target) && !overwrite) {
      throw new VaeLabError(
        'INVALID_INPUT',
        `${file} exists; choose another path, or add --force to replace it`
      )
    }
    const staging = `${target}.partial-${process.pid}`
    try {
      await this.store.backup(staging)
      fs.renameSync(staging, target)
    } catch (e) {
      fs.rmSync(staging, { force: true })
      throw new VaeLabError(
        'INVALID_INPUT',
        `cannot write a backup to ${file}: ${(e as Error).message}`,
        { cause: e }
      )
    }
  }

  listRuns(filter: RunFilter = {}): RunSummary[] {
    return this.store.listRuns(filter)
  }

  runDetails(runId: number): RunDetails {
    const run = this.store.requireRun(runId)
    return {
      run,
      metrics: this.store.epochMetrics(runId),
      evaluations: this.store.evaluations(runId)
    }
  }

  /** The k-sample IWAE bound of a finished run on its test set, stored with the run. */
  async evaluateIwae(input: unknown): Promise<IwaeReport> {
    const req = validate(IwaeRequestSchema, input)
    const { run } = this.runDetails(req.runId)
    const checkpoint =
      this.store.checkpoint(req.runId, 'final') ?? this.store.checkpoint(req.runId, 'latest')
    if (!checkpoint)
      throw new VaeLabError(
        'NOT_FOUND',
        `run ${req.runId} has no saved weights yet (status ${run.status})`
      )
    const backend = await initBackend((await selectBackend(req.backend)).name)
    const cfg = run.config
    const test = evaluationImages(
      headOf(loadDataset(this.dataset(cfg.dataset)).test, req.limitTest ?? cfg.limitTest),
      cfg.pixels
    )
    const params = createVaeParams(
      { inputDim: INPUT_DIM, hidden: cfg.hidden, latentDim: cfg.latentDim },
      cfg.init,
      cfg.seed
    )
    try {
      assignParams(params, checkpoint.tensors, `run ${req.runId}'s checkpoint`)
      const report = await iwaeBound(
        { params, latentDim: cfg.latentDim, matMul: backend.matMul },
        test,
        req.k,
        cfg.seed
      )
      this.store.saveEvaluation(req.runId, `iwae/k=${req.k}`, { ...report, backend: backend.name })
      return report
    } finally {
      disposeParams(params)
    }
  }
}
