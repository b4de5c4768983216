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
  type IwaeReport,
  type ProgressEvent,
  type RunStatus,
  type RunSummary,
  type TrainConfig
} from './contract'
import {
  EXPORT_FIGURES,
  MANIFOLD_SPACINGS,
  PROJECTION_METHODS,
  type ExportRequestInput,
  type ExportResult
} from './exportContract'
import type { FigureInputs } from './figures/figureSpecs'
import type { SeedGroup } from './seedGroups'
import { API_METHODS, type ApiMethod } from './apiMethods'
import { SweepRequestSchema, type SweepRequestInput } from './sweepRequest'

export { API_METHODS, type ApiMethod, type SweepRequestInput }

/** One run id, everywhere a single run is named. */
export const RunIdSchema = z
  .number({ error: 'a run id must be a number' })
  .int({ error: 'a run id is a whole number' })
  .min(1, { error: 'a run id is at least 1' })
const runId = RunIdSchema

export const TagSchema = z
  .string({ error: 'a tag is 1-64 letters, digits or _ . : -' })
  .regex(/^[\w.:-]{1,64}$/, { error: 'a tag is 1-64 letters, digits or _ . : -' })
export const NoteSchema = z
  .string({ error: 'a note is text' })
  .max(10_000, { error: 'a note is at most 10,000 characters' })
/** A run's name, stored trimmed. */
export const RunNameSchema = z
  .string({ error: 'a name is 1-200 characters' })
  .refine((n) => n.trim() !== '' && n.length <= 200, { error: 'a name is 1-200 characters' })
  .transform((n) => n.trim())
export const PrioritySchema = z
  .number({ error: 'priority must be a whole number (higher runs first)' })
  .refine((p) => Number.isInteger(p) && Math.abs(p) <= 1_000_000, {
    error: 'priority must be a whole number (higher runs first)'
  })
/** Runs trained at once by one process. */
export const WorkersSchema = z
  .number({ error: 'must be a whole number from 1 to 64' })
  .refine((w) => Number.isInteger(w) && w >= 1 && w <= 64, {
    error: 'must be a whole number from 1 to 64'
  })

/** Importance samples of an IWAE evaluation asked for from the UI. */
export const IwaeKSchema = z
  .number({ error: 'k must be a whole number from 1 to 100,000' })
  .refine((k) => Number.isInteger(k) && k >= 1 && k <= 100_000, {
    error: 'k must be a whole number from 1 to 100,000'
  })

/** Files of a run the UI can download. */
export const RUN_FILES = ['checkpoint', 'metrics'] as const
export type RunFileKind = (typeof RUN_FILES)[number]

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
    /** 'icdf': the paper's grid, Gaussian quantiles of evenly spaced probabilities; 'linear': manifoldRange. */
    manifoldSpacing: z.enum(MANIFOLD_SPACINGS).default('icdf'),
    /** Linear spacing over where the run's test latent means lie, instead of manifoldRange. */
    manifoldFit: z.boolean().default(false),
    projection: z.enum(PROJECTION_METHODS).default('pca'),
    tolerance: z.number().min(0).max(1000).default(1),
    k: z.number().int().min(1).max(50).default(5),
    /** The per-epoch figures (recon, manifold, scatter, KL per dim) as they were at this epoch. */
    epoch: z.number().int().min(1).optional()
  })
  .strict()
export type FigureRequestInput = z.input<typeof FigureRequestSchema>
export type FigureRequest = z.output<typeof FigureRequestSchema>

/** Latent points to decode: at most 512 of at most 1024 values each. */
export const LatentPointsSchema = z
  .array(
    z
      .array(
        z.number().refine(Number.isFinite, { error: 'latent values must be finite numbers' }),
        { error: 'a latent point is a list of numbers' }
      )
      .min(1)
      .max(1024),
    { error: 'points must be a list of latent points' }
  )
  .min(1, { error: 'give at least one latent point' })
  .max(512, { error: 'at most 512 latent points at once' })

/** Argument schemas, one tuple per method: adapters validate with these before dispatching. */
export const API_ARGS = {
  listRuns: z.tuple([RunFilterSchema.optional()]),
  getRun: z.tuple([runId]),
  queueSweep: z.tuple([SweepRequestSchema]),
  resumeRun: z.tuple([runId]),
  cancelRun: z.tuple([runId]),
  setPriority: z.tuple([runId, PrioritySchema]),
  deleteRuns: z.tuple([
    z
      .array(runId)
      .min(1, { error: 'give at least one run id' })
      .max(1000, { error: 'delete at most 1000 runs at once' })
  ]),
  tagRun: z.tuple([runId, TagSchema]),
  noteRun: z.tuple([runId, NoteSchema]),
  renameRun: z.tuple([runId, RunNameSchema]),
  listDatasets: z.tuple([]),
  importDataset: z.tuple([DatasetImportSchema]),
  datasetPreview: z.tuple([z.string().min(1), z.number().int().min(1).max(100)]),
  backends: z.tuple([]),
  chooseBackend: z.tuple([BackendChoiceSchema]),
  figureInputs: z.tuple([FigureRequestSchema]),
  exportFigures: z.tuple([z.record(z.string(), z.unknown())]),
  queueStatus: z.tuple([]),
  untagRun: z.tuple([runId, TagSchema]),
  runFacets: z.tuple([]),
  evaluateIwae: z.tuple([runId, IwaeKSchema]),
  runFile: z.tuple([runId, z.enum(RUN_FILES, { error: 'a run file is checkpoint or metrics' })]),
  exportArchive: z.tuple([z.record(z.string(), z.unknown())]),
  chooseFolder: z.tuple([]),
  storeInfo: z.tuple([]),
  useStore: z.tuple([
    z
      .string({ error: 'a store is a SQLite file (PATH or sqlite:PATH) or a postgres:// URI' })
      .trim()
      .min(1, { error: 'a store is a SQLite file (PATH or sqlite:PATH) or a postgres:// URI' })
      .max(2000)
      .nullable()
  ]),
  latentExplorer: z.tuple([runId]),
  decodeLatent: z.tuple([runId, LatentPointsSchema])
} as const satisfies Record<ApiMethod, z.ZodTuple>

/**
 * Each method's parameter names, so that an error names the parameter at fault (the CLI turns it
 * into a flag); null for an object argument, whose own fields name themselves.
 */
export const API_PARAMS = {
  listRuns: [null],
  getRun: ['runId'],
  queueSweep: [null],
  resumeRun: ['runId'],
  cancelRun: ['runId'],
  setPriority: ['runId', 'priority'],
  deleteRuns: ['runIds'],
  tagRun: ['runId', 'tag'],
  noteRun: ['runId', 'note'],
  renameRun: ['runId', 'name'],
  listDatasets: [],
  importDataset: [null],
  datasetPreview: ['dataset', 'count'],
  backends: [],
  chooseBackend: ['backend'],
  figureInputs: [null],
  exportFigures: [null],
  queueStatus: [],
  untagRun: ['runId', 'tag'],
  runFacets: [],
  evaluateIwae: ['runId', 'k'],
  runFile: ['runId', 'file'],
  exportArchive: [null],
  chooseFolder: [],
  storeInfo: [],
  useStore: ['store'],
  latentExplorer: ['runId'],
  decodeLatent: ['runId', 'points']
} as const satisfies {
  [M in ApiMethod]: readonly (string | null)[] & {
    length: Required<z.input<(typeof API_ARGS)[M]>>['length']
  }
}

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
  /** The run's protocol as one line for a methods section. */
  protocol: string
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
  /** Seed groups (runs that differ only in seed) and their figures as mean ± sd, when any has two runs. */
  grouped?: {
    groups: SeedGroup[]
    inputs: Pick<FigureInputs, 'curves' | 'perDigit' | 'minDim'>
  }
  /** Per run, the epochs that have figure data (empty for runs stored before issue 17). */
  figureEpochs: { runId: number; epochs: number[] }[]
  /** The epoch the per-epoch figures show; absent: the final (or latest) figures. */
  epoch?: number
}

/** The latent explorer of a run (issue 17): its encoded test images and where its weights are from. */
export interface ExplorerInfo {
  runId: number
  latentDim: number
  /** The checkpoint decodes use: the final one, or the latest of a run still training. */
  weights: { kind: 'final' | 'latest'; epoch: number }
  /** The scatter set (24 test images per class): its latent means, classes and test-set indices. */
  points: number[][]
  labels: number[]
  indices: number[]
  /** Those test images, 784 grey bytes each, base64. */
  images: string
  /** KL per latent dim (nats), largest first tells the traversals' order; null when unknown. */
  klPerDim: number[] | null
}

/** Decoder means of latent points: `count` images of 784 grey bytes, base64; `ms` the decode's time. */
export interface DecodedImages {
  count: number
  images: string
  ms: number
}

/** A file sent to the UI to save (a download in browser mode, a save in Electron). */
export interface FilePayload {
  fileName: string
  mimeType: string
  /** The bytes, base64: answers are JSON. */
  base64: string
  bytes: number
}

/** What the Runs table and its search need beyond RunSummary: curation and the config. */
export interface RunFacets {
  id: number
  tags: string[]
  note: string | null
  config: TrainConfig
}

/** Which store the workbench has open, and which it is set to open (the Store setting). */
export interface StoreInfo {
  /** The open store, without its password: a file, or postgres://user@host:port/db. */
  location: string
  backend: 'sqlite' | 'postgres'
  /** The Store setting (password hidden), or null for the default SQLite file. */
  configured: string | null
  /** Set when VAE_LAB_DB or --db chose the store, which the setting does not override. */
  overriddenBy: string | null
  /** The setting names another store than the open one: it is used from the next start. */
  restartNeeded: boolean
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
    /** Ten names for labels 0..9 (default: a known set's, or the digits). */
    classNames?: string[]
  }): Promise<DatasetInfo>
  datasetPreview(name: string, count: number): Promise<DatasetPreview>
  backends(): Promise<BackendReport[]>
  chooseBackend(
    choice: z.input<typeof BackendChoiceSchema>
  ): Promise<{ name: BackendName; reason: string }>
  figureInputs(req: FigureRequestInput): Promise<FigureBundle>
  exportFigures(req: ExportRequestInput): Promise<ExportResult>
  queueStatus(): Promise<QueueStatus>
  untagRun(runId: number, tag: string): Promise<void>
  /** Tags, note and config of every run (the Runs table's search and ETA; changes made elsewhere). */
  runFacets(): Promise<RunFacets[]>
  /** The k-sample IWAE bound on the run's test set, in a worker; `evaluation` events report progress. */
  evaluateIwae(runId: number, k: number): Promise<IwaeReport>
  /** The run's final (else latest) checkpoint, or its per-epoch metrics as CSV. */
  runFile(runId: number, file: RunFileKind): Promise<FilePayload>
  /** An export as one zip to download (browser mode), instead of files in a folder. */
  exportArchive(
    req: Omit<ExportRequestInput, 'outDir'>
  ): Promise<FilePayload & { export: ExportResult }>
  /** A folder picked in the desktop app's native dialog; null when cancelled. Desktop app only. */
  chooseFolder(): Promise<string | null>
  storeInfo(): Promise<StoreInfo>
  /**
   * Sets the store the workbench opens (a SQLite file or a postgres:// URI; null for the default
   * file) after checking it opens; it takes effect when the workbench starts again.
   */
  useStore(store: string | null): Promise<StoreInfo>
  /** A run's latent explorer: its encoded test images, from its stored weights (issue 17). */
  latentExplorer(runId: number): Promise<ExplorerInfo>
  /** Decoder means of latent points, from the run's stored weights, in a long-lived worker. */
  decodeLatent(runId: number, points: number[][]): Promise<DecodedImages>
}

// The name list (apiMethods.ts), the schemas and the interface must agree: each line fails to
// compile when a method is added to one and not the others.
type SameKeys<A, B> = [Exclude<A, B> | Exclude<B, A>] extends [never] ? true : never
const methodsHaveSchemas: SameKeys<keyof typeof API_ARGS, ApiMethod> = true
const methodsAreTheApi: SameKeys<keyof VaeLabApi, ApiMethod> = true
void methodsHaveSchemas
void methodsAreTheApi

/** Events pushed to the UI: training progress, and "runs changed, refresh". */
export type WorkbenchEvent =
  | ProgressEvent
  | { type: 'runs-changed' }
  /** Progress of an IWAE evaluation asked for with evaluateIwae. */
  | { type: 'evaluation'; runId: number; k: number; done: number; total: number }

/** How an adapter answers a call: never a thrown error across the boundary. */
export type ApiAnswer<T> =
  | { ok: true; value: T }
  | {
      ok: false
      /** `field`: the input at fault, for the adapter to name in its own terms (a form label). */
      error: { code: ErrorCode | 'UNAUTHORIZED'; message: string; field?: string }
    }

/**
 * What the Electron preload exposes as `window.vaeLab`: the api, plus a subscription to events.
 * `onEvent` returns the function that unsubscribes.
 */
export type VaeLabBridge = VaeLabApi & {
  onEvent(listener: (e: WorkbenchEvent) => void): () => void
}
