import type { BackendName, DatasetInfo, EpochMetrics, ErrorCode, TrainConfig } from '../../api/contract'
import type { BatchProgress, ResumePoint, TrainOutcome } from './trainer'

export interface TrainJob {
  runId: number
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
  | { type: 'epoch'; metrics: EpochMetrics; checkpoint: Uint8Array }
  | { type: 'done'; outcome: TrainOutcome }
  | { type: 'error'; code: ErrorCode; message: string }
