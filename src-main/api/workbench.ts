// The workbench behind the UI: implements VaeLabApi over the service, works the queue in the
// background (queued runs continue when the app starts), and fans progress out to subscribers.
// Electron IPC and the HTTP server call `invoke`, which validates arguments before dispatching.
import { readImageSet } from '../core/data/dataset'
import { isVaeLabError, VaeLabError } from '../common/errors'
import type { RunStore } from '../core/store/runStore'
import type { BackendChoice, ProgressEvent, RunStatus } from '../common/contract'
import type { ExportResult } from '../common/exportContract'
import { runFigureJob } from './figureJobs'
import { backendReports, defaultWorkers, VaeLabService, type SweepGrid } from './service'
import { selectBackend } from '../core/backend/backends'
import {
  API_ARGS,
  type ApiAnswer,
  type ApiMethod,
  type FigureBundle,
  type QueueStatus,
  type RunDetailsDto,
  type VaeLabApi,
  type WorkbenchEvent
} from '../common/workbenchContract'

const WATCH_MS = 2000
const RETRY_MS = 5000
const STOP_GRACE_MS = 15_000

export class Workbench implements VaeLabApi {
  private readonly service: VaeLabService
  private readonly listeners = new Set<(e: WorkbenchEvent) => void>()
  private readonly slots = new Set<Promise<unknown>>()
  private watch: ReturnType<typeof setInterval> | undefined
  private bundleJob: AbortController | undefined
  private retryAfter = 0
  private readonly abort = new AbortController()

  constructor(
    private readonly store: RunStore,
    readonly workers = defaultWorkers()
  ) {
    this.service = new VaeLabService(store)
  }

  /**
   * Starts working whatever was left queued, and watches the database: runs queued by another
   * process (a CLI with --detach) start here too, and the UI hears of changes made elsewhere.
   */
  start(): void {
    this.kick()
    let seen = this.store.dataVersion()
    this.watch = setInterval(() => {
      try {
        const version = this.store.dataVersion()
        if (version !== seen) {
          seen = version
          this.emit({ type: 'runs-changed' })
        }
        if (Date.now() >= this.retryAfter) this.kick()
      } catch (e) {
        console.error('vae-lab: cannot read the run database:', e)
      }
    }, WATCH_MS)
  }

  /**
   * Stops claiming runs; runs in training go back to the front of the queue (they continue from
   * their checkpoint at the next start). A worker that does not stop within the grace period is
   * left to the process exit, and the next start marks its run interrupted.
   */
  async stop(): Promise<void> {
    clearInterval(this.watch)
    this.abort.abort()
    await Promise.race([
      Promise.all(this.slots),
      new Promise((resolve) => setTimeout(resolve, STOP_GRACE_MS).unref())
    ])
  }

  subscribe(listener: (e: WorkbenchEvent) => void): () => void {
    this.listeners.add(listener)
    return () => this.listeners.delete(listener)
  }

  private emit(e: WorkbenchEvent) {
    for (const l of this.listeners) l(e)
  }

  /**
   * Fills free worker slots: each slot trains queued runs one after another until none is left, so
   * a sweep queued while others train starts at once on any idle slot.
   */
  private kick() {
    const onEvent = (e: ProgressEvent) => {
      this.emit(e)
      if (e.type === 'status') this.emit({ type: 'runs-changed' })
    }
    while (
      this.slots.size < this.workers &&
      !this.abort.signal.aborted &&
      this.service.hasQueued()
    ) {
      const slot: Promise<unknown> = this.service
        .runQueue(onEvent, { workers: 1, signal: this.abort.signal, onAbort: 'requeue' })
        .then(
          () => this.kick(), // runs queued while this slot was finishing
          (e: unknown) => {
            // Say, the database stayed locked while claiming: try again from the watch timer,
            // not in a tight loop.
            console.error('vae-lab: a queue slot stopped:', e)
            this.retryAfter = Date.now() + RETRY_MS
          }
        )
        .finally(() => this.slots.delete(slot))
      this.slots.add(slot)
    }
  }

  /** Validates `args` against the method's schema, calls it, and answers without throwing. */
  async invoke(method: string, args: unknown): Promise<ApiAnswer<unknown>> {
    try {
      if (!Object.prototype.hasOwnProperty.call(API_ARGS, method)) {
        throw new VaeLabError('NOT_FOUND', `unknown api method "${method}"`)
      }
      const parsed = API_ARGS[method as ApiMethod].safeParse(Array.isArray(args) ? args : [])
      if (!parsed.success) {
        const issue = parsed.error.issues[0]
        throw new VaeLabError(
          'INVALID_INPUT',
          `${method}: ${issue.path.length ? issue.path.join('.') + ': ' : ''}${issue.message}`
        )
      }
      const fn = this[method as ApiMethod] as (...a: unknown[]) => Promise<unknown>
      return { ok: true, value: await fn.apply(this, parsed.data as unknown[]) }
    } catch (e) {
      if (isVaeLabError(e))
        return {
          ok: false,
          error: { code: e.code, message: e.field ? `${e.field}: ${e.message}` : e.message }
        }
      return {
        ok: false,
        error: { code: 'INTERNAL', message: e instanceof Error ? e.message : String(e) }
      }
    }
  }

  async listRuns(filter: { status?: RunStatus; sweep?: string; tag?: string } = {}) {
    return this.service.listRuns(filter)
  }

  async getRun(runId: number): Promise<RunDetailsDto> {
    const { run, metrics, evaluations } = this.service.runDetails(runId)
    const { owner: _owner, ...dto } = run
    return { run: dto, metrics, evaluations }
  }

  async queueSweep(req: {
    base: Record<string, unknown>
    grid: SweepGrid & { latentDim: number[] }
    sweepName?: string
  }) {
    const result = await this.service.queueSweep(req)
    this.emit({ type: 'runs-changed' })
    this.kick()
    return { sweep: result.sweep, runIds: result.runs.map((r) => r.id) }
  }

  async resumeRun(runId: number): Promise<void> {
    this.service.requeueRun(runId)
    this.emit({ type: 'runs-changed' })
    this.kick()
  }

  async cancelRun(runId: number) {
    const what = this.service.cancelRun(runId)
    this.emit({ type: 'runs-changed' })
    return what
  }

  async setPriority(runId: number, priority: number) {
    this.service.prioritizeRun(runId, priority)
    this.emit({ type: 'runs-changed' })
  }

  async deleteRuns(runIds: number[]) {
    this.service.deleteRuns(runIds)
    this.emit({ type: 'runs-changed' })
  }

  async tagRun(runId: number, tag: string) {
    this.service.tagRun(runId, tag)
    this.emit({ type: 'runs-changed' })
  }

  async noteRun(runId: number, note: string) {
    this.service.noteRun(runId, note)
  }

  async renameRun(runId: number, name: string) {
    this.service.renameRun(runId, name)
    this.emit({ type: 'runs-changed' })
  }

  async listDatasets() {
    return this.service.listDatasets()
  }

  async importDataset(req: {
    name: string
    trainImages: string
    trainLabels: string
    testImages: string
    testLabels: string
  }) {
    return this.service.importDataset(req)
  }

  async datasetPreview(name: string, count: number) {
    const info = this.service.dataset(name)
    const test = readImageSet(info.files.testImages, info.files.testLabels)
    const n = Math.min(count, test.count)
    return {
      name,
      labels: Array.from(test.labels.subarray(0, n)),
      images: Array.from(test.images.subarray(0, n * 784))
    }
  }

  async backends() {
    return backendReports()
  }

  async chooseBackend(choice: BackendChoice) {
    const { name, reason } = await selectBackend(choice)
    return { name, reason }
  }

  // Projections, k-NN and renderers take from 0.3 s to seconds: off the event loop.
  // Only the newest Compare request is worth finishing: a UMAP or t-SNE job left running would
  // take a core from training for seconds.
  async figureInputs(req: unknown): Promise<FigureBundle> {
    this.bundleJob?.abort()
    const job = (this.bundleJob = new AbortController())
    return runFigureJob<FigureBundle>(
      { kind: 'bundle', dbFile: this.store.file, request: req },
      job.signal
    )
  }

  async exportFigures(req: Record<string, unknown>): Promise<ExportResult> {
    return runFigureJob<ExportResult>({ kind: 'export', dbFile: this.store.file, request: req })
  }

  async queueStatus(): Promise<QueueStatus> {
    const q = this.service.queue()
    return {
      workers: this.workers,
      running: q.filter((r) => r.status === 'running').map((r) => r.id),
      queued: q.filter((r) => r.status === 'queued').map((r) => r.id)
    }
  }
}
