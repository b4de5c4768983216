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

/** Figure data stored at each epoch (issue 17); encoded by core/figures/epochFigureCodec. */
export type EpochFigureKind = 'recon' | 'manifold' | 'scatter' | 'klperdim'

export interface EncodedFigure {
  kind: EpochFigureKind
  meta: Record<string, unknown>
  data: Uint8Array
}

export interface StoredEpochFigure extends EncodedFigure {
  epoch: number
}

export interface StoredCheckpoint {
  kind: 'latest' | 'final'
  epoch: number
  tensors: Uint8Array
}

export interface RunResults {
  epochsDone: number
  /**
   * The run's last epoch, stored in the results' transaction instead of one of its own: the final
   * weights stand in for its checkpoint (3 MB written instead of 13 MB: about 70 ms of every run's
   * end), and a crash before the results leaves the run at the epoch before, resumable from its
   * checkpoint, never at an epoch without one.
   */
  lastEpoch?: { metrics: EpochMetrics; figures: readonly EncodedFigure[] }
  evaluation?: FinalEvaluation
  figures?: FigureData
  weights?: Uint8Array
}

/** How a run is claimed: which runs, for how long, and what happens if its worker is lost. */
export interface ClaimOptions {
  /** Only these runs (a sweep started by `train`); otherwise any queued run. */
  runIds?: number[]
  /** Only runs of this sweep (`vae-lab worker --sweep`). */
  sweep?: string
  /** The lease: the holder renews it (heartbeat) well before it ends. Default 60 s. */
  leaseSeconds?: number
  /**
   * When the worker is lost (its lease ran out, or its process on this host is gone): 'interrupt'
   * (default; a run started from the CLI or the app, which the user resumes) or 'requeue' (a
   * `vae-lab worker`'s: the next worker continues it from its checkpoint, up to the retry cap).
   */
  onLost?: LostAction
  /** What else names the process besides host:pid: "slurm 1234_0", "k8s vae-lab-3". */
  worker?: string
}

export type LostAction = 'interrupt' | 'requeue'

/** A claimed run and the token that fences its writes: only the lease holder's land. */
export interface Claim {
  runId: number
  token: string
  /** 1 for the first claim of the run, 2 after it was requeued once, ... */
  attempt: number
  epochsDone: number
  leaseSeconds: number
}

/** One claim of a run: who trained which epochs and how it ended. */
export interface RunAttempt {
  attempt: number
  owner: string
  worker: string | null
  startedAt: string
  endedAt: string | null
  /** running, completed, diverged, cancelled, failed, released (given back), lost, interrupted */
  outcome: string
  fromEpoch: number
  toEpoch: number
  message: string | null
}

/** What recoverLost did: runs of lost workers, by what became of them. */
export interface LostRuns {
  interrupted: number[]
  requeued: number[]
  failed: number[]
}

export interface LostPolicy {
  /** Whether the process "host:pid" still exists (another host's counts as alive). */
  isOwnerAlive(owner: string | null): boolean
  /** A requeue-on-loss run lost more often than this fails instead (default 3). */
  maxRetries?: number
}

/** A run with everything stored for it, keyed by its uid: what `runs pull` / `push` carry. */
export interface RunBundle {
  uid: string
  sweep: {
    uid: string
    name: string
    baseConfig: string
    grid: string
    createdAt: string
  } | null
  run: {
    name: string | null
    status: RunStatus
    priority: number
    config: string
    dataset: string
    latentDim: number
    seed: number
    epochs: number
    epochsDone: number
    backend: string | null
    backendDetail: string | null
    codeVersion: string
    message: string | null
    imgPerSec: number | null
    note: string | null
    createdAt: string
    startedAt: string | null
    finishedAt: string | null
    resumes: number
    attempts: number
    worker: string | null
  }
  tags: string[]
  metrics: EpochMetrics[]
  evaluations: Record<string, unknown>
  figures: StoredFigure[]
  /** Figure data of every epoch (empty for runs stored before it existed). */
  epochFigures: StoredEpochFigure[]
  checkpoints: StoredCheckpoint[]
  attemptLog: RunAttempt[]
  dataset: DatasetInfo | null
}

/** What importing a bundle did: 'kept' when the copy here moved on (resumed here) and was left. */
export type ImportOutcome = 'added' | 'updated' | 'unchanged' | 'kept'

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
  /** The engine: SQLite's training threads write their own epochs; PostgreSQL's go through the process's one connection. */
  readonly backend: 'sqlite' | 'postgres'
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
   * Atomically takes the next queued run (highest priority, then oldest) for `owner` ("host:pid")
   * under a lease, and records the attempt; null when none is queued. Safe when many processes
   * on many machines claim at once: each run goes to exactly one.
   */
  claimNextQueued(owner: string, options?: ClaimOptions): Promise<Claim | null>
  /**
   * Renews the lease of a run this worker holds; `held: false` when it no longer does (the run
   * was requeued or finished elsewhere): the worker must stop and write nothing more for it.
   */
  heartbeat(
    runId: number,
    token: string,
    leaseSeconds: number
  ): Promise<{ held: boolean; cancelRequested: boolean }>
  /** Gives a held run back to the queue with its progress (a preempted worker); false if not held. */
  releaseRun(runId: number, token: string, message: string): Promise<boolean>
  /**
   * Runs whose worker is lost (lease expired, or its process on this host is gone) are
   * interrupted, requeued or failed, by their LostAction and the retry cap.
   */
  recoverLost(policy: LostPolicy): Promise<LostRuns>
  /** Every claim of the run, oldest first. */
  attempts(runId: number): Promise<RunAttempt[]>
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
  /**
   * An epoch's metrics, its checkpoint and its figure data, together or not at all. With the lease
   * `token`, only while the lease is held (else LeaseLostError and nothing is written).
   */
  appendEpoch(
    runId: number,
    metrics: EpochMetrics,
    checkpoint?: StoredCheckpoint,
    token?: string,
    figures?: readonly EncodedFigure[]
  ): Promise<void>
  saveCheckpoint(runId: number, checkpoint: StoredCheckpoint): Promise<void>
  /** Ends a run (and its lease and attempt); with `token`, only while the lease is held. */
  finishRun(
    runId: number,
    status: RunStatus,
    message: string | null,
    imgPerSec: number | null,
    token?: string
  ): Promise<void>
  saveEvaluation(runId: number, kind: string, result: unknown): Promise<void>
  saveFigures(runId: number, figures: StoredFigure[]): Promise<void>
  /** A finished run's evaluation, figure data and final weights, in one transaction (fenced by `token`). */
  saveResults(runId: number, results: RunResults, token?: string): Promise<void>
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
  /** The figure data stored at `epoch` (of `kinds`, default all); empty when there is none. */
  epochFigures(
    runId: number,
    epoch: number,
    kinds?: readonly EpochFigureKind[]
  ): Promise<EncodedFigure[]>
  /** The epochs that have figure data, ascending (none for runs stored before issue 17). */
  figureEpochs(runId: number): Promise<number[]>
  checkpoint(runId: number, kind: 'latest' | 'final'): Promise<StoredCheckpoint | null>
  countRuns(): Promise<number>

  /** The uids of the runs (of `sweep`), for copying them to another store. */
  runUids(filter?: RunFilter): Promise<{ id: number; uid: string; status: RunStatus }[]>
  /** Everything stored for a run, to copy it to another store. */
  exportRun(runId: number): Promise<RunBundle>
  /**
   * Adds a run copied from another store, or brings the copy here up to date: keyed by its uid,
   * so importing twice changes nothing.
   */
  importRun(bundle: RunBundle): Promise<ImportOutcome>
}
