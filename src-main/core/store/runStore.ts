import type { DatasetInfo, EpochMetrics, RunStatus, RunSummary, TrainConfig } from '../../api/contract'

export interface NewRun {
  config: TrainConfig
  name?: string
}

export interface RunRecord extends RunSummary {
  config: TrainConfig
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
  createSweep(name: string, grid: Record<string, unknown[]>, runs: NewRun[]): { sweepId: number; runIds: number[] }
  markRunning(runId: number, backend: string, backendDetail: string): void
  appendEpoch(runId: number, metrics: EpochMetrics, checkpoint?: StoredCheckpoint): void
  saveCheckpoint(runId: number, checkpoint: StoredCheckpoint): void
  finishRun(runId: number, status: RunStatus, message: string | null, imgPerSec: number | null): void
  saveEvaluation(runId: number, kind: string, result: unknown): void
  saveFigures(runId: number, figures: StoredFigure[]): void
  /** Runs left 'running' by a process that died become 'interrupted'; returns how many. */
  markStaleRunsInterrupted(): number

  getRun(runId: number): RunRecord | null
  listRuns(filter?: RunFilter): RunSummary[]
  epochMetrics(runId: number): EpochMetrics[]
  evaluations(runId: number): Record<string, unknown>
  figures(runId: number): StoredFigure[]
  checkpoint(runId: number, kind: 'latest' | 'final'): StoredCheckpoint | null
  countRuns(): number
}
