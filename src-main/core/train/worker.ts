// worker_threads entry: one training run per worker, its own tf instance and backend.
// It stores its own run's epochs, checkpoints and results (on its own connection for SQLite, or
// through the main thread for PostgreSQL: TrainJob.writer), each write fenced by the run's lease,
// and posts progress to the main thread, which owns the rest of the database.
import { parentPort, workerData } from 'node:worker_threads'
import type { EpochMetrics } from '../../common/contract'
import { initBackend } from '../backend/backends'
import { loadDataset } from '../data/dataset'
import { isVaeLabError, VaeLabError } from '../../common/errors'
import { openRunStore } from '../store/openRunStore'
import { LeaseLostError } from '../store/runLifecycle'
import type { EncodedFigure, RunResults } from '../store/runStore'
import { encodeEpochFigures } from '../figures/epochFigureCodec'
import { trainVae } from './trainer'
import {
  CANCEL,
  type ParentMessage,
  type StoreRequest,
  type TrainJob,
  type WorkerMessage
} from './workerProtocol'

const PROGRESS_INTERVAL_MS = 200 // a sensible event rate for progress bars and the UI

function post(message: WorkerMessage, transfer: ArrayBuffer[] = []) {
  parentPort?.postMessage(message, transfer)
}

function fail(e: unknown) {
  post(
    isVaeLabError(e)
      ? { type: 'error', code: e.code, message: e.message, leaseLost: e instanceof LeaseLostError }
      : {
          type: 'error',
          code: 'INTERNAL',
          message: e instanceof Error ? (e.stack ?? e.message) : String(e)
        }
  )
}

// The wasm runtime installs listeners that re-throw (pitfalls.md §1); report instead.
process.on('uncaughtException', fail)
process.on('unhandledRejection', fail)

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

/**
 * Asks the main thread to write (PostgreSQL: one connection a process). The write of an epoch goes
 * on while the next epoch trains: training waits only if the previous write has not finished when
 * the next epoch ends, and a failed write (the lease lost, the server gone) stops the run there.
 * The results wait for every write before them, so a run is never given back ahead of its epochs.
 */
function throughParent(runId: number): EpochSink {
  let next = 0
  const waiting = new Map<number, { resolve(): void; reject(e: Error): void }>()
  parentPort?.on('message', (m: ParentMessage) => {
    const w = waiting.get(m.id)
    if (!w) return
    waiting.delete(m.id)
    if (!m.error) return w.resolve()
    w.reject(
      m.error.leaseLost ? new LeaseLostError(runId) : new VaeLabError(m.error.code, m.error.message)
    )
  })
  const ask = (request: StoreRequest, transfer: ArrayBuffer[] = []) =>
    new Promise<void>((resolve, reject) => {
      const id = ++next
      waiting.set(id, { resolve, reject })
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

async function run(job: TrainJob) {
  const cancel = new Int32Array(job.cancelFlag)
  const sink = job.writer === 'parent' ? throughParent(job.runId) : await ownConnection(job)
  const backend = await initBackend(job.backend)
  post({ type: 'ready', backend: backend.name, detail: backend.detail })
  const data = loadDataset(job.dataset)
  let lastProgress = 0
  // Between the last batch of an epoch and the first of the next: where AT_EPOCH_END stops.
  let atEpochStart = true
  const outcome = await trainVae(
    job.config,
    data,
    backend,
    {
      isCancelled: () => {
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
  await sink.close()
  const { status, message, epochsDone, imgPerSec } = outcome
  post({ type: 'done', outcome: { status, message, epochsDone, imgPerSec } })
}

run(workerData as TrainJob).catch(fail)
