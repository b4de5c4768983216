// Implements every operation once, over the core; the CLI (and later IPC and HTTP) are thin
// adapters over this. Inputs arrive unvalidated and are checked here against the contract.
import os from 'node:os'
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
} from './contract'
import { initBackend, probeAll, selectBackend } from '../core/backend/backends'
import { builtinMnistInfo, headOf, loadDataset, readImageSet } from '../core/data/dataset'
import { evaluationImages } from '../core/data/pixels'
import { VaeLabError } from '../core/errors'
import { iwaeBound } from '../core/model/evaluate'
import { createVaeParams, disposeParams, INPUT_DIM } from '../core/model/vae'
import { assignParams } from '../core/train/checkpoint'
import type { FigureData } from '../core/model/figureData'
import type { RunRecord, RunStore, StoredFigure } from '../core/store/runStore'
import { startTraining, type TrainingHandle } from '../core/train/trainingWorker'
import { benchmarkTraining, PAPER_BENCHMARK, type BenchmarkOptions, type BenchmarkResult } from '../core/train/benchmark'
import { stockMatMul } from '../core/model/dense'
import type { TrainEnv } from '../core/train/trainer'

/** Validates `input` against `schema`; the first problem becomes an INVALID_INPUT error naming the field. */
export function validate<S extends z.ZodType>(schema: S, input: unknown): z.output<S> {
  const result = schema.safeParse(input)
  if (result.success) return result.data
  const issue = result.error.issues[0]
  const field = issue.path.join('.')
  throw new VaeLabError('INVALID_INPUT', issue.message, field ? { field } : undefined)
}

export interface SweepRequest {
  /** Settings shared by every run (latentDim is taken from `latents`). */
  base: Omit<TrainConfigInput, 'latentDim'>
  latents: number[]
  sweepName?: string
  workers?: number
}

export interface SweepResult {
  sweep: string
  runs: RunSummary[]
}

export type BenchmarkEntry = { backend: BackendName; variant: string; available: boolean; detail: string } & Partial<BenchmarkResult>

export interface RunDetails {
  run: RunRecord
  metrics: EpochMetrics[]
  evaluations: Record<string, unknown>
}

export const PAPER_PRESET: { latents: number[]; base: Omit<TrainConfigInput, 'latentDim'> } = {
  latents: [2, 5, 10, 50],
  base: { dataset: 'mnist', hidden: 500, batchSize: 100, optimizer: 'adam', epochs: 10 }
}

function sweepNameNow(latents: number[]): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)
  return `latent-${latents.join('-')}-${stamp}`
}

function figureRows(f: FigureData): StoredFigure[] {
  const rows: StoredFigure[] = [
    {
      kind: 'recon',
      meta: { indices: f.recon.indices, labels: f.recon.labels, shape: [2, f.recon.labels.length, 28, 28], layout: 'originals then reconstructions' },
      data: concatBytes(f.recon.originals, f.recon.reconstructions)
    },
    {
      kind: 'scatter',
      meta: { indices: f.scatter.indices, labels: f.scatter.labels, shape: [f.scatter.labels.length, f.scatter.latentDim], dtype: 'float32' },
      data: new Uint8Array(f.scatter.mu.buffer, f.scatter.mu.byteOffset, f.scatter.mu.byteLength)
    }
  ]
  if (f.manifold) {
    rows.push({
      kind: 'manifold',
      meta: { grid: f.manifold.grid, range: f.manifold.range, shape: [f.manifold.grid * f.manifold.grid, 28, 28] },
      data: f.manifold.images
    })
  }
  return rows
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}

/** Availability of every backend, with how to get the missing ones; touches no database. */
export function backendReports(): Promise<BackendReport[]> {
  return probeAll()
}

/**
 * Training throughput of every available backend (784-500-20, batch 100, Adam by default).
 * On wasm it also measures the stock matMul gradient, to show what the transpose-free one buys.
 */
export async function benchmarkBackends(options: Partial<BenchmarkOptions> = {}): Promise<BenchmarkEntry[]> {
  const o = { ...PAPER_BENCHMARK, ...options }
  const entries: BenchmarkEntry[] = []
  for (const report of await probeAll()) {
    if (!report.available) {
      entries.push({ backend: report.name, variant: 'default', available: false, detail: report.detail })
      continue
    }
    const backend = await initBackend(report.name)
    const variants: [string, TrainEnv][] = [['default', backend]]
    if (report.name === 'wasm') variants.push(['stock matMul gradient (transposed GEMMs)', { matMul: stockMatMul, blas: null }])
    for (const [variant, env] of variants) {
      entries.push({ backend: report.name, variant, available: true, detail: backend.detail, ...(await benchmarkTraining(env, o)) })
    }
  }
  return entries
}

export class VaeLabService {
  private readonly active = new Map<number, TrainingHandle>()

  constructor(private readonly store: RunStore) {}

  dataset(name: string): DatasetInfo {
    if (name === 'mnist') return builtinMnistInfo()
    const info = this.store.getDataset(name)
    if (!info) {
      const known = ['mnist', ...this.store.listDatasets().map((d) => d.name)].join(', ')
      throw new VaeLabError('NOT_FOUND', `unknown dataset "${name}"; known datasets: ${known} (add one with \`vae-lab data import\`)`)
    }
    return info
  }

  listDatasets(): DatasetInfo[] {
    return [builtinMnistInfo(), ...this.store.listDatasets()]
  }

  /** Reads and checks all four files before registering anything. */
  importDataset(input: unknown): DatasetInfo {
    const req = validate(DatasetImportSchema, input)
    const train = readImageSet(req.trainImages, req.trainLabels)
    const test = readImageSet(req.testImages, req.testLabels)
    const info: DatasetInfo = {
      name: req.name,
      source: 'imported',
      nTrain: train.count,
      nTest: test.count,
      files: { trainImages: req.trainImages, trainLabels: req.trainLabels, testImages: req.testImages, testLabels: req.testLabels }
    }
    this.store.upsertDataset(info)
    return info
  }

  /** Validates everything and checks the backend before the first write, then trains the runs on a worker pool. */
  async trainSweep(req: SweepRequest, onEvent: (e: ProgressEvent) => void = () => {}, signal?: AbortSignal): Promise<SweepResult> {
    if (!Array.isArray(req.latents) || req.latents.length === 0) {
      throw new VaeLabError('INVALID_INPUT', 'latent: give at least one latent dimension, e.g. --latent 2,5,10,50')
    }
    const configs: TrainConfig[] = req.latents.map((latentDim) => validate(TrainConfigSchema, { ...req.base, latentDim }))
    const dataset = this.dataset(configs[0].dataset)
    const workers = req.workers ?? Math.min(configs.length, os.availableParallelism())
    if (!Number.isInteger(workers) || workers < 1 || workers > 64) {
      throw new VaeLabError('INVALID_INPUT', 'workers: must be a whole number from 1 to 64')
    }
    const backend = await selectBackend(configs[0].backend)
    const sweep = req.sweepName ?? sweepNameNow(req.latents)
    const { runIds } = this.store.createSweep(sweep, { latentDim: req.latents }, configs.map((config) => ({ config, name: `latent ${config.latentDim}` })))

    const queue = runIds.map((id, i) => ({ id, config: configs[i] }))
    let cancelled = false
    const onAbort = () => {
      cancelled = true
      for (const h of this.active.values()) h.cancel()
    }
    signal?.addEventListener('abort', onAbort, { once: true })
    const next = async (): Promise<void> => {
      for (let job = queue.shift(); job; job = queue.shift()) {
        if (cancelled) {
          this.store.finishRun(job.id, 'cancelled', 'cancelled before it started', null)
          onEvent({ type: 'status', runId: job.id, status: 'cancelled' })
          continue
        }
        await this.trainOne(job.id, job.config, dataset, backend.name, onEvent)
      }
    }
    try {
      await Promise.all(Array.from({ length: workers }, next))
    } finally {
      signal?.removeEventListener('abort', onAbort)
    }
    return { sweep, runs: this.store.listRuns({ sweep }) }
  }

  private async trainOne(runId: number, config: TrainConfig, dataset: DatasetInfo, backend: BackendName, onEvent: (e: ProgressEvent) => void) {
    const handle = startTraining(
      { runId, config, dataset, backend },
      {
        onReady: (name, detail) => {
          this.store.markRunning(runId, name, detail)
          onEvent({ type: 'status', runId, status: 'running', message: detail })
        },
        onBatch: (p) => onEvent({ type: 'batch', runId, epochs: config.epochs, ...p }),
        onEpoch: (metrics, tensors) => {
          this.store.appendEpoch(runId, metrics, { kind: 'latest', epoch: metrics.epoch, tensors })
          onEvent({ type: 'epoch', runId, metrics })
        }
      }
    )
    this.active.set(runId, handle)
    try {
      const outcome = await handle.done
      if (outcome.evaluation) this.store.saveEvaluation(runId, 'final', outcome.evaluation)
      if (outcome.figures) this.store.saveFigures(runId, figureRows(outcome.figures))
      if (outcome.weights) this.store.saveCheckpoint(runId, { kind: 'final', epoch: outcome.epochsDone, tensors: outcome.weights })
      this.store.finishRun(runId, outcome.status, outcome.message ?? null, outcome.imgPerSec)
      onEvent({ type: 'status', runId, status: outcome.status, message: outcome.message })
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e)
      this.store.finishRun(runId, 'failed', message, null)
      onEvent({ type: 'status', runId, status: 'failed', message })
    } finally {
      this.active.delete(runId)
    }
  }

  listRuns(filter: Parameters<RunStore['listRuns']>[0] = {}): RunSummary[] {
    return this.store.listRuns(filter)
  }

  runDetails(runId: number): RunDetails {
    const run = this.store.getRun(runId)
    if (!run) throw new VaeLabError('NOT_FOUND', `no run with id ${runId}; \`vae-lab runs list\` shows the runs`)
    return { run, metrics: this.store.epochMetrics(runId), evaluations: this.store.evaluations(runId) }
  }

  /** The k-sample IWAE bound of a finished run on its test set, stored with the run. */
  async evaluateIwae(input: unknown): Promise<IwaeReport> {
    const req = validate(IwaeRequestSchema, input)
    const { run } = this.runDetails(req.runId)
    const checkpoint = this.store.checkpoint(req.runId, 'final') ?? this.store.checkpoint(req.runId, 'latest')
    if (!checkpoint) throw new VaeLabError('NOT_FOUND', `run ${req.runId} has no saved weights yet (status ${run.status})`)
    const backend = await initBackend((await selectBackend(req.backend)).name)
    const cfg = run.config
    const test = evaluationImages(headOf(loadDataset(this.dataset(cfg.dataset)).test, req.limitTest ?? cfg.limitTest), cfg.pixels)
    const params = createVaeParams({ inputDim: INPUT_DIM, hidden: cfg.hidden, latentDim: cfg.latentDim }, cfg.init, cfg.seed)
    try {
      assignParams(params, checkpoint.tensors, `run ${req.runId}'s checkpoint`)
      const report = await iwaeBound({ params, latentDim: cfg.latentDim, matMul: backend.matMul }, test, req.k, cfg.seed)
      this.store.saveEvaluation(req.runId, `iwae/k=${req.k}`, { ...report, backend: backend.name })
      return report
    } finally {
      disposeParams(params)
    }
  }
}
