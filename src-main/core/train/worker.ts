// worker_threads entry: one training run per worker, its own tf instance and backend.
// The main thread owns the database; this thread only posts events (design.md section 3).
import { parentPort, workerData } from 'node:worker_threads'
import { initBackend } from '../backend/backends'
import { loadDataset } from '../data/dataset'
import { isVaeLabError } from '../errors'
import { trainVae } from './trainer'
import type { TrainJob, WorkerMessage } from './workerProtocol'

const PROGRESS_INTERVAL_MS = 200 // a sensible event rate for progress bars and the UI

function post(message: WorkerMessage, transfer: ArrayBuffer[] = []) {
  parentPort?.postMessage(message, transfer)
}

function fail(e: unknown) {
  post(
    isVaeLabError(e)
      ? { type: 'error', code: e.code, message: e.message }
      : { type: 'error', code: 'INTERNAL', message: e instanceof Error ? (e.stack ?? e.message) : String(e) }
  )
}

// The wasm runtime installs listeners that re-throw (pitfalls.md §1); report instead.
process.on('uncaughtException', fail)
process.on('unhandledRejection', fail)

async function run(job: TrainJob) {
  const cancel = new Int32Array(job.cancelFlag)
  const backend = await initBackend(job.backend)
  post({ type: 'ready', backend: backend.name, detail: backend.detail })
  const data = loadDataset(job.dataset)
  let lastProgress = 0
  const outcome = await trainVae(job.config, data, backend, {
    isCancelled: () => Atomics.load(cancel, 0) === 1,
    onBatch: (p) => {
      const t = performance.now()
      if (t - lastProgress >= PROGRESS_INTERVAL_MS || p.batch === p.batches) {
        lastProgress = t
        post({ type: 'batch', ...p })
      }
    },
    // The checkpoint travels with its epoch so the main thread stores both in one transaction.
    onEpoch: (metrics, checkpoint) => post({ type: 'epoch', metrics, checkpoint }, [checkpoint.buffer as ArrayBuffer])
  }, job.resume)
  post({ type: 'done', outcome })
}

run(workerData as TrainJob).catch(fail)
