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

/**
 * SQLite-only upkeep, offered by stores that have it (`vae-lab db check`, `db backup`). A
 * database server has its own tools for this (pg_dump, amcheck), so it is a capability, not part
 * of every store.
 */
export interface FileMaintenance {
  /** The database file. */
  readonly file: string
  /** PRAGMA integrity_check: ['ok'] when the file is sound. */
  integrityCheck(): Promise<string[]>
  /**
   * A consistent copy at `target` (online backup, safe while runs are being written), written
   * beside it and renamed into place; never over the database itself, nor over an existing file
   * unless `overwrite`.
   */
  backupTo(target: string, overwrite: boolean): Promise<void>
}

/**
 * Everything VAE Lab keeps about runs, whatever holds it (MLflow's AbstractStore is the model).
 * Every method is async, so a database server can implement it; SqlRunStore is the one class
 * that runs SQL, over a driver per engine. Open stores with openRunStore (the URI registry).
 */
export interface RunStore {
  /** The URI this store was opened from, canonical (absolute): what workers open. */
  readonly uri: string
  /** Where it is, for messages: a file path, or a server and database without credentials. */
  readonly location: string
  /** SQLite's file upkeep; absent for stores that have none. */
  readonly maintenance?: FileMaintenance
  close(): Promise<void>

  upsertDataset(info: DatasetInfo): Promise<void>
  getDataset(name: string): Promise<DatasetInfo | null>
  listDatasets(): Promise<DatasetInfo[]>

  /** Creates a sweep and its queued runs in one transaction; returns the run ids in order. */
  createSweep(
    name: string,
    grid: Record<string, unknown[]>,
    runs: NewRun[]
  ): Promise<{ sweepId: number; runIds: number[] }>
  /**
   * Atomically takes the next queued run (highest priority, then oldest), optionally among
   * `runIds`, marks it running and owned by `owner` ("host:pid"); null when none is queued.
   */
  claimNextQueued(owner: string, runIds?: number[]): Promise<number | null>
  hasQueued(): Promise<boolean>
  /** Running, then queued runs, in the order the queue takes them. */
  listQueue(): Promise<RunSummary[]>
  /**
   * A cheap "did anything change?": differs after another connection wrote (SQLite: PRAGMA
   * data_version). Compare tokens for equality only.
   */
  changeToken(): Promise<string>
  /** Records the backend that actually trains a claimed run. */
  markRunning(runId: number, backend: string, backendDetail: string): Promise<void>
  /** An epoch's metrics and its checkpoint, together or not at all. */
  appendEpoch(runId: number, metrics: EpochMetrics, checkpoint?: StoredCheckpoint): Promise<void>
  saveCheckpoint(runId: number, checkpoint: StoredCheckpoint): Promise<void>
  finishRun(
    runId: number,
    status: RunStatus,
    message: string | null,
    imgPerSec: number | null
  ): Promise<void>
  saveEvaluation(runId: number, kind: string, result: unknown): Promise<void>
  saveFigures(runId: number, figures: StoredFigure[]): Promise<void>
  /** A finished run's evaluation, figure data and final weights, in one transaction. */
  saveResults(runId: number, results: RunResults): Promise<void>
  /** Runs left 'running' by a process that is gone become 'interrupted'; returns their ids. */
  recoverInterrupted(isOwnerAlive: (owner: string | null) => boolean): Promise<number[]>
  /** A queued run is cancelled at once; a running one gets a request its owner acts on. */
  requestCancel(runId: number): Promise<'cancelled' | 'requested'>
  isCancelRequested(runId: number): Promise<boolean>
  setPriority(runId: number, priority: number): Promise<void>
  /** Puts an interrupted, cancelled or failed run back in the queue to continue from its checkpoint. */
  requeueForResume(runId: number): Promise<void>
  deleteRuns(runIds: number[]): Promise<void>
  addTag(runId: number, tag: string): Promise<void>
  removeTag(runId: number, tag: string): Promise<void>
  setNote(runId: number, note: string): Promise<void>
  rename(runId: number, name: string): Promise<void>

  getRun(runId: number): Promise<RunRecord | null>
  /** The run or NOT_FOUND, naming the id. */
  requireRun(runId: number): Promise<RunRecord>
  listRuns(filter?: RunFilter): Promise<RunSummary[]>
  epochMetrics(runId: number): Promise<EpochMetrics[]>
  evaluations(runId: number): Promise<Record<string, unknown>>
  figures(runId: number): Promise<StoredFigure[]>
  checkpoint(runId: number, kind: 'latest' | 'final'): Promise<StoredCheckpoint | null>
  countRuns(): Promise<number>
}
