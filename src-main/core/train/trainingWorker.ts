// Main-thread side of a training run: it trains on a warm worker of this process's pool
// (trainingPool.ts), which relays the worker's events and the writes it asks for, cancels it, and
// turns a crash of the worker into a failed outcome instead of a hung promise.
import { trainingPool, type TrainingHandle, type WorkerHandlers } from './trainingPool'
import type { TrainJob } from './workerProtocol'

export type { TrainingHandle, WorkerHandlers } from './trainingPool'

export function startTraining(
  job: Omit<TrainJob, 'cancelFlag' | 'data'>,
  handlers: WorkerHandlers = {}
): TrainingHandle {
  return trainingPool().start(job, handlers)
}
