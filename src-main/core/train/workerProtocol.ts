import type {
  BackendName,
  DatasetInfo,
  EpochMetrics,
  ErrorCode,
  TrainConfig
} from '../../common/contract'
import type { Dataset } from '../data/dataset'
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
  /**
   * The dataset already decoded, its arrays on SharedArrayBuffers (the pool decodes each dataset
   * once per process and every worker reads the same memory); without it the worker reads the files.
   */
  data?: Dataset
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

/** A pool worker's state after a job: what the next job finds (tests and benchmarks watch it). */
export interface WorkerMemory {
  /** Live tfjs tensors once the job's are disposed: 0 in a clean worker. */
  numTensors: number
  /** Bytes of the wasm backend's heap (it only grows), or null on other backends. */
  wasmHeapBytes: number | null
  rssBytes: number
  heapUsedBytes: number
}

/** How a job left its pool worker: `clean` when it may take the next job (else it is replaced). */
export interface JobEnd {
  clean: boolean
  memory: WorkerMemory
  /** When the job's first training step began (ms since the epoch, comparable across threads). */
  firstStepAt: number | null
  /** Whether the run read the pool's shared dataset (no copy of its own). */
  sharedData: boolean
  /** Native threads in use when the run ended (wasm-blas under the pool's budget; else 1). */
  threads: number
}

/** What the pool sends a worker (besides ParentMessage answers to its store requests). */
export type PoolRequest =
  | { type: 'train'; job: TrainJob }
  | { type: 'load'; id: number; dataset: DatasetInfo }

/** workerData of a pool worker. */
export interface PoolWorkerData {
  /** Int32 [threads one run may use]: the pool writes it as runs start and finish (threadPlan.ts). */
  threadBudget: SharedArrayBuffer
}

export type WorkerMessage =
  | { type: 'ready'; backend: BackendName; detail: string }
  | ({ type: 'batch' } & BatchProgress)
  | { type: 'epoch'; metrics: EpochMetrics }
  | { type: 'store'; id: number; request: StoreRequest }
  | { type: 'done'; outcome: TrainSummary; end: JobEnd }
  | { type: 'error'; code: ErrorCode; message: string; leaseLost?: boolean; end: JobEnd }
  /** The answer to a 'load' request: the dataset on SharedArrayBuffers. */
  | { type: 'dataset'; id: number; data?: Dataset; error?: { code: ErrorCode; message: string } }

/** The main thread's answer to a StoreRequest. */
export type ParentMessage = {
  type: 'stored'
  id: number
  error?: { code: ErrorCode; message: string; leaseLost: boolean }
}
