// Main-thread side of a training worker: starts it, relays its events, cancels it, and turns
// a crash of the worker into a failed outcome instead of a hung promise.
import { Worker } from 'node:worker_threads'
import type { BackendName, EpochMetrics } from '../../common/contract'
import { compiledScript } from '../compiledScript'
import { VaeLabError } from '../../common/errors'
import type { BatchProgress } from './trainer'
import type { TrainJob, TrainSummary, WorkerMessage } from './workerProtocol'

export interface WorkerHandlers {
  onReady?(backend: BackendName, detail: string): void
  onBatch?(p: BatchProgress): void
  onEpoch?(metrics: EpochMetrics): void
}

export interface TrainingHandle {
  done: Promise<TrainSummary>
  cancel(): void
}

export function startTraining(
  job: Omit<TrainJob, 'cancelFlag'>,
  handlers: WorkerHandlers = {}
): TrainingHandle {
  const cancelFlag = new SharedArrayBuffer(4)
  const worker = new Worker(compiledScript('core/train/worker.js'), {
    workerData: { ...job, cancelFlag } satisfies TrainJob
  })
  let settled = false
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
        case 'done':
          return settle(() => resolve(m.outcome))
        case 'error':
          return settle(() => reject(new VaeLabError(m.code, m.message)))
      }
    }
    worker.on('message', (m: WorkerMessage) => {
      // A handler that throws (say, the database is locked past its timeout) must end this run,
      // not the process that listens.
      try {
        dispatch(m)
      } catch (e) {
        Atomics.store(new Int32Array(cancelFlag), 0, 1)
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
    cancel: () => Atomics.store(new Int32Array(cancelFlag), 0, 1)
  }
}
