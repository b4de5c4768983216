import type {
  BackendName,
  DatasetInfo,
  EpochMetrics,
  ErrorCode,
  TrainConfig
} from '../../common/contract'
import type { BatchProgress, ResumePoint, TrainOutcome } from './trainer'

/** What the main thread hears of an outcome: the bulky parts are already in the database. */
export type TrainSummary = Pick<TrainOutcome, 'status' | 'message' | 'epochsDone' | 'imgPerSec'>

export interface TrainJob {
  runId: number
  /**
   * The store's URI (RunStore.uri): the worker opens it through the registry and stores each
   * epoch, its checkpoint and the final results itself, on its own connection.
   */
  storeUri: string
  config: TrainConfig
  dataset: DatasetInfo
  backend: BackendName
  /** Continue from this checkpoint instead of starting at epoch 1. */
  resume?: ResumePoint
  /** Int32 flag the main thread sets to 1 to cancel; shared so the busy loop sees it at once. */
  cancelFlag: SharedArrayBuffer
}

export type WorkerMessage =
  | { type: 'ready'; backend: BackendName; detail: string }
  | ({ type: 'batch' } & BatchProgress)
  | { type: 'epoch'; metrics: EpochMetrics }
  | { type: 'done'; outcome: TrainSummary }
  | { type: 'error'; code: ErrorCode; message: string }
