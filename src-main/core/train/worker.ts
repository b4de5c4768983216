// worker_threads entry of the training pool (trainingPool.ts): a worker loads tfjs and its backend
// once and then trains run after run, one at a time, each with its own cancel flag, lease token
// and writer. It stores its run's epochs, checkpoints and results (on its own connection for
// SQLite, or through the main thread for PostgreSQL: TrainJob.writer), each write fenced by the
// run's lease, and posts progress to the main thread, which owns the rest of the database. After
// each run it disposes what the run left and says whether it is clean; a worker that is not (or
// that saw an exception no run caught) is replaced by the pool.
import fs from 'node:fs'
import { parentPort, workerData } from 'node:worker_threads'
import * as tf from '@tensorflow/tfjs-core'
import type { BackendName, EpochMetrics } from '../../common/contract'
import { initBackend, registerGradients, type ActiveBackend } from '../backend/backends'
import { resetThreadPlan, threadPlanState } from '../backend/threadPlan'
import { loadDataset } from '../data/dataset'
import { isSharedDataset, loadSharedDataset } from '../data/sharedDataset'
import { isVaeLabError, VaeLabError } from '../../common/errors'
import { openRunStore } from '../store/openRunStore'
import { LeaseLostError } from '../store/runLifecycle'
import type { EncodedFigure, RunResults } from '../store/runStore'
import { encodeEpochFigures } from '../figures/epochFigureCodec'
import { trainVae } from './trainer'
import {
  CANCEL,
  type JobEnd,
  type ParentMessage,
  type PoolRequest,
  type PoolWorkerData,
  type StoreRequest,
  type TrainJob,
  type TrainSummary,
  type WorkerMemory,
  type WorkerMessage
} from './workerProtocol'

const PROGRESS_INTERVAL_MS = 200 // a sensible event rate for progress bars and the UI
// Fault injection for the pool's tests: the worker dies (exit 70) as this run's training starts.
const CRASH_AT_RUN = Number(process.env.VAE_LAB_TEST_CRASH_RUN ?? NaN)
const threadBudget = new Int32Array((workerData as PoolWorkerData).threadBudget)
// Every run here trains: the gradients load now, while the worker waits for its first job.
registerGradients()

function post(message: WorkerMessage, transfer: ArrayBuffer[] = []) {
  parentPort?.postMessage(message, transfer)
}

function errorFields(e: unknown) {
  return isVaeLabError(e)
    ? { code: e.code, message: e.message, leaseLost: e instanceof LeaseLostError }
    : {
        code: 'INTERNAL' as const,
        message: e instanceof Error ? (e.stack ?? e.message) : String(e)
      }
}

// --- The run in training, and how it ends -----------------------------------------------------

interface JobState {
  ended: boolean
  firstStepAt: number | null
  sharedData: boolean
}

let current: JobState | null = null
let backend: { name: BackendName; active: ActiveBackend; tensors: number } | null = null

function memory(): WorkerMemory {
  const wasm = (tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } }).wasm
  const usage = process.memoryUsage()
  return {
    numTensors: tf.memory().numTensors,
    wasmHeapBytes: wasm?.HEAPU8 ? wasm.HEAPU8.byteLength : null,
    rssBytes: usage.rss,
    heapUsedBytes: usage.heapUsed
  }
}

/**
 * Frees what a run left behind (a run that threw before its own clean-up, say on a corrupt
 * checkpoint, leaves its variables registered) and says whether the next run finds the worker as
 * the first one did.
 */
function cleanUp(): boolean {
  if (!backend) return true
  tf.disposeVariables()
  return tf.memory().numTensors <= backend.tensors
}

/** The two messages that end a job, before the worker adds how it ends. */
type Ending =
  | Omit<Extract<WorkerMessage, { type: 'done' }>, 'end'>
  | Omit<Extract<WorkerMessage, { type: 'error' }>, 'end'>

function end(state: JobState, message: Ending, clean: boolean) {
  if (state.ended) return
  state.ended = true
  if (current === state) current = null
  const result: JobEnd = {
    clean: clean && cleanUp(),
    memory: memory(),
    firstStepAt: state.firstStepAt,
    sharedData: state.sharedData,
    threads: threadPlanState().threads
  }
  post({ ...message, end: result })
}

/** An exception no run caught: the run in training fails, and the pool replaces this worker. */
function fatal(e: unknown) {
  const state = current ?? { ended: false, firstStepAt: null, sharedData: false }
  end(state, { type: 'error', ...errorFields(e) }, false)
}

// The wasm runtime installs listeners that re-throw (pitfalls.md §1); report instead.
process.on('uncaughtException', fatal)
process.on('unhandledRejection', fatal)

// --- Where a run's epochs are written ---------------------------------------------------------

interface EpochSink {
  /** Stores the epoch, its checkpoint and figures, then tells the main thread (the 'epoch' event). */
  epoch(metrics: EpochMetrics, checkpoint: Uint8Array, figures: EncodedFigure[]): Promise<void>
  results(results: RunResults): Promise<void>
  close(): Promise<void>
}

/** Writes on this thread's own connection (SQLite). */
async function ownConnection(job: TrainJob): Promise<EpochSink> {
  const store = await openRunStore(job.storeUri)
  return {
    epoch: async (metrics, tensors, figures) => {
      await store.appendEpoch(
        job.runId,
        metrics,
        { kind: 'latest', epoch: metrics.epoch, tensors },
        job.leaseToken,
        figures
      )
      post({ type: 'epoch', metrics })
    },
    results: (r) => store.saveResults(job.runId, r, job.leaseToken),
    close: () => store.close()
  }
}

// Answers to store requests, by an id unique over the worker's life: an answer that comes after
// its run ended (it failed while a write was in flight) finds nobody waiting, not the next run.
let nextStoreId = 0
const waiting = new Map<number, { runId: number; resolve(): void; reject(e: Error): void }>()

function answered(m: ParentMessage) {
  const w = waiting.get(m.id)
  if (!w) return
  waiting.delete(m.id)
  if (!m.error) return w.resolve()
  w.reject(
    m.error.leaseLost ? new LeaseLostError(w.runId) : new VaeLabError(m.error.code, m.error.message)
  )
}

/**
 * Asks the main thread to write (PostgreSQL: one connection a process). The write of an epoch goes
 * on while the next epoch trains: training waits only if the previous write has not finished when
 * the next epoch ends, and a failed write (the lease lost, the server gone) stops the run there.
 * The results wait for every write before them, so a run is never given back ahead of its epochs.
 */
function throughParent(runId: number): EpochSink {
  const ask = (request: StoreRequest, transfer: ArrayBuffer[] = []) =>
    new Promise<void>((resolve, reject) => {
      const id = ++nextStoreId
      waiting.set(id, { runId, resolve, reject })
      post({ type: 'store', id, request }, transfer)
    })
  let previous: Promise<void> = Promise.resolve()
  return {
    epoch: async (metrics, checkpoint, figures) => {
      await previous
      // The checkpoint's memory moves to the main thread instead of being copied (~10 MB).
      const whole =
        checkpoint.byteOffset === 0 && checkpoint.byteLength === checkpoint.buffer.byteLength
      const bytes = whole ? checkpoint : checkpoint.slice()
      previous = ask({ op: 'epoch', metrics, checkpoint: bytes, figures }, [
        bytes.buffer as ArrayBuffer
      ]).then(() => post({ type: 'epoch', metrics }))
      previous.catch(() => {}) // it is reported by the next epoch, or by the results
    },
    results: async (results) => {
      await previous
      await ask({ op: 'results', results })
    },
    close: async () => {}
  }
}

/**
 * Holds a run's last epoch back for its results' transaction (RunResults.lastEpoch): that epoch's
 * checkpoint is not written, the final weights are. The other epochs go to `sink` as they end.
 */
function lastEpochWithResults(sink: EpochSink, epochs: number): EpochSink {
  let last: { metrics: EpochMetrics; figures: EncodedFigure[] } | null = null
  return {
    epoch: async (metrics, checkpoint, figures) => {
      if (metrics.epoch < epochs) return sink.epoch(metrics, checkpoint, figures)
      last = { metrics, figures }
    },
    results: async (results) => {
      await sink.results(last ? { ...results, lastEpoch: last } : results)
      if (last) post({ type: 'epoch', metrics: last.metrics })
    },
    close: () => sink.close()
  }
}

// --- One run ----------------------------------------------------------------------------------

/** The job's backend, initialised once per worker (the pool keeps a worker to one backend). */
async function backendFor(name: BackendName): Promise<ActiveBackend> {
  if (backend?.name === name) return backend.active
  const active = await initBackend(name, { threadBudget })
  backend = { name, active, tensors: tf.memory().numTensors }
  return active
}

async function train(job: TrainJob, state: JobState): Promise<TrainSummary> {
  const cancel = new Int32Array(job.cancelFlag)
  const sink = lastEpochWithResults(
    job.writer === 'parent' ? throughParent(job.runId) : await ownConnection(job),
    job.config.epochs
  )
  try {
    const active = await backendFor(job.backend)
    resetThreadPlan()
    post({ type: 'ready', backend: active.name, detail: active.detail })
    const data = job.data ?? loadDataset(job.dataset)
    state.sharedData = isSharedDataset(data)
    let lastProgress = 0
    // Between the last batch of an epoch and the first of the next: where AT_EPOCH_END stops.
    let atEpochStart = true
    const outcome = await trainVae(
      job.config,
      data,
      active,
      {
        isCancelled: () => {
          // Asked before every step: the first ask is when this run's training starts.
          state.firstStepAt ??= performance.timeOrigin + performance.now()
          if (job.runId === CRASH_AT_RUN) process.exit(70)
          const flag = Atomics.load(cancel, 0)
          return flag === CANCEL.NOW || (flag === CANCEL.AT_EPOCH_END && atEpochStart)
        },
        onBatch: (p) => {
          atEpochStart = p.batch === p.batches
          const t = performance.now()
          if (t - lastProgress >= PROGRESS_INTERVAL_MS || p.batch === p.batches) {
            lastProgress = t
            post({ type: 'batch', ...p })
          }
        },
        // The figures are encoded here, in the training thread (deflate: a few ms an epoch).
        onEpoch: (metrics, tensors, figures) =>
          sink.epoch(metrics, tensors, figures ? encodeEpochFigures(figures) : [])
      },
      job.resume
    )
    await sink.results(outcome)
    const { status, message, epochsDone, imgPerSec } = outcome
    return { status, message, epochsDone, imgPerSec }
  } finally {
    await sink.close()
  }
}

async function runJob(job: TrainJob) {
  const state: JobState = { ended: false, firstStepAt: null, sharedData: false }
  current = state
  try {
    const outcome = await train(job, state)
    end(state, { type: 'done', outcome }, true)
  } catch (e) {
    // A GPU that rejected work may keep its device in a bad state: that worker is not reused.
    end(state, { type: 'error', ...errorFields(e) }, backend?.name !== 'webgpu')
  }
}

function loadShared(m: Extract<PoolRequest, { type: 'load' }>) {
  // Fault injection for the pool's tests: the first worker to decode a dataset dies (once).
  const crash = process.env.VAE_LAB_TEST_CRASH_LOAD
  if (crash && fs.existsSync(crash)) {
    fs.rmSync(crash)
    process.exit(70)
  }
  try {
    post({ type: 'dataset', id: m.id, data: loadSharedDataset(m.dataset) })
  } catch (e) {
    const { code, message } = errorFields(e)
    post({ type: 'dataset', id: m.id, error: { code, message } })
  }
}

parentPort?.on('message', (m: PoolRequest | ParentMessage) => {
  switch (m.type) {
    case 'stored':
      return answered(m)
    case 'load':
      return loadShared(m)
    case 'train':
      return void runJob(m.job)
  }
})
