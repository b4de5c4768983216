// The New sweep form as plain data: text fields in, a validated queueSweep request (or per-field
// messages) out. The request is checked with the contract's SweepRequestSchema, the very schema
// the service validates with, so the form refuses exactly what the service would.
import {
  TrainConfigSchema,
  type BackendChoice,
  type TrainConfig
} from '../../src-main/common/contract'
import {
  expandGrid,
  MAX_SWEEP_RUNS,
  SweepNameSchema,
  SweepRequestSchema,
  type SweepGrid,
  type SweepRequestInput
} from '../../src-main/common/sweepRequest'

/** Fields that take a comma-separated list: the sweep has one run per combination. */
export const LIST_FIELDS = ['latentDim', 'hidden', 'beta', 'lr', 'seed'] as const
export type ListField = (typeof LIST_FIELDS)[number]

export interface SweepForm {
  sweepName: string
  dataset: string
  latentDim: string
  hidden: string
  beta: string
  lr: string
  seed: string
  epochs: string
  batchSize: string
  optimizer: TrainConfig['optimizer']
  /** A number, or "prior" for the paper's N(0, I) prior on the weights (1 / training images). */
  weightDecay: string
  samples: string
  pixels: TrainConfig['pixels']
  init: TrainConfig['init']
  limitTrain: string
  limitTest: string
  backend: BackendChoice
}

export type FormField = keyof SweepForm
export type FormErrors = Partial<Record<FormField, string>>

export const MAX_RUNS = MAX_SWEEP_RUNS

/** The schema's defaults (one parse of a minimal config), as form text. */
export function defaultSweepForm(): SweepForm {
  const d = TrainConfigSchema.parse({ latentDim: 2 })
  return {
    sweepName: '',
    dataset: d.dataset,
    latentDim: '2, 5, 10, 50',
    hidden: String(d.hidden),
    beta: String(d.beta),
    lr: '',
    seed: String(d.seed),
    epochs: String(d.epochs),
    batchSize: String(d.batchSize),
    optimizer: d.optimizer,
    weightDecay: String(d.weightDecay),
    samples: String(d.samples),
    pixels: d.pixels,
    init: d.init,
    limitTrain: '',
    limitTest: '',
    backend: d.backend
  }
}

/** The seed study (design.md section 1): MNIST, latent 2/5/10/50, 500 hidden, batch 100, Adam, 10 epochs. */
export function paperPreset(): SweepForm {
  return {
    ...defaultSweepForm(),
    sweepName: '',
    dataset: 'mnist',
    latentDim: '2, 5, 10, 50',
    hidden: '500',
    batchSize: '100',
    optimizer: 'adam',
    epochs: '10',
    lr: '',
    beta: '1',
    seed: '1'
  }
}

/** "2, 5 10;50" -> [2, 5, 10, 50]; an error names the first bad entry. */
export function parseList(text: string, what: string): { values: number[] } | { error: string } {
  const parts = text.split(/[\s,;]+/).filter(Boolean)
  if (!parts.length) return { error: `give at least one ${what}` }
  const values: number[] = []
  for (const p of parts) {
    const v = Number(p)
    if (!Number.isFinite(v)) return { error: `"${p}" is not a number` }
    values.push(v)
  }
  if (new Set(values).size !== values.length) return { error: `${what}: a value is listed twice` }
  return { values }
}

function parseOptional(text: string): number | undefined | 'bad' {
  const t = text.trim()
  if (!t) return undefined
  const v = Number(t)
  return Number.isFinite(v) ? v : 'bad'
}

/** Schema paths to form fields (the schema's names are the form's; a grid list is its field). */
function fieldOf(path: readonly PropertyKey[]): FormField {
  const key = String((path[0] === 'grid' ? path[1] : path[0]) ?? '')
  return (key in defaultSweepForm() ? key : 'latentDim') as FormField
}

export type SweepValidation =
  | { ok: true; request: SweepRequestInput; runCount: number; runs: TrainConfig[] }
  | { ok: false; errors: FormErrors; runCount: number }

/**
 * Validates the form. `trainImages` is the dataset's training set size, for weight decay "prior".
 */
export function validateSweepForm(
  f: SweepForm,
  trainImages: number | null = null
): SweepValidation {
  const errors: FormErrors = {}
  const lists: Partial<Record<ListField, number[]>> = {}
  const names: Record<ListField, string> = {
    latentDim: 'latent dim',
    hidden: 'hidden size',
    beta: 'beta',
    lr: 'learning rate',
    seed: 'seed'
  }
  for (const field of LIST_FIELDS) {
    if (field === 'lr' && !f.lr.trim()) continue
    const parsed = parseList(f[field], names[field])
    if ('error' in parsed) errors[field] = parsed.error
    else lists[field] = parsed.values
  }

  const base: Record<string, unknown> = {
    dataset: f.dataset.trim(),
    optimizer: f.optimizer,
    pixels: f.pixels,
    init: f.init,
    backend: f.backend
  }
  for (const field of ['epochs', 'batchSize', 'samples', 'limitTrain', 'limitTest'] as const) {
    const v = parseOptional(f[field])
    if (v === 'bad') errors[field] = `"${f[field]}" is not a number`
    else if (v !== undefined) base[field] = v
    else if (field === 'epochs' || field === 'batchSize' || field === 'samples')
      errors[field] = 'required'
  }
  const wd = f.weightDecay.trim().toLowerCase()
  if (wd === 'prior') {
    const limit = typeof base.limitTrain === 'number' ? base.limitTrain : Infinity
    const n = Math.min(limit, trainImages ?? Infinity)
    if (Number.isFinite(n) && n > 0) base.weightDecay = 1 / n
    else errors.weightDecay = 'the prior needs the size of the training set'
  } else {
    const v = parseOptional(f.weightDecay)
    if (v === 'bad')
      errors.weightDecay =
        'a number >= 0, or "prior" (1 / training images, the paper\'s N(0, I) prior)'
    else base.weightDecay = v ?? 0
  }

  const grid: SweepGrid = { latentDim: lists.latentDim ?? [] }
  for (const k of ['beta', 'lr', 'seed', 'hidden'] as const) if (lists[k]) grid[k] = lists[k]
  const runCount = Object.keys(errors).some((k) => (LIST_FIELDS as readonly string[]).includes(k))
    ? 0
    : expandGrid(grid).length
  const name = f.sweepName.trim()
  const nameCheck = SweepNameSchema.safeParse(name)
  if (name && !nameCheck.success) errors.sweepName = nameCheck.error.issues[0].message
  const request: SweepRequestInput = { base, grid, ...(name ? { sweepName: name } : {}) }

  let runs: TrainConfig[] = []
  if (!Object.keys(errors).length) {
    const parsed = SweepRequestSchema.safeParse(request)
    if (parsed.success) runs = parsed.data.runs.map((r) => r.config)
    else errors[fieldOf(parsed.error.issues[0].path)] = parsed.error.issues[0].message
  }
  if (Object.keys(errors).length) return { ok: false, errors, runCount }
  return { ok: true, request, runCount, runs }
}
