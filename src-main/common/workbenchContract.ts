// The workbench's api (issue 5): every operation the UI may ask for, by name, with a zod schema
// for its arguments. Electron IPC and the loopback HTTP server both dispatch through it, and the
// renderer's client is typed by it. zod and types only: the renderer imports this file.
import { z } from 'zod'
import {
  BackendChoiceSchema,
  DatasetImportSchema,
  RUN_STATUSES,
  type BackendName,
  type BackendReport,
  type DatasetInfo,
  type EpochMetrics,
  type ErrorCode,
  type ProgressEvent,
  type RunStatus,
  type RunSummary,
  type TrainConfig
} from './contract'
import {
  EXPORT_FIGURES,
  PROJECTION_METHODS,
  type ExportRequestInput,
  type ExportResult
} from './exportContract'
import type { FigureInputs } from './figures/figureSpecs'
import { API_METHODS, type ApiMethod } from './apiMethods'

export { API_METHODS, type ApiMethod }

const runId = z
  .number({ error: 'a run id must be a number' })
  .int({ error: 'a run id is a whole number' })
  .min(1, { error: 'a run id is at least 1' })
const gridValues = z
  .array(z.number({ error: 'grid values must be numbers' }), {
    error: 'grid values must be a list'
  })
  .min(1)
  .max(100)

export const SweepRequestSchema = z
  .object({
    /** Settings shared by all runs; validated per run against TrainConfigSchema by the service. */
    base: z.record(z.string(), z.unknown()),
    grid: z
      .object({
        latentDim: gridValues,
        beta: gridValues.optional(),
        lr: gridValues.optional(),
        seed: gridValues.optional(),
        hidden: gridValues.optional()
      })
      .strict(),
    sweepName: z.string().min(1).max(100).optional()
  })
  .strict()
export type SweepRequestInput = z.input<typeof SweepRequestSchema>

export const RunFilterSchema = z
  .object({
    status: z.enum(RUN_STATUSES).optional(),
    sweep: z.string().optional(),
    tag: z.string().optional()
  })
  .strict()

export const FigureRequestSchema = z
  .object({
    runIds: z
      .array(runId)
      .min(1, { error: 'pick at least one run' })
      .max(16, { error: 'compare at most 16 runs at once' }),
    figures: z.array(z.enum(EXPORT_FIGURES)).min(1).optional(),
    manifoldGrid: z.number().int().min(2).max(40).default(20),
    manifoldRange: z
      .tuple([z.number(), z.number()])
      .refine(([lo, hi]) => Number.isFinite(lo) && Number.isFinite(hi) && lo < hi, {
        error: 'manifold range: two finite numbers, low before high'
      })
      .default([-3, 3]),
    projection: z.enum(PROJECTION_METHODS).default('pca'),
    tolerance: z.number().min(0).max(1000).default(1),
    k: z.number().int().min(1).max(50).default(5)
  })
  .strict()
export type FigureRequestInput = z.input<typeof FigureRequestSchema>

/** Argument schemas, one tuple per method: adapters validate with these before dispatching. */
export const API_ARGS = {
  listRuns: z.tuple([RunFilterSchema.optional()]),
  getRun: z.tuple([runId]),
  queueSweep: z.tuple([SweepRequestSchema]),
  resumeRun: z.tuple([runId]),
  cancelRun: z.tuple([runId]),
  setPriority: z.tuple([runId, z.number().int().min(-1_000_000).max(1_000_000)]),
  deleteRuns: z.tuple([z.array(runId).min(1)]),
  tagRun: z.tuple([runId, z.string()]),
  noteRun: z.tuple([runId, z.string()]),
  renameRun: z.tuple([runId, z.string()]),
  listDatasets: z.tuple([]),
  importDataset: z.tuple([DatasetImportSchema]),
  datasetPreview: z.tuple([z.string().min(1), z.number().int().min(1).max(100)]),
  backends: z.tuple([]),
  chooseBackend: z.tuple([BackendChoiceSchema]),
  figureInputs: z.tuple([FigureRequestSchema]),
  exportFigures: z.tuple([z.record(z.string(), z.unknown())]),
  queueStatus: z.tuple([])
} as const satisfies Record<ApiMethod, z.ZodTuple>

export interface RunDetailsDto {
  run: RunSummary & {
    config: TrainConfig
    backendDetail: string | null
    codeVersion: string
    message: string | null
    note: string | null
    tags: string[]
    priority: number
    resumes: number
  }
  metrics: EpochMetrics[]
  evaluations: Record<string, unknown>
}

export interface DatasetPreview {
  name: string
  labels: number[]
  /** `count` test images, 784 grey bytes each, row-major. */
  images: number[]
}

export interface FigureBundle {
  /** Plain inputs for core/figures' builders; images as number arrays (JSON-safe). */
  inputs: FigureInputs
  separability: {
    runId: number
    latentDim: number
    method: string
    k: number
    latent: number
    projected: number
  }[]
  skipped: string[]
}

export interface QueueStatus {
  workers: number
  running: number[]
  queued: number[]
}

/** What the UI can do. Results are plain JSON; errors reject with ApiError. */
export interface VaeLabApi {
  listRuns(filter?: { status?: RunStatus; sweep?: string; tag?: string }): Promise<RunSummary[]>
  getRun(runId: number): Promise<RunDetailsDto>
  queueSweep(req: SweepRequestInput): Promise<{ sweep: string; runIds: number[] }>
  resumeRun(runId: number): Promise<void>
  cancelRun(runId: number): Promise<'cancelled' | 'requested'>
  setPriority(runId: number, priority: number): Promise<void>
  deleteRuns(runIds: number[]): Promise<void>
  tagRun(runId: number, tag: string): Promise<void>
  noteRun(runId: number, note: string): Promise<void>
  renameRun(runId: number, name: string): Promise<void>
  listDatasets(): Promise<DatasetInfo[]>
  importDataset(req: {
    name: string
    trainImages: string
    trainLabels: string
    testImages: string
    testLabels: string
  }): Promise<DatasetInfo>
  datasetPreview(name: string, count: number): Promise<DatasetPreview>
  backends(): Promise<BackendReport[]>
  chooseBackend(
    choice: z.input<typeof BackendChoiceSchema>
  ): Promise<{ name: BackendName; reason: string }>
  figureInputs(req: FigureRequestInput): Promise<FigureBundle>
  exportFigures(req: ExportRequestInput): Promise<ExportResult>
  queueStatus(): Promise<QueueStatus>
}

// The name list (apiMethods.ts), the schemas and the interface must agree: each line fails to
// compile when a method is added to one and not the others.
type SameKeys<A, B> = [Exclude<A, B> | Exclude<B, A>] extends [never] ? true : never
const methodsHaveSchemas: SameKeys<keyof typeof API_ARGS, ApiMethod> = true
const methodsAreTheApi: SameKeys<keyof VaeLabApi, ApiMethod> = true
void methodsHaveSchemas
void methodsAreTheApi

/** Events pushed to the UI: training progress, and "runs changed, refresh". */
export type WorkbenchEvent = ProgressEvent | { type: 'runs-changed' }

/** How an adapter answers a call: never a thrown error across the boundary. */
export type ApiAnswer<T> =
  | { ok: true; value: T }
  | { ok: false; error: { code: ErrorCode | 'UNAUTHORIZED'; message: string } }

/**
 * What the Electron preload exposes as `window.vaeLab`: the api, plus a subscription to events.
 * `onEvent` returns the function that unsubscribes.
 */
export type VaeLabBridge = VaeLabApi & {
  onEvent(listener: (e: WorkbenchEvent) => void): () => void
}
