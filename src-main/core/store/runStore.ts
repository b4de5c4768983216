import type {
  DatasetInfo,
  EpochMetrics,
  FinalEvaluation,
  RunStatus,
  RunSummary,
  TrainConfig
} from '../../common/contract'
import type { FigureData } from '../model/figureData'

export interface NewRun {
  config: TrainConfig
  name?: string
}

export interface RunRecord extends RunSummary {
  config: TrainConfig
  priority: number
  resumes: number
  owner: string | null
  backendDetail: string | null
  codeVersion: string
  message: string | null
  note: string | null
  tags: string[]
  startedAt: string | null
  finishedAt: string | null
}

export interface StoredFigure {
  kind: 'recon' | 'manifold' | 'scatter'
  meta: Record<string, unknown>
  data: Uint8Array
}

export interface StoredCheckpoint {
  kind: 'latest' | 'final'
  epoch: number
  tensors: Uint8Array
}

export interface RunResults {
  epochsDone: number
  evaluation?: FinalEvaluation
  figures?: FigureData
  weights?: Uint8Array
}

export interface RunFilter {
  status?: RunStatus
  sweep?: string
  tag?: string
}

/** Everything VAE Lab keeps about runs. SqliteRunStore is the one implementation that runs SQL. */
export interface RunStore {
  readonly file: string
  close(): void

  upsertDataset(info: DatasetInfo): void
  getDataset(name: string): DatasetInfo | null
  listDatasets(): DatasetInfo[]

  /** Creates a sweep and its queued runs in one transaction; returns the run ids in order. */
  createSweep(
    name: string,
    grid: Record<string, unknown[]>,
    runs: NewRun[]
  ): { sweepId: number; runIds: number[] }
  /**
   * Atomically takes the next queued run (highest priority, then oldest), optionally among
   * `runIds`, marks it running and owned by `owner` ("host:pid"); null when none is queued.
   */
  claimNextQueued(owner: string, runIds?: number[]): number | null
  hasQueued(): boolean
  /** Running, then queued runs, in the order the queue takes them. */
  listQueue(): RunSummary[]
  /** Changes whenever another connection commits (PRAGMA data_version): a cheap "did anything change?". */
  dataVersion(): number
  /** Records the backend that actually trains a claimed run. */
  markRunning(runId: number, backend: string, backendDetail: string): void
  appendEpoch(runId: number, metrics: EpochMetrics, checkpoint?: StoredCheckpoint): void
  saveCheckpoint(runId: number, checkpoint: StoredCheckpoint): void
  finishRun(
    runId: number,
    status: RunStatus,
    message: string | null,
    imgPerSec: number | null
  ): void
  saveEvaluation(runId: number, kind: string, result: unknown): void
  saveFigures(runId: number, figures: StoredFigure[]): void
  /** A finished run's evaluation, figure data and final weights, in one transaction. */
  saveResults(runId: number, results: RunResults): void
  /** Runs left 'running' by a process that is gone become 'interrupted'; returns their ids. */
  recoverInterrupted(isOwnerAlive: (owner: string | null) => boolean): number[]
  /** A queued run is cancelled at once; a running one gets a request its owner acts on. */
  requestCancel(runId: number): 'cancelled' | 'requested'
  isCancelRequested(runId: number): boolean
  setPriority(runId: number, priority: number): void
  /** Puts an interrupted, cancelled or failed run back in the queue to continue from its checkpoint. */
  requeueForResume(runId: number): void
  deleteRuns(runIds: number[]): void
  addTag(runId: number, tag: string): void
  setNote(runId: number, note: string): void
  rename(runId: number, name: string): void
  /** PRAGMA integrity_check: ['ok'] when the file is sound. */
  integrityCheck(): string[]
  /** A consistent copy through SQLite's online backup, safe while runs are being written. */
  backup(file: string): Promise<void>

  getRun(runId: number): RunRecord | null
  /** The run or NOT_FOUND, naming the id. */
  requireRun(runId: number): RunRecord
  listRuns(filter?: RunFilter): RunSummary[]
  epochMetrics(runId: number): EpochMetrics[]
  evaluations(runId: number): Record<string, unknown>
  figures(runId: number): StoredFigure[]
  checkpoint(runId: number, kind: 'latest' | 'final'): StoredCheckpoint | null
  countRuns(): number
}
