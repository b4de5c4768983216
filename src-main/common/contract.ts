// The one typed contract of VAE Lab: every adapter (CLI, IPC, HTTP) speaks these shapes,
// and every input is validated here, at the boundary, before it reaches the core.
import { z } from 'zod'

export const ERROR_CODES = [
  'INVALID_INPUT',
  'NOT_FOUND',
  'DATA_CORRUPT',
  'BACKEND_UNAVAILABLE',
  'DATABASE_INCOMPATIBLE',
  /** The database file is damaged (SQLite CORRUPT / NOTADB): restore a backup. */
  'DATABASE_DAMAGED',
  /** The database cannot be written or opened (read-only, disk full, no access). */
  'DATABASE_UNWRITABLE',
  'CANCELLED',
  'INTERNAL'
] as const
export type ErrorCode = (typeof ERROR_CODES)[number]

export const BACKEND_NAMES = [
  'tensorflow-gpu',
  'tensorflow',
  'webgpu',
  'wasm-blas',
  'wasm',
  'cpu'
] as const
export type BackendName = (typeof BACKEND_NAMES)[number]
export const BackendChoiceSchema = z.enum(['auto', ...BACKEND_NAMES], {
  error: () => `backend must be one of: auto, ${BACKEND_NAMES.join(', ')}`
})
export type BackendChoice = z.infer<typeof BackendChoiceSchema>

export const RUN_STATUSES = [
  'queued',
  'running',
  'completed',
  'interrupted',
  'cancelled',
  'diverged',
  'failed'
] as const
export type RunStatus = (typeof RUN_STATUSES)[number]

const positiveInt = (what: string, max: number) =>
  z
    .number({ error: `${what} must be a number` })
    .int({ error: `${what} must be a whole number` })
    .min(1, { error: `${what} must be at least 1` })
    .max(max, { error: `${what} must be at most ${max}` })

const positiveFinite = (what: string) =>
  z.number({ error: `${what} must be a number` }).refine((v) => Number.isFinite(v) && v > 0, {
    error: `${what} must be a positive, finite number`
  })

/** Weight initialisations (core/model/init.ts): PyTorch nn.Linear's default, Glorot-uniform, the paper's. */
export const INIT_SCHEMES = ['torch', 'glorot', 'paper'] as const
export type InitScheme = (typeof INIT_SCHEMES)[number]

export const ARCHITECTURES = ['mlp', 'conv'] as const
export type Architecture = (typeof ARCHITECTURES)[number]
export const OBJECTIVES = ['elbo', 'iwae'] as const
export type Objective = (typeof OBJECTIVES)[number]
export const MAX_HIDDEN_LAYERS = 8
/** Importance samples of `--objective iwae` when --k is not given: Burda et al.'s k = 5. */
export const DEFAULT_IWAE_K = 5
export const MAX_CONV_ROWS = 2000

export const TrainConfigSchema = z
  .object({
    dataset: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, {
        error: 'dataset name: letters, digits, _ . - (1-64 chars)'
      })
      .default('mnist'),
    latentDim: positiveInt('latent dim', 1024),
    /** Units of each deterministic tanh layer of the MLP encoder (mirrored in the decoder): 500 or [200, 200]. */
    hidden: z
      .union(
        [
          positiveInt('hidden units', 8192),
          z
            .array(positiveInt('hidden units', 8192), {
              error: 'hidden layer sizes are whole numbers, e.g. 500 or 200,200'
            })
            .min(1, { error: 'give at least one hidden layer' })
            .max(MAX_HIDDEN_LAYERS, { error: `at most ${MAX_HIDDEN_LAYERS} hidden layers` })
        ],
        { error: 'hidden layer sizes are whole numbers, e.g. 500 or 200,200' }
      )
      // One layer is stored as a plain number, as every run before layer lists was.
      .transform((h) => (Array.isArray(h) && h.length === 1 ? h[0] : h))
      .default(500),
    /** 'mlp': Kingma & Welling's tanh MLPs; 'conv': the convolutional VAE of core/model/convVae.ts. */
    arch: z
      .enum(ARCHITECTURES, { error: `arch must be one of: ${ARCHITECTURES.join(', ')}` })
      .default('mlp'),
    /** 'elbo': the paper's bound; 'iwae': Burda et al.'s k-sample importance-weighted bound. */
    objective: z
      .enum(OBJECTIVES, { error: `objective must be one of: ${OBJECTIVES.join(', ')}` })
      .default('elbo'),
    /** Importance samples of the IWAE objective; only with objective 'iwae' (default 5 there). */
    k: positiveInt('k (importance samples)', 5000).optional(),
    /** After training, also evaluate the k-sample IWAE bound on the test set (Burda et al. use 5000). */
    evalIwae: positiveInt('eval-iwae k', 100000).optional(),
    batchSize: positiveInt('batch size', 10000).default(100),
    epochs: positiveInt('epochs', 100000).default(10),
    optimizer: z
      .enum(['adam', 'adagrad'], { error: 'optimizer must be adam or adagrad' })
      .default('adam'),
    /** Learning rate; undefined means the optimiser's default (adam 1e-3, adagrad 0.01). */
    lr: positiveFinite('learning rate').optional(),
    /** Coefficient of 1/2 * ||theta||^2 added to the per-image loss; 1/N_train is the paper's N(0, I) prior. */
    weightDecay: z
      .number({
        error: "weight decay must be a number >= 0, or 'prior' for the paper's N(0, I) prior"
      })
      .refine((v) => Number.isFinite(v) && v >= 0, {
        error: "weight decay must be a finite number >= 0, or 'prior'"
      })
      .default(0),
    beta: z
      .number({ error: 'beta must be a number' })
      .refine((v) => Number.isFinite(v) && v >= 0, { error: 'beta must be a finite number >= 0' })
      .default(1),
    samples: positiveInt('samples per datapoint (L)', 1000).default(1),
    pixels: z
      .enum(['grey', 'dynamic', 'static'], { error: 'pixels must be grey, dynamic or static' })
      .default('grey'),
    /** PyTorch's nn.Linear default: the lowest test -ELBO of the three in README's study (issue 11). */
    init: z
      .enum(INIT_SCHEMES, { error: `init must be one of: ${INIT_SCHEMES.join(', ')}` })
      .default('torch'),
    seed: z
      .number({ error: 'seed must be a number' })
      .int({ error: 'seed must be a whole number' })
      .min(0)
      .max(2 ** 31 - 1)
      .default(1),
    /** Use only the first N training images (quick experiments and tests). */
    limitTrain: positiveInt('limit-train', 10_000_000).optional(),
    /** Use only the first N test images for evaluation. */
    limitTest: positiveInt('limit-test', 10_000_000).optional(),
    backend: BackendChoiceSchema.default('auto')
  })
  .strict()
  .superRefine((c, ctx) => {
    const refuse = (path: string, message: string) =>
      ctx.addIssue({ code: 'custom', path: [path], message })
    if (c.objective === 'elbo' && c.k !== undefined)
      refuse(
        'k',
        'k (importance samples) applies to the IWAE objective only: choose objective iwae, or leave k out'
      )
    if (c.objective === 'iwae' && c.beta !== 1)
      refuse(
        'beta',
        "beta weights the ELBO's KL term and the IWAE objective has none: use objective elbo for a beta-VAE"
      )
    if (c.objective === 'iwae' && c.samples !== 1)
      refuse(
        'samples',
        'the IWAE objective draws k samples per image: set k instead of samples (L)'
      )
    if (c.arch === 'conv' && c.hidden !== 500)
      refuse('hidden', 'hidden layer sizes apply to the MLP; the conv architecture is fixed')
    // Measured on wasm: a conv training step holds about 1.5 MB per decoded row (batch x samples);
    // 2,000 rows took 3 GB of the wasm heap's 4 GB.
    const rows = c.batchSize * (c.objective === 'iwae' ? (c.k ?? DEFAULT_IWAE_K) : c.samples)
    if (c.arch === 'conv' && rows > MAX_CONV_ROWS)
      refuse(
        c.objective === 'iwae' ? 'k' : 'samples',
        `the conv VAE decodes batch x samples = ${rows} images per step, about 1.5 MB each; at most ${MAX_CONV_ROWS} fit in memory: lower the batch size or the samples`
      )
  })
  // The run records the k it trains with, also when it is the default.
  .transform((c) => (c.objective === 'iwae' && c.k === undefined ? { ...c, k: DEFAULT_IWAE_K } : c))
export type TrainConfigInput = z.input<typeof TrainConfigSchema>
export type TrainConfig = z.output<typeof TrainConfigSchema>

/**
 * What runs stored before a field existed were trained with. The schema's defaults say what a
 * new run gets; a stored config lacking a field keeps the meaning it had (Glorot was the default
 * init until the study of issue 11), so old runs are not silently re-labelled.
 */
export const STORED_CONFIG_DEFAULTS = {
  init: 'glorot',
  hidden: 500,
  arch: 'mlp',
  objective: 'elbo'
} as const satisfies Partial<TrainConfigInput>

/** Parses a config read back from storage (see STORED_CONFIG_DEFAULTS). */
export function parseStoredConfig(raw: unknown) {
  const filled =
    raw !== null && typeof raw === 'object' && !Array.isArray(raw)
      ? { ...STORED_CONFIG_DEFAULTS, ...raw }
      : raw
  return TrainConfigSchema.safeParse(filled)
}

export interface LossParts {
  nelbo: number
  rec: number
  kl: number
  /** Training with the IWAE objective: -log (1/k) sum_s w_s, the loss it minimised (nats per image). */
  iwae?: number
}

export interface EpochMetrics {
  epoch: number
  train: LossParts
  test: LossParts
  /** Test -ELBO per digit class 0..9 (NaN-free; a class absent from the test set is null). */
  testPerDigit: (LossParts | null)[]
  imgPerSec: number
  seconds: number
}

export interface IwaeReport {
  k: number
  images: number
  /** -log p(x) estimate: minus the mean over images of the k-sample importance-weighted bound. */
  nll: number
}

export interface ActiveUnitsReport {
  threshold: number
  active: number
  variances: number[]
}

/** Stored with every finished run as its 'final' evaluation. */
export interface FinalEvaluation {
  test: LossParts
  testPerDigit: (LossParts | null)[]
  activeUnits: ActiveUnitsReport
  /** Mean KL(q(z_j|x) || N(0, 1)) over the test set per latent dim j, in nats (issue 17). */
  klPerDim?: number[]
  /** The k-sample IWAE bound on the test set, when the config's evalIwae asks for it. */
  iwae?: IwaeReport
}

export type ProgressEvent =
  | {
      type: 'batch'
      runId: number
      epoch: number
      epochs: number
      batch: number
      batches: number
      loss: number
      imgPerSec: number
      etaSeconds: number
    }
  | { type: 'epoch'; runId: number; metrics: EpochMetrics }
  | { type: 'status'; runId: number; status: RunStatus; message?: string }

/** A WebGPU adapter as Dawn describes it; software ones (llvmpipe) run on the CPU. */
export interface GpuAdapterInfo {
  vendor: string
  architecture: string
  device: string
  description: string
  software: boolean
}

export interface BackendReport {
  name: BackendName
  available: boolean
  /** Why it is (un)available, and for unavailable ones how to get it. */
  detail: string
  /** webgpu: the adapter it trains on. */
  adapter?: GpuAdapterInfo
  /** webgpu: when `auto` chooses it (calibrations measured and cached on this machine). */
  auto?: string
}

export interface RunSummary {
  id: number
  name: string | null
  sweep: string | null
  status: RunStatus
  dataset: string
  latent: number
  backend: string | null
  epochs: number
  epochsDone: number
  trainNelbo: number | null
  testNelbo: number | null
  testRec: number | null
  testKl: number | null
  imgPerSec: number | null
  createdAt: string
  /** The process that trains it, or last trained it: "host:pid", and its Slurm or Kubernetes task. */
  worker?: string | null
}

export const IwaeRequestSchema = z
  .object({
    runId: positiveInt('run id', Number.MAX_SAFE_INTEGER),
    k: positiveInt('k (importance samples)', 100000).default(50),
    limitTest: positiveInt('limit-test', 10_000_000).optional(),
    backend: BackendChoiceSchema.default('auto')
  })
  .strict()
export type IwaeRequest = z.output<typeof IwaeRequestSchema>

export const DatasetImportSchema = z
  .object({
    name: z
      .string()
      .regex(/^[A-Za-z0-9_.-]{1,64}$/, {
        error: 'dataset name: letters, digits, _ . - (1-64 chars)'
      })
      .refine((n) => n !== 'mnist', {
        error: '"mnist" is the built-in dataset; choose another name'
      }),
    trainImages: z.string().min(1),
    trainLabels: z.string().min(1),
    testImages: z.string().min(1),
    testLabels: z.string().min(1),
    /** What labels 0..9 mean, e.g. Fashion-MNIST's "T-shirt/top", ...; default: known sets' or the digits. */
    classNames: z
      .array(
        z
          .string({ error: 'a class name is text' })
          .trim()
          .min(1, { error: 'a class name cannot be blank' })
          .max(40, { error: 'a class name is at most 40 characters' }),
        { error: 'class names are a list of ten names' }
      )
      .length(10, { error: 'give ten class names, one per label 0-9, or none' })
      .refine((names) => new Set(names).size === names.length, {
        error: 'each class name must differ from the others'
      })
      .optional()
  })
  .strict()
export type DatasetImport = z.output<typeof DatasetImportSchema>

export interface DatasetInfo {
  name: string
  source: 'builtin' | 'imported'
  nTrain: number
  nTest: number
  files: Record<'trainImages' | 'trainLabels' | 'testImages' | 'testLabels', string>
  /** What labels 0..9 mean (common/classNames.ts): digits for MNIST, names for other sets. */
  classNames: string[]
}
