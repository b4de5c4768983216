// The warm pool of training workers (issue 14): each worker thread loads tfjs and its backend once
// and trains run after run, so a run no longer pays a thread's start-up, and each dataset is
// decoded once per process into shared memory that every worker reads. The CLI's `train` and
// `queue run`, `vae-lab worker` and the workbench's background queue all train through the one
// pool of their process (trainingPool()). The pool also tells its workers how many cores a run
// may use (threadPlan.ts): the cores divided by the runs training at once, as they start and end.
import { Worker } from 'node:worker_threads'
import type { BackendName, DatasetInfo, EpochMetrics } from '../../common/contract'
import { availableCores, threadBudget } from '../backend/threadPlan'
import type { Dataset } from '../data/dataset'
import { datasetKey } from '../data/sharedDataset'
import { compiledScript } from '../compiledScript'
import { isVaeLabError, VaeLabError } from '../../common/errors'
import { LeaseLostError } from '../store/runLifecycle'
import type { BatchProgress } from './trainer'
import {
  CANCEL,
  type JobEnd,
  type ParentMessage,
  type PoolRequest,
  type PoolWorkerData,
  type StoreRequest,
  type TrainJob,
  type TrainSummary,
  type WorkerMessage
} from './workerProtocol'

export interface WorkerHandlers {
  onReady?(backend: BackendName, detail: string): void
  onBatch?(p: BatchProgress): void
  onEpoch?(metrics: EpochMetrics): void
  /** Makes a write the worker asks for (TrainJob.writer 'parent'); the worker waits for it. */
  onStore?(request: StoreRequest): Promise<void>
}

export interface TrainingHandle {
  done: Promise<TrainSummary>
  /** Stops at the next batch: the epoch in progress is not kept. */
  cancel(): void
  /** Stops once the epoch in progress is stored (a cancel() later still stops at once). */
  stopAtEpochEnd(): void
  /** Ends the worker at once (done rejects; the pool replaces it): for one that ignores cancel. */
  terminate(): void
}

export interface PoolOptions {
  /** Idle workers kept warm (default: one per core). */
  maxIdle?: number
  /** An idle worker ends after this long without work (default 300 s). */
  idleSeconds?: number
  /** Cores the thread budget divides among the runs in training (default: this process's). */
  cores?: number
  /** Datasets kept decoded (default 2: MNIST is 55 MB). */
  maxDatasets?: number
  /** Every worker trains one run and ends (VAE_LAB_POOL=0): the old one-shot workers. */
  oneShot?: boolean
}

/** One job as the pool saw it: when it was asked for, began its first step, ended (ms since the epoch). */
export interface JobRecord {
  runId: number
  worker: number
  /** This worker's jobs before this one: 0 for a job that paid the worker's start-up. */
  reuse: number
  requestedAt: number
  /** When this job's worker became free for it (its previous job ended), or null if it was new. */
  freeAt: number | null
  firstStepAt: number | null
  endedAt: number | null
  end?: JobEnd
}

export interface PoolStats {
  workers: number
  idle: number
  training: number
  spawned: number
  /** Workers retired for failing, not being clean after a run, or dying. */
  replaced: number
  datasetLoads: number
  /** Threads one run may use now. */
  threadBudget: number
}

/** A dataset's decode failed because the worker decoding it ended, not because of its files. */
class LoaderGoneError extends VaeLabError {
  constructor(message: string) {
    super('INTERNAL', message)
  }
}

const SETTLE_WATCHDOG_MS = 30_000 // a worker that never reports after its run was abandoned
const JOB_HISTORY = 200

type Job = {
  record: JobRecord
  dispatch(m: WorkerMessage): void
  crash(e: Error): void
}

class PoolWorker {
  readonly thread: Worker
  backend: BackendName | null = null
  state: 'idle' | 'busy' | 'retired' = 'idle'
  jobs = 0
  freeAt: number | null = null
  job: Job | null = null
  private idleTimer: ReturnType<typeof setTimeout> | undefined
  private loads = new Map<
    number,
    (m: Extract<WorkerMessage, { type: 'dataset' }> | { gone: Error }) => void
  >()
  private nextLoad = 0

  constructor(
    readonly id: number,
    data: PoolWorkerData,
    private readonly onGone: (w: PoolWorker, e?: Error) => void
  ) {
    this.thread = new Worker(compiledScript('core/train/worker.js'), { workerData: data })
    this.thread.unref()
    this.thread.on('message', (m: WorkerMessage) => {
      if (m.type === 'dataset') {
        this.loads.get(m.id)?.(m)
        this.loads.delete(m.id)
        return
      }
      if (this.job) return this.job.dispatch(m)
      // An error with no job: the thread is in a state no run can trust.
      if (m.type === 'error') this.retire()
    })
    let exited = false
    const gone = (e?: Error) => {
      if (exited) return
      exited = true
      this.state = 'retired'
      clearTimeout(this.idleTimer)
      const error = e ?? new Error('the training worker exited')
      for (const resolve of this.loads.values()) resolve({ gone: error })
      this.loads.clear()
      this.onGone(this, e)
    }
    this.thread.on('error', (e) => gone(e))
    this.thread.on('exit', () => gone())
  }

  post(m: PoolRequest | ParentMessage) {
    if (this.state !== 'retired') this.thread.postMessage(m)
  }

  /** Decodes a dataset into shared memory on this worker's thread (the main thread stays free). */
  load(dataset: DatasetInfo): Promise<Dataset> {
    const id = ++this.nextLoad
    return new Promise((resolve, reject) => {
      this.loads.set(id, (m) =>
        'gone' in m
          ? reject(new LoaderGoneError(`the worker decoding the dataset ended: ${m.gone.message}`))
          : m.data
            ? resolve(m.data)
            : reject(new VaeLabError(m.error?.code ?? 'INTERNAL', m.error?.message ?? 'no dataset'))
      )
      this.post({ type: 'load', id, dataset })
    })
  }

  busy() {
    clearTimeout(this.idleTimer)
    this.state = 'busy'
    this.thread.ref() // a run in training keeps the process alive; an idle worker does not
  }

  idle(idleMs: number) {
    this.state = 'idle'
    this.job = null
    this.freeAt = Date.now()
    this.thread.unref()
    this.idleTimer = setTimeout(() => this.retire(), idleMs)
    this.idleTimer.unref()
  }

  retire() {
    if (this.state === 'retired') return
    this.state = 'retired'
    clearTimeout(this.idleTimer)
    void this.thread.terminate()
  }
}

export class TrainingPool {
  private readonly workers = new Set<PoolWorker>()
  private readonly datasets = new Map<string, Promise<Dataset>>()
  private readonly budget = new Int32Array(new SharedArrayBuffer(4))
  private readonly history: JobRecord[] = []
  private training = 0
  private nextId = 0
  private spawned = 0
  private replaced = 0
  private datasetLoads = 0
  private readonly o: Required<PoolOptions>

  constructor(options: PoolOptions = {}) {
    this.o = {
      maxIdle: options.maxIdle ?? availableCores(),
      idleSeconds: options.idleSeconds ?? 300,
      cores: options.cores ?? availableCores(),
      maxDatasets: options.maxDatasets ?? 2,
      oneShot: options.oneShot ?? false
    }
    this.setBudget()
  }

  /**
   * Starts workers (tfjs loaded, no backend yet) until `n` are warm or training. With `preload`,
   * the first of them also decodes that dataset into shared memory while it waits, so a command
   * that is about to train on it finds it decoded (its runs' dataFor() share the same load).
   */
  warm(n: number, preload?: DatasetInfo): void {
    if (this.o.oneShot) return
    const live = [...this.workers].filter((w) => w.state !== 'retired').length
    for (let i = live; i < Math.min(n, this.o.maxIdle + this.training); i++) {
      const worker = this.spawn()
      worker.idle(this.idleMs)
      // A failed preload is not an error: the run's own load reports what is wrong.
      if (preload && i === live) this.dataFor(worker, preload).catch(() => {})
    }
  }

  /** Trains a job on a warm worker of its backend (a new one if none is free). */
  start(job: Omit<TrainJob, 'cancelFlag' | 'data'>, handlers: WorkerHandlers = {}): TrainingHandle {
    const cancelFlag = new SharedArrayBuffer(4)
    const flag = new Int32Array(cancelFlag)
    const worker = this.take(job.backend)
    const record: JobRecord = {
      runId: job.runId,
      worker: worker.id,
      reuse: worker.jobs,
      requestedAt: Date.now(),
      freeAt: worker.freeAt,
      firstStepAt: null,
      endedAt: null
    }
    worker.jobs++
    this.remember(record)
    this.training++
    this.setBudget()
    let settled = false
    let ended = false
    let watchdog: ReturnType<typeof setTimeout> | undefined
    const answer = (m: ParentMessage) => worker.post(m)
    const store = (id: number, request: StoreRequest) => {
      // After the caller gave the run up, nothing more of it is written: the worker hears so and
      // stops there.
      const write = settled
        ? Promise.reject(new VaeLabError('INTERNAL', 'the run was stopped'))
        : handlers.onStore
          ? handlers.onStore(request)
          : Promise.reject(
              new VaeLabError('INTERNAL', 'this training worker has no store to write to')
            )
      write.then(
        () => answer({ type: 'stored', id }),
        (e: unknown) =>
          answer({
            type: 'stored',
            id,
            error: {
              code: isVaeLabError(e) ? e.code : 'INTERNAL',
              message: e instanceof Error ? e.message : String(e),
              leaseLost: e instanceof LeaseLostError
            }
          })
      )
    }
    // The job is over for the worker: it is free again (or replaced), whatever the caller heard.
    const finish = (end?: JobEnd) => {
      if (ended) return
      ended = true
      clearTimeout(watchdog)
      record.endedAt = Date.now()
      record.end = end
      record.firstStepAt = end?.firstStepAt ?? null
      this.training--
      this.setBudget()
      worker.job = null
      if (worker.state === 'retired') return
      if (end?.clean && !this.o.oneShot && this.idleCount() < this.o.maxIdle)
        return worker.idle(this.idleMs)
      if (!end?.clean) this.replaced++
      worker.retire()
    }
    const done = new Promise<TrainSummary>((resolve, reject) => {
      const settle = (f: () => void) => {
        if (settled) return
        settled = true
        f()
        // Abandoned by its caller before it ended (a handler threw): it has a batch to stop in.
        if (!ended)
          watchdog = setTimeout(() => {
            this.replaced++
            worker.retire()
            finish()
          }, SETTLE_WATCHDOG_MS).unref()
      }
      const dispatch = (m: WorkerMessage) => {
        switch (m.type) {
          case 'ready':
            return handlers.onReady?.(m.backend, m.detail)
          case 'batch':
            return handlers.onBatch?.(m)
          case 'epoch':
            return handlers.onEpoch?.(m.metrics)
          case 'store':
            return store(m.id, m.request)
          case 'done':
            finish(m.end)
            return settle(() => resolve(m.outcome))
          case 'error':
            finish(m.end)
            return settle(() =>
              reject(
                m.leaseLost ? new LeaseLostError(job.runId) : new VaeLabError(m.code, m.message)
              )
            )
        }
      }
      worker.job = {
        record,
        dispatch: (m) => {
          // Once the caller gave the run up, only its end matters (and its writes are refused).
          if (settled && m.type !== 'done' && m.type !== 'error' && m.type !== 'store') return
          // A handler that throws (say, the database is locked past its timeout) must end this
          // run, not the process that listens.
          try {
            dispatch(m)
          } catch (e) {
            Atomics.store(flag, 0, CANCEL.NOW)
            const message = e instanceof Error ? e.message : String(e)
            settle(() =>
              reject(
                e instanceof VaeLabError ? e : new VaeLabError('INTERNAL', message, { cause: e })
              )
            )
          }
        },
        crash: (e) => {
          finish()
          settle(() => reject(e))
        }
      }
      this.dataFor(worker, job.dataset).then(
        (data) => worker.post({ type: 'train', job: { ...job, cancelFlag, data } }),
        (e: unknown) => {
          // The worker is fine; the dataset is not (a file gone or damaged since it was imported).
          finish({
            clean: true,
            memory: emptyMemory(),
            firstStepAt: null,
            sharedData: false,
            threads: 1
          })
          settle(() => reject(e))
        }
      )
    })
    return {
      done,
      cancel: () => Atomics.store(flag, 0, CANCEL.NOW),
      stopAtEpochEnd: () => {
        Atomics.compareExchange(flag, 0, CANCEL.RUN, CANCEL.AT_EPOCH_END)
      },
      terminate: () => {
        if (ended) return
        this.replaced++
        worker.retire()
        worker.job?.crash(new VaeLabError('INTERNAL', 'the training worker was terminated'))
      }
    }
  }

  /** The last jobs, oldest first (benchmarks and tests read start-up and reuse from them). */
  jobs(): JobRecord[] {
    return [...this.history]
  }

  stats(): PoolStats {
    const live = [...this.workers].filter((w) => w.state !== 'retired')
    return {
      workers: live.length,
      idle: live.filter((w) => w.state === 'idle').length,
      training: this.training,
      spawned: this.spawned,
      replaced: this.replaced,
      datasetLoads: this.datasetLoads,
      threadBudget: Atomics.load(this.budget, 0)
    }
  }

  /** Ends every worker (tests; a process ends them by exiting). */
  async close(): Promise<void> {
    const all = [...this.workers]
    for (const w of all) w.retire()
    await Promise.all(all.map((w) => new Promise((r) => w.thread.once('exit', r))))
  }

  private get idleMs() {
    return this.o.idleSeconds * 1000
  }

  private idleCount() {
    return [...this.workers].filter((w) => w.state === 'idle').length
  }

  private setBudget() {
    Atomics.store(this.budget, 0, threadBudget(this.o.cores, this.training))
  }

  private remember(r: JobRecord) {
    this.history.push(r)
    if (this.history.length > JOB_HISTORY) this.history.shift()
  }

  /** An idle worker of this backend, else a fresh one (making room among the idle ones). */
  private take(backend: BackendName): PoolWorker {
    const idle = [...this.workers].filter((w) => w.state === 'idle')
    let worker = idle.find((w) => w.backend === backend) ?? idle.find((w) => w.backend === null)
    if (!worker) {
      // Warm workers of other backends: the oldest gives its place up.
      if (idle.length >= this.o.maxIdle) idle[0]?.retire()
      worker = this.spawn()
    }
    worker.backend = backend
    worker.busy()
    return worker
  }

  private spawn(): PoolWorker {
    const w = new PoolWorker(
      ++this.nextId,
      { threadBudget: this.budget.buffer as SharedArrayBuffer },
      (gone, e) => {
        this.workers.delete(gone)
        if (gone.job) {
          this.replaced++
          gone.job.crash(
            new VaeLabError(
              'INTERNAL',
              e
                ? `training worker crashed: ${e.message}`
                : 'training worker exited before finishing',
              { cause: e }
            )
          )
        }
      }
    )
    this.spawned++
    this.workers.add(w)
    return w
  }

  /**
   * The job's dataset, decoded once per process (on the worker that first needs it). If that
   * worker ends while decoding (it crashed, or its own run was terminated), the jobs waiting for
   * the dataset decode it again on their own workers instead of failing with it.
   */
  private async dataFor(worker: PoolWorker, info: DatasetInfo): Promise<Dataset> {
    const key = await datasetKey(info)
    for (;;) {
      let data = this.datasets.get(key)
      if (!data) {
        this.datasetLoads++
        const loading = worker.load(info)
        data = loading
        this.datasets.set(key, loading)
        loading.catch(() => {
          if (this.datasets.get(key) === loading) this.datasets.delete(key)
        })
        // Least recently added first out; workers that hold an evicted set keep it until they end.
        while (this.datasets.size > this.o.maxDatasets)
          this.datasets.delete(this.datasets.keys().next().value as string)
      } else {
        // Most recently used last.
        this.datasets.delete(key)
        this.datasets.set(key, data)
      }
      try {
        return await data
      } catch (e) {
        if (!(e instanceof LoaderGoneError) || worker.state === 'retired') throw e
      }
    }
  }
}

function emptyMemory() {
  return { numTensors: 0, wasmHeapBytes: null, rssBytes: 0, heapUsedBytes: 0 }
}

let pool: TrainingPool | undefined

/** This process's pool (VAE_LAB_POOL=0: one-shot workers, as before the pool). */
export function trainingPool(): TrainingPool {
  pool ??= new TrainingPool({ oneShot: process.env.VAE_LAB_POOL === '0' })
  return pool
}
