// Main-thread side of a training worker: starts it, relays its events and the writes it asks
// for, cancels it, and turns a crash of the worker into a failed outcome instead of a hung promise.
import { Worker } from 'node:worker_threads'
import type { BackendName, EpochMetrics } from '../../common/contract'
import { compiledScript } from '../compiledScript'
import { isVaeLabError, VaeLabError } from '../../common/errors'
import { LeaseLostError } from '../store/runLifecycle'
import type { BatchProgress } from './trainer'
import {
  CANCEL,
  type ParentMessage,
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
  /** Stops the worker at once (done rejects); for a worker that did not heed cancel in time. */
  terminate(): void
}

export function startTraining(
  job: Omit<TrainJob, 'cancelFlag'>,
  handlers: WorkerHandlers = {}
): TrainingHandle {
  const cancelFlag = new SharedArrayBuffer(4)
  const flag = new Int32Array(cancelFlag)
  const worker = new Worker(compiledScript('core/train/worker.js'), {
    workerData: { ...job, cancelFlag } satisfies TrainJob
  })
  let settled = false
  const answer = (m: ParentMessage) => {
    if (!settled) worker.postMessage(m)
  }
  const store = (id: number, request: StoreRequest) => {
    const write = handlers.onStore
      ? handlers.onStore(request)
      : Promise.reject(new VaeLabError('INTERNAL', 'this training worker has no store to write to'))
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
  const done = new Promise<TrainSummary>((resolve, reject) => {
    const settle = (f: () => void) => {
      if (settled) return
      settled = true
      f()
      void worker.terminate()
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
          return settle(() => resolve(m.outcome))
        case 'error':
          return settle(() =>
            reject(m.leaseLost ? new LeaseLostError(job.runId) : new VaeLabError(m.code, m.message))
          )
      }
    }
    worker.on('message', (m: WorkerMessage) => {
      // A handler that throws (say, the database is locked past its timeout) must end this run,
      // not the process that listens.
      try {
        dispatch(m)
      } catch (e) {
        Atomics.store(flag, 0, CANCEL.NOW)
        const message = e instanceof Error ? e.message : String(e)
        settle(() =>
          reject(e instanceof VaeLabError ? e : new VaeLabError('INTERNAL', message, { cause: e }))
        )
      }
    })
    worker.on('error', (e) =>
      settle(() =>
        reject(new VaeLabError('INTERNAL', `training worker crashed: ${e.message}`, { cause: e }))
      )
    )
    worker.on('exit', (code) =>
      settle(() =>
        reject(
          new VaeLabError('INTERNAL', `training worker exited with code ${code} before finishing`)
        )
      )
    )
  })
  return {
    done,
    cancel: () => Atomics.store(flag, 0, CANCEL.NOW),
    stopAtEpochEnd: () => {
      Atomics.compareExchange(flag, 0, CANCEL.RUN, CANCEL.AT_EPOCH_END)
    },
    terminate: () => void worker.terminate()
  }
}
