// worker_threads entry: one training run per worker, its own tf instance and backend.
// It writes its own run's epochs, checkpoints and results on its own connection (WAL), and posts
// progress to the main thread, which owns the rest of the database.
import { parentPort, workerData } from 'node:worker_threads'
import { initBackend } from '../backend/backends'
import { loadDataset } from '../data/dataset'
import { isVaeLabError } from '../../common/errors'
import { openRunStore } from '../store/openRunStore'
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

async function run(job: TrainJob) {
  const cancel = new Int32Array(job.cancelFlag)
  // Its own connection (WAL, busy timeout): the big writes stay off the main thread's event loop.
  const store = await openRunStore(job.storeUri)
  const backend = await initBackend(job.backend)
  post({ type: 'ready', backend: backend.name, detail: backend.detail })
  const data = loadDataset(job.dataset)
  let lastProgress = 0
  const outcome = await trainVae(
    job.config,
    data,
    backend,
    {
      isCancelled: () => Atomics.load(cancel, 0) === 1,
      onBatch: (p) => {
        const t = performance.now()
        if (t - lastProgress >= PROGRESS_INTERVAL_MS || p.batch === p.batches) {
          lastProgress = t
          post({ type: 'batch', ...p })
        }
      },
      onEpoch: async (metrics, tensors) => {
        await store.appendEpoch(job.runId, metrics, {
          kind: 'latest',
          epoch: metrics.epoch,
          tensors
        })
        post({ type: 'epoch', metrics })
      }
    },
    job.resume
  )
  await store.saveResults(job.runId, outcome)
  await store.close()
  const { status, message, epochsDone, imgPerSec } = outcome
  post({ type: 'done', outcome: { status, message, epochsDone, imgPerSec } })
}

run(workerData as TrainJob).catch(fail)
