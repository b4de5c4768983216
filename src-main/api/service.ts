// The one service: implements VaeLabApi once, over the core, for IPC, HTTP and the CLI alike.
// Its `api` (and `invoke`, for IPC and HTTP) validate every call's arguments against the
// contract's schemas, once, before a handler runs; the handlers trust what they get. The CLI's
// own operations (train here with progress, IWAE, database upkeep) validate at their entry.
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { z } from 'zod'
import {
  IwaeRequestSchema,
  type BackendChoice,
  type BackendName,
  type BackendReport,
  type DatasetInfo,
  type FinalEvaluation,
  type IwaeReport,
  type ProgressEvent,
  type RunSummary
} from '../common/contract'
import type { ExportProgress, ExportResult } from '../common/exportContract'
import {
  SweepRequestSchema,
  type GridField,
  type SweepGrid,
  type SweepRequest,
  type SweepRequestInput
} from '../common/sweepRequest'
import { runName, variedFields } from '../common/sweepGrid'
import { errorAnswer, validate, validateArgs, isApiMethod } from '../common/validate'
import {
  API_METHODS,
  RunIdSchema,
  WorkersSchema,
  type API_ARGS,
  type ApiAnswer,
  type ApiMethod,
  type DatasetPreview,
  type FigureBundle,
  type QueueStatus,
  type RunFacets,
  type StoreInfo,
  type VaeLabApi,
  type WorkbenchEvent
} from '../common/workbenchContract'
import { initBackend, probeAll, selectBackend } from '../core/backend/backends'
import { builtinMnistInfo } from '../core/data/dataset'
import { checkImageSets, previewTestImages } from '../core/data/datasetFiles'
import { readIdxFile } from '../core/data/idx'
import { VaeLabError } from '../common/errors'
import { stockMatMul } from '../core/model/dense'
import { CONV_IMAGE } from '../core/model/convVae'
import { isOwnerAlive } from '../core/queue/owner'
import {
  runWorker,
  type WorkerEvent,
  type WorkerOptions,
  type WorkerReport
} from '../core/queue/queueWorker'
import { runQueue } from '../core/queue/runQueue'
import { trainingPool } from '../core/train/trainingPool'
import {
  canonicalStoreUri,
  openRunStore,
  redactUri,
  resolveStoreUri
} from '../core/store/openRunStore'
import { configureStore, configuredStore } from '../core/store/storeSettings'
import type { FileMaintenance, RunFilter, RunStore } from '../core/store/runStore'
import { copyRuns, type TransferReport } from '../core/store/runTransfer'
import {
  benchmarkTraining,
  PAPER_BENCHMARK,
  type BenchmarkOptions,
  type BenchmarkResult
} from '../core/train/benchmark'
import { protocolLine } from '../core/train/protocolLine'
import type { TrainEnv } from '../core/train/trainer'
import { BackgroundQueue } from './backgroundQueue'
import { slurmStatus, submitSlurm, type SlurmStatus, type SlurmSubmitInput } from './slurmService'
import { runFigureJob, runWorkerJob } from './figureJobs'
import { LatentExplorer } from './latentExplorer'
import { evaluateRunIwae, resolveDataset } from './iwaeEvaluation'
import { runFile } from './runFile'
import { uiOutDir } from './uiOutDir'
import { classNamesFor } from '../common/classNames'
import { zipArchive } from '../core/figures/export/zipArchive'
import { decodeEpochFigures } from '../core/figures/epochFigureCodec'
import { klFromWeights } from './decodedFigures'

export type { GridField, SweepGrid, SweepRequestInput }
export type { WorkerEvent, WorkerReport } from '../core/queue/queueWorker'
export type { TransferReport } from '../core/store/runTransfer'

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

export { SWEEP_PRESETS, type SweepPreset } from '../common/sweepPresets'

/** The conv VAE's layers are sized for 28x28 images; refuse other sizes before anything is queued. */
function checkConvImages(dataset: DatasetInfo): void {
  if (dataset.source === 'builtin') return
  const [, rows, cols] = readIdxFile(dataset.files.trainImages).dims
  if (rows !== CONV_IMAGE || cols !== CONV_IMAGE) {
    throw new VaeLabError(
      'INVALID_INPUT',
      `the conv architecture takes ${CONV_IMAGE}x${CONV_IMAGE} images; dataset "${dataset.name}" has ${rows}x${cols}: use the MLP (--arch mlp)`,
      { field: 'arch' }
    )
  }
}

function sweepNameNow(grid: SweepGrid): string {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-').slice(0, 19)
  return `${grid.latentDim ? `latent-${grid.latentDim.join('-')}` : 'sweep'}-${stamp}`
}

/** Default parallelism: one training worker per core. */
export function defaultWorkers(): number {
  return os.availableParallelism()
}

/** Availability of every backend, with how to get the missing ones; touches no database. */
export function backendReports(): Promise<BackendReport[]> {
  return probeAll()
}

/** Models `vae-lab bench --models` can time besides the paper's: the variants of issue 18. */
export const BENCHMARK_MODELS = {
  default: {},
  'iwae-k5': { objective: 'iwae', k: 5 },
  'hidden-200-200': { hidden: [200, 200] },
  conv: { arch: 'conv' }
} as const satisfies Record<string, Partial<BenchmarkOptions>>
export type BenchmarkModel = keyof typeof BENCHMARK_MODELS

/**
 * Training throughput of every available backend (784-500-20, batch 100, Adam by default), for
 * each of `models`. On wasm it also measures the paper's model with the stock matMul gradient, to
 * show what the transpose-free one buys.
 */
export async function benchmarkBackends(
  options: Partial<BenchmarkOptions> = {},
  models: readonly BenchmarkModel[] = ['default']
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
    const variants: [string, TrainEnv, BenchmarkModel][] = models.map((m) => [m, backend, m])
    if (report.name === 'wasm' && models.includes('default'))
      variants.splice(1, 0, [
        'stock matMul gradient (transposed GEMMs)',
        { matMul: stockMatMul, blas: null },
        'default'
      ])
    for (const [variant, env, model] of variants) {
      entries.push({
        backend: report.name,
        variant,
        available: true,
        detail: backend.detail,
        ...(await benchmarkTraining(env, { ...o, ...BENCHMARK_MODELS[model] }))
      })
    }
  }
  return entries
}

/** Each api method's handler, taking the arguments as its schema outputs them. */
type ApiHandlers = {
  [M in ApiMethod]: (...args: z.output<(typeof API_ARGS)[M]>) => ReturnType<VaeLabApi[M]>
}

export class VaeLabService {
  /** The api, every call validated against its schema first: what the CLI calls. */
  readonly api: VaeLabApi
  private readonly listeners = new Set<(e: WorkbenchEvent) => void>()
  private readonly background: BackgroundQueue
  private started = false
  private bundleJob: AbortController | undefined
  private readonly recovered: Promise<unknown>
  /** The latent explorer's long-lived decoding worker (started at its first request). */
  private readonly explorer: LatentExplorer

  constructor(
    private readonly store: RunStore,
    readonly workers = defaultWorkers(),
    options: { stopGraceMs?: number } = {}
  ) {
    // A run left 'running' by a process that was killed (kill -9, power loss) is interrupted.
    // Every operation waits for it; a failure (say, the database stayed locked) is theirs to report.
    // A vae-lab worker's run whose lease ran out goes back to the queue (recoverLost).
    this.recovered = store.recoverLost({ isOwnerAlive })
    this.recovered.catch(() => {})
    this.explorer = new LatentExplorer(store.uri)
    this.api = Object.fromEntries(
      API_METHODS.map((m) => [m, (...args: unknown[]) => this.call(m, args)])
    ) as unknown as VaeLabApi
    const onEvent = (e: ProgressEvent) => this.emitProgress(e)
    this.background = new BackgroundQueue({
      workers,
      hasQueued: async () => {
        await this.ready()
        return this.store.hasQueued()
      },
      workOne: (signal, kill) =>
        this.trainHere({ workers: 1, signal, kill, onAbort: 'requeue' }, onEvent).then(
          () => undefined
        ),
      changeToken: () => this.store.changeToken(),
      onChange: () => this.emit({ type: 'runs-changed' }),
      stopGraceMs: options.stopGraceMs
    })
  }

  /** Where the store is, for messages (no password). */
  get storeLocation(): string {
    return this.store.location
  }

  /** Resolves once the runs of dead processes are marked interrupted (started at construction). */
  async ready(): Promise<void> {
    await this.recovered
  }

  // --- The boundary ------------------------------------------------------------------------

  /** IPC and HTTP: validates `args` against the method's schema, calls it, never throws. */
  async invoke(method: string, args: unknown): Promise<ApiAnswer<unknown>> {
    try {
      if (!isApiMethod(method)) throw new VaeLabError('NOT_FOUND', `unknown api method "${method}"`)
      return { ok: true, value: await this.call(method, args) }
    } catch (e) {
      return errorAnswer(e)
    }
  }

  private async call(method: ApiMethod, args: unknown): Promise<unknown> {
    const parsed = validateArgs(method, args) as unknown[]
    await this.ready()
    const handler = this.handlers[method] as (...a: unknown[]) => Promise<unknown>
    return handler(...parsed)
  }

  // --- Events and the background queue (the workbench: `serve` and the app) -----------------

  /**
   * Starts working whatever was left queued, and watches the store: runs queued by another
   * process (a CLI with --detach) start here too, and the UI hears of changes made elsewhere.
   * The CLI never starts it: there, queueSweep only queues.
   */
  start(): void {
    this.started = true
    this.background.start()
  }

  /** Stops claiming; runs in training go back to the front of the queue (see BackgroundQueue). */
  async stop(): Promise<void> {
    await this.explorer.close()
    if (this.started) await this.background.stop()
  }

  subscribe(listener: (e: WorkbenchEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private emit(e: WorkbenchEvent) {
    for (const l of this.listeners) l(e)
  }

  private emitProgress(e: ProgressEvent) {
    this.emit(e)
    if (e.type === 'status') this.emit({ type: 'runs-changed' })
  }

  /** Runs changed: the UI refreshes, and a started workbench looks for work. */
  private changed(kick = false) {
    this.emit({ type: 'runs-changed' })
    if (kick && this.started) this.background.kick()
  }

  // --- The api's handlers (arguments already validated) -------------------------------------

  private readonly handlers: ApiHandlers = {
    listRuns: async (filter = {}) => this.store.listRuns(filter),
    getRun: async (runId) => {
      const { owner: _owner, ...run } = await this.store.requireRun(runId)
      // A run whose dataset was removed still has a protocol, without the image counts.
      const dataset =
        run.config.dataset === 'mnist'
          ? builtinMnistInfo()
          : await this.store.getDataset(run.config.dataset)
      return {
        run,
        metrics: await this.store.epochMetrics(runId),
        evaluations: await this.store.evaluations(runId),
        protocol: protocolLine(run, dataset ?? undefined)
      }
    },
    queueSweep: async (req) => {
      const { sweep, runs } = await this.queueValidated(req)
      this.changed(true)
      return { sweep, runIds: runs.map((r) => r.id) }
    },
    resumeRun: async (runId) => {
      await this.store.requeueForResume(runId)
      this.changed(true)
    },
    cancelRun: async (runId) => {
      const what = await this.store.requestCancel(runId)
      this.changed()
      return what
    },
    setPriority: async (runId, priority) => {
      await this.store.setPriority(runId, priority)
      this.changed()
    },
    deleteRuns: async (runIds) => {
      await this.store.deleteRuns(runIds)
      for (const id of runIds) this.explorer.forget(id)
      this.changed()
    },
    tagRun: async (runId, tag) => {
      await this.store.addTag(runId, tag)
      this.changed()
    },
    noteRun: async (runId, note) => {
      await this.store.setNote(runId, note)
      this.changed()
    },
    renameRun: async (runId, name) => {
      await this.store.rename(runId, name)
      this.changed()
    },
    listDatasets: async () => [builtinMnistInfo(), ...(await this.store.listDatasets())],
    importDataset: (req) => this.importDataset(req),
    datasetPreview: async (name, count): Promise<DatasetPreview> => {
      const test = await previewTestImages(await this.dataset(name), count)
      return { name, labels: Array.from(test.labels), images: Array.from(test.images) }
    },
    backends: () => backendReports(),
    chooseBackend: async (choice: BackendChoice) => {
      const { name, reason } = await selectBackend(choice)
      return { name, reason }
    },
    // Projections, k-NN and renderers take from 0.3 s to seconds: off the event loop. Only the
    // newest Compare request is worth finishing: a UMAP or t-SNE job left running would take a
    // core from training for seconds.
    figureInputs: (req) => {
      this.bundleJob?.abort()
      const job = (this.bundleJob = new AbortController())
      return runFigureJob<FigureBundle>(
        { kind: 'bundle', storeUri: this.store.uri, request: req },
        job.signal
      )
    },
    // The UI's export: a relative folder is under the user's home (never the app's install
    // folder), and files already there are replaced only when the request says so.
    exportFigures: (req) =>
      runFigureJob<ExportResult>({
        kind: 'export',
        storeUri: this.store.uri,
        request: {
          overwrite: false,
          ...req,
          ...(typeof req.outDir === 'string' ? { outDir: uiOutDir(req.outDir) } : {})
        }
      }),
    storeInfo: async () => this.storeInfo(),
    useStore: async (uri) => {
      // Opened once first: a store that cannot be opened (wrong password, unreachable, newer
      // schema) is refused here, with its reason, and the setting is left as it was.
      const canonical = uri === null ? null : canonicalStoreUri(uri)
      if (canonical !== null) await (await openRunStore(canonical)).close()
      configureStore(canonical)
      return this.storeInfo()
    },
    queueStatus: async (): Promise<QueueStatus> => {
      const q = await this.store.listQueue()
      return {
        workers: this.workers,
        running: q.filter((r) => r.status === 'running').map((r) => r.id),
        queued: q.filter((r) => r.status === 'queued').map((r) => r.id)
      }
    },
    untagRun: async (runId, tag) => {
      await this.store.removeTag(runId, tag)
      this.changed()
    },
    runFacets: async (): Promise<RunFacets[]> => {
      const out: RunFacets[] = []
      for (const { id } of await this.store.listRuns()) {
        const r = await this.store.getRun(id)
        if (r) out.push({ id, tags: r.tags, note: r.note, config: r.config })
      }
      return out
    },
    evaluateIwae: async (runId, k) => {
      const request = validate(IwaeRequestSchema, { runId, k })
      await this.store.requireRun(runId)
      const report = await runWorkerJob<IwaeReport>(
        'api/iwaeWorker.js',
        { storeUri: this.store.uri, request },
        {
          onProgress: (p) => {
            const { done, total } = p as { done: number; total: number }
            this.emit({ type: 'evaluation', runId, k, done, total })
          }
        }
      )
      this.changed()
      return report
    },
    runFile: (runId, file) => runFile(this.store, runId, file),
    exportArchive: (req) => this.exportArchive(req),
    // The explorer decodes in its own long-lived worker: about a millisecond a point, and the
    // event loop here only forwards (issue 17: under 50 ms a decode while runs train).
    latentExplorer: async (runId) => this.explorer.info(await this.store.requireRun(runId)),
    decodeLatent: async (runId, points) =>
      this.explorer.decode(await this.store.requireRun(runId), points),
    chooseFolder: async () => {
      // The desktop app answers this itself with the native dialog (electron/main.ts).
      throw new VaeLabError(
        'NOT_FOUND',
        'a folder dialog needs the desktop app; in the browser, download the export as a zip',
        { field: 'outDir' }
      )
    }
  }

  /** An export written to a temporary folder, answered as one zip (browser mode's download). */
  private async exportArchive(req: Record<string, unknown>) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-lab-archive-'))
    try {
      const result = await runFigureJob<ExportResult>({
        kind: 'export',
        storeUri: this.store.uri,
        request: { ...req, outDir: path.join(dir, 'export'), overwrite: true }
      })
      const bytes = zipArchive(
        result.files.map((name) => ({
          name,
          bytes: fs.readFileSync(path.join(result.outDir, ...name.split('/')))
        }))
      )
      const stamp = new Date().toISOString().slice(0, 16).replace(/[:T]/g, '-')
      return {
        fileName: `vae-lab-${req.report ? 'report' : 'figures'}-${stamp}.zip`,
        mimeType: 'application/zip',
        base64: Buffer.from(bytes).toString('base64'),
        bytes: bytes.length,
        export: { ...result, outDir: '' }
      }
    } finally {
      fs.rmSync(dir, { recursive: true, force: true })
    }
  }

  private storeInfo(): StoreInfo {
    const configured = configuredStore()
    const overriddenBy = process.env.VAE_LAB_DB ? 'VAE_LAB_DB' : null
    return {
      location: this.store.location,
      backend: this.store.backend,
      configured: configured === null ? null : redactUri(configured),
      overriddenBy,
      restartNeeded: !overriddenBy && canonicalStoreUri(resolveStoreUri()) !== this.store.uri
    }
  }

  // --- Shared by the api and the CLI's operations --------------------------------------------

  /** A dataset by name (the built-in MNIST or an imported one), or NOT_FOUND listing the known ones. */
  dataset(name: string): Promise<DatasetInfo> {
    return resolveDataset(this.store, name)
  }

  /** Reads and checks all four files before registering anything; paths are kept absolute. */
  private async importDataset(parsed: z.output<typeof API_ARGS.importDataset>[0]) {
    const req = {
      ...parsed,
      trainImages: path.resolve(parsed.trainImages),
      trainLabels: path.resolve(parsed.trainLabels),
      testImages: path.resolve(parsed.testImages),
      testLabels: path.resolve(parsed.testLabels)
    }
    // Runs refer to datasets by name: replacing one would silently change what they were trained on.
    if (await this.store.getDataset(req.name)) {
      throw new VaeLabError(
        'INVALID_INPUT',
        `a dataset named "${req.name}" already exists; choose another name`
      )
    }
    // Off the event loop: four files of up to 1 GiB each (issue 12, finding 3).
    const [nTrain, nTest] = await checkImageSets([
      { images: req.trainImages, labels: req.trainLabels },
      { images: req.testImages, labels: req.testLabels }
    ])
    const info: DatasetInfo = {
      name: req.name,
      source: 'imported',
      nTrain,
      nTest,
      files: {
        trainImages: req.trainImages,
        trainLabels: req.trainLabels,
        testImages: req.testImages,
        testLabels: req.testLabels
      },
      classNames: classNamesFor(req.name, req.classNames)
    }
    await this.store.upsertDataset(info)
    return info
  }

  /**
   * Checks what the schema cannot (the dataset exists and has a batch of images, a forced
   * backend is here) before the first write, then queues the sweep's runs. Nothing is written
   * when any of it is wrong.
   */
  private async queueValidated(req: SweepRequest): Promise<SweepResult> {
    const configs = req.runs.map((r) => r.config)
    const dataset = await this.dataset(configs[0].dataset)
    for (const c of configs) {
      const images = Math.min(c.limitTrain ?? dataset.nTrain, dataset.nTrain)
      if (images < c.batchSize) {
        throw new VaeLabError(
          'INVALID_INPUT',
          `${images} training images are fewer than one batch of ${c.batchSize}; lower the batch size or use more training images`,
          { field: c.limitTrain ? 'limitTrain' : 'batchSize' }
        )
      }
    }
    if (configs.some((c) => c.arch === 'conv')) checkConvImages(dataset)
    await selectBackend(configs[0].backend)
    const varied = variedFields(req.grid)
    const runs = req.runs.map(({ config, combo }) => ({ config, name: runName(combo, varied) }))
    const grid = req.grid as unknown as Record<string, unknown[]>
    const made = sweepNameNow(req.grid)
    let sweep = req.sweepName ?? made
    // A name the user chose is theirs to change; a made-up one (to the second) is not, so two
    // commands queued in the same second get "-2", "-3".
    for (let n = 2; ; n++) {
      try {
        await this.store.createSweep(sweep, grid, runs)
        break
      } catch (e) {
        const taken = e instanceof VaeLabError && e.field === 'sweepName'
        if (req.sweepName !== undefined || !taken || n > 100) throw e
        sweep = `${made}-${n}`
      }
    }
    return { sweep, runs: await this.store.listRuns({ sweep }) }
  }

  private trainHere(
    o: {
      workers: number
      runIds?: number[]
      signal?: AbortSignal
      kill?: AbortSignal
      onAbort?: 'cancel' | 'requeue'
    },
    onEvent: (e: ProgressEvent) => void
  ) {
    return runQueue({ store: this.store, dataset: (name) => this.dataset(name), onEvent }, o)
  }

  // --- The CLI's own operations (validated here, at their entry) -----------------------------

  /** Queues a sweep and trains exactly its runs here, `workers` at a time. */
  async trainSweep(
    input: SweepRequestInput,
    onEvent: (e: ProgressEvent) => void = () => {},
    q: QueueRequest = {}
  ): Promise<SweepResult> {
    const workers = validate(WorkersSchema, q.workers ?? defaultWorkers(), 'workers')
    const req = validate(SweepRequestSchema, input)
    // The workers start loading tfjs now, beside the checks and the queueing below.
    trainingPool().warm(Math.min(workers, req.runs.length))
    await this.ready()
    const { sweep, runs } = await this.queueValidated(req)
    const ids = runs.map((r) => r.id)
    await this.trainHere({ workers, runIds: ids, signal: q.signal }, onEvent)
    await this.awaitRunsElsewhere(ids, onEvent, q.signal)
    return { sweep, runs: await this.store.listRuns({ sweep }) }
  }

  /**
   * A workbench (`serve`, the app) beside this command may have claimed some of its runs first:
   * they train there. Says so, and waits until they finish, so the command's answer (and exit
   * code) is about finished runs. Ctrl-C (`signal`) asks that process to cancel them.
   */
  private async awaitRunsElsewhere(
    ids: number[],
    onEvent: (e: ProgressEvent) => void,
    signal?: AbortSignal
  ): Promise<void> {
    const told = new Set<number>()
    const cancelAsked = new Set<number>()
    let giveUpAt = Infinity
    for (;;) {
      const open = (await this.store.listQueue()).filter((r) => ids.includes(r.id))
      if (open.length === 0 || Date.now() > giveUpAt) break
      // Put back in the queue there (that workbench closed): it trains here after all.
      if (!signal?.aborted && open.some((r) => r.status === 'queued')) {
        await this.trainHere({ workers: 1, runIds: ids, signal }, onEvent)
        continue
      }
      for (const r of open) {
        if (r.status === 'running' && !told.has(r.id)) {
          told.add(r.id)
          const owner = (await this.store.getRun(r.id))?.owner ?? 'unknown'
          const at = owner.lastIndexOf(':')
          onEvent({
            type: 'status',
            runId: r.id,
            status: 'running',
            message: `another VAE Lab process, pid ${owner.slice(at + 1)} on ${owner.slice(0, at)}; this command waits for it`
          })
        }
        if (signal?.aborted && !cancelAsked.has(r.id)) {
          cancelAsked.add(r.id)
          await this.store.requestCancel(r.id)
          // Where it trains, a run stops within a second of the request; do not wait forever.
          giveUpAt = Math.min(giveUpAt, Date.now() + 10_000)
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 500))
    }
    for (const id of told) {
      const run = await this.store.getRun(id)
      if (run)
        onEvent({
          type: 'status',
          runId: id,
          status: run.status,
          message: run.message ?? undefined
        })
    }
  }

  /** Trains whatever is queued (by priority, then age) until the queue is empty; returns the runs trained. */
  async trainQueued(
    onEvent: (e: ProgressEvent) => void = () => {},
    q: QueueRequest = {}
  ): Promise<RunSummary[]> {
    const workers = validate(WorkersSchema, q.workers ?? defaultWorkers(), 'workers')
    await this.ready()
    const ids = await this.trainHere({ workers, signal: q.signal, onAbort: q.onAbort }, onEvent)
    const done = new Set(ids)
    return (await this.store.listRuns()).filter((r) => done.has(r.id))
  }

  /** Continues an interrupted, cancelled or failed run from its latest checkpoint, here and now. */
  async resumeHere(
    runId: number,
    onEvent: (e: ProgressEvent) => void = () => {},
    q: QueueRequest = {}
  ): Promise<RunSummary> {
    const id = validate(RunIdSchema, runId, 'runId')
    await this.ready()
    await this.store.requeueForResume(id)
    await this.trainHere({ workers: 1, runIds: [id], signal: q.signal }, onEvent)
    await this.awaitRunsElsewhere([id], onEvent, q.signal)
    return (await this.store.listRuns()).find((r) => r.id === id) as RunSummary
  }

  /**
   * `vae-lab worker`: claims runs (of `sweep`, or any) under a lease until nothing is left to
   * claim for `idleExitSeconds`, `maxRuns` were claimed, or `signal` stops it (its run then goes
   * back to the queue with its finished epochs).
   */
  async work(
    options: WorkerOptions,
    onEvent: (e: WorkerEvent) => void = () => {}
  ): Promise<WorkerReport> {
    await this.ready()
    return runWorker({ store: this.store, dataset: (name) => this.dataset(name), onEvent }, options)
  }

  /** `runs pull --from URI`: copies the finished runs of another store into this one. */
  async pullRuns(
    from: string,
    filter: RunFilter = {},
    onRun?: (sourceId: number, outcome: string) => void
  ): Promise<TransferReport> {
    await this.ready()
    const source = await openRunStore(from)
    try {
      return await copyRuns(source, this.store, filter, onRun)
    } finally {
      await source.close()
    }
  }

  /** `runs push --to URI`: copies this store's finished runs into another one. */
  async pushRuns(
    to: string,
    filter: RunFilter = {},
    onRun?: (sourceId: number, outcome: string) => void
  ): Promise<TransferReport> {
    await this.ready()
    const target = await openRunStore(to)
    try {
      return await copyRuns(this.store, target, filter, onRun)
    } finally {
      await target.close()
    }
  }

  /** `vae-lab slurm submit`: the sweep as a job array of workers on this (PostgreSQL) store. */
  async slurmSubmit(input: SlurmSubmitInput) {
    await this.ready()
    return submitSlurm(this.store, input)
  }

  /** `vae-lab slurm status`: the array's tasks beside the runs they hold. */
  async slurmStatus(filter: { job?: string; sweep?: string }): Promise<SlurmStatus> {
    await this.ready()
    return slurmStatus(this.store, filter)
  }

  /** Every claim of a run: who trained which epochs, how each ended (`runs show`). */
  async attempts(runId: number) {
    await this.ready()
    return this.store.attempts(validate(RunIdSchema, runId, 'runId'))
  }

  /**
   * What `runs show` adds for issue 17: the epochs that have figure data, and the KL per latent
   * dim (the final evaluation's, else the latest epoch's, else computed from the weights of a run
   * stored before it was recorded; null without weights).
   */
  async figureSummary(
    runId: number
  ): Promise<{ figureEpochs: number[]; klPerDim: number[] | null }> {
    await this.ready()
    const run = await this.store.requireRun(validate(RunIdSchema, runId, 'runId'))
    const figureEpochs = await this.store.figureEpochs(run.id)
    const final = (await this.store.evaluations(run.id)).final as FinalEvaluation | undefined
    let klPerDim = final?.klPerDim ?? null
    if (!klPerDim && figureEpochs.length) {
      const rows = await this.store.epochFigures(run.id, figureEpochs.at(-1)!, ['klperdim'])
      klPerDim = decodeEpochFigures(rows).klPerDim ?? null
    }
    if (
      !klPerDim &&
      ((await this.store.checkpoint(run.id, 'latest')) ??
        (await this.store.checkpoint(run.id, 'final')))
    )
      klPerDim = await klFromWeights(this.store, run)
    return { figureEpochs, klPerDim }
  }

  /** Running, then queued runs, in the order the queue takes them. */
  async queue(): Promise<RunSummary[]> {
    await this.ready()
    return this.store.listQueue()
  }

  /** Figures of runs written here (the CLI's `export`, with progress), not in a worker. */
  async exportHere(
    input: unknown,
    onProgress?: (p: ExportProgress) => void
  ): Promise<ExportResult> {
    await this.ready()
    // Loaded here, not with the service: its renderers (echarts, pdfkit, resvg, UMAP) are a third
    // of the start-up of every other command (`train` among them).
    const { exportFigures } = await import('./exportService')
    return exportFigures(this.store, input, onProgress)
  }

  /**
   * SQLite's integrity check of the store's file (`vae-lab db check`). Damage bad enough that the
   * check itself (or counting the runs) fails is a finding too, not an error.
   */
  async checkDatabase(): Promise<{
    file: string
    ok: boolean
    problems: string[]
    runs: number | null
  }> {
    // Marking dead processes' runs interrupted is not needed to check the file, and may be what fails.
    await this.ready().catch(() => {})
    const m = this.fileMaintenance('db check')
    const damage = (e: unknown): string[] => {
      if (e instanceof VaeLabError && e.code === 'DATABASE_DAMAGED') return [e.message]
      throw e
    }
    const problems = await m.integrityCheck().then((rows) => rows.filter((p) => p !== 'ok'), damage)
    const runs = await this.store.countRuns().catch((e: unknown) => {
      problems.push(...damage(e))
      return null
    })
    return { file: m.file, ok: problems.length === 0, problems: [...new Set(problems)], runs }
  }

  /** A consistent copy of the store's file at `file` (`vae-lab db backup`). */
  async backupDatabase(file: string, overwrite = false): Promise<void> {
    await this.ready()
    await this.fileMaintenance('db backup').backupTo(file, overwrite)
  }

  private fileMaintenance(command: string): FileMaintenance {
    if (!this.store.maintenance)
      throw new VaeLabError(
        'INVALID_INPUT',
        `\`vae-lab ${command}\` works on SQLite files; ${this.store.location} is not one (use the server's own tools)`
      )
    return this.store.maintenance
  }

  /** The k-sample IWAE bound of a finished run on its test set, stored with the run. */
  async evaluateIwae(input: unknown): Promise<IwaeReport> {
    const req = validate(IwaeRequestSchema, input)
    await this.ready()
    return evaluateRunIwae(this.store, req)
  }
}
