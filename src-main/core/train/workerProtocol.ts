import type {
  BackendName,
  DatasetInfo,
  EpochMetrics,
  ErrorCode,
  TrainConfig
} from '../../common/contract'
import type { EncodedFigure, RunResults } from '../store/runStore'
import type { BatchProgress, ResumePoint, TrainOutcome } from './trainer'

/** What the main thread hears of an outcome: the bulky parts are already in the database. */
export type TrainSummary = Pick<TrainOutcome, 'status' | 'message' | 'epochsDone' | 'imgPerSec'>

/** Values of TrainJob.cancelFlag: train on, stop at the next batch, stop when this epoch ends. */
export const CANCEL = { RUN: 0, NOW: 1, AT_EPOCH_END: 2 } as const

export interface TrainJob {
  runId: number
  /**
   * The store's URI (RunStore.uri): the worker opens it through the registry and stores each
   * epoch, its checkpoint and the final results itself, on its own connection.
   */
  storeUri: string
  /**
   * Who writes the epochs: the worker thread on its own connection ('worker': SQLite, whose
   * synchronous 10 MB writes would stall the main thread), or the main thread on the process's
   * one connection ('parent': PostgreSQL, where a connection per thread would double a worker's).
   */
  writer: 'worker' | 'parent'
  /** The run's lease: every write carries it, and lands only while the lease is held. */
  leaseToken?: string
  config: TrainConfig
  dataset: DatasetInfo
  backend: BackendName
  /** Continue from this checkpoint instead of starting at epoch 1. */
  resume?: ResumePoint
  /** Int32 flag the main thread sets (CANCEL); shared so the busy loop sees it at once. */
  cancelFlag: SharedArrayBuffer
}

/** A write the worker asks the main thread to make (TrainJob.writer 'parent'). */
export type StoreRequest =
  | { op: 'epoch'; metrics: EpochMetrics; checkpoint: Uint8Array; figures?: EncodedFigure[] }
  | { op: 'results'; results: RunResults }

export type WorkerMessage =
  | { type: 'ready'; backend: BackendName; detail: string }
  | ({ type: 'batch' } & BatchProgress)
  | { type: 'epoch'; metrics: EpochMetrics }
  | { type: 'store'; id: number; request: StoreRequest }
  | { type: 'done'; outcome: TrainSummary }
  | { type: 'error'; code: ErrorCode; message: string; leaseLost?: boolean }

/** The main thread's answer to a StoreRequest. */
export type ParentMessage = {
  type: 'stored'
  id: number
  error?: { code: ErrorCode; message: string; leaseLost: boolean }
}
