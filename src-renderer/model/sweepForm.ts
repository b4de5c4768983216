// The New sweep form as plain data: text fields in, a validated queueSweep request (or per-field
// messages) out. The request is checked with the contract's SweepRequestSchema, the very schema
// the service validates with, so the form refuses exactly what the service would.
import {
  DEFAULT_IWAE_K,
  TrainConfigSchema,
  type BackendChoice,
  type TrainConfig
} from '../../src-main/common/contract'
import { SWEEP_PRESETS, type SweepPreset } from '../../src-main/common/sweepPresets'
import { formatHidden, parseHiddenGrid } from '../../src-main/common/sweepGrid'
import {
  gridSize,
  MAX_SWEEP_RUNS,
  SweepNameSchema,
  SweepRequestSchema,
  type SweepGrid,
  type SweepRequestInput
} from '../../src-main/common/sweepRequest'

/** Fields that take a comma-separated list: the sweep has one run per combination. */
export const LIST_FIELDS = ['latentDim', 'beta', 'lr', 'seed', 'k'] as const
export type ListField = (typeof LIST_FIELDS)[number]

/** Choices of the Architecture and Objective selects: one value, or both (a sweep over them). */
export type ArchChoice = 'mlp' | 'conv' | 'mlp,conv'
export type ObjectiveChoice = 'elbo' | 'iwae' | 'elbo,iwae'

export interface SweepForm {
  sweepName: string
  dataset: string
  latentDim: string
  /** Layers of one network separated by commas, networks of a sweep by slashes: "500/200,200". */
  hidden: string
  arch: ArchChoice
  objective: ObjectiveChoice
  /** Importance samples of the IWAE runs; unused when the objective is the ELBO alone. */
  k: string
  /** After training, the IWAE bound with this many samples (empty: none). */
  evalIwae: string
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
    hidden: formatHidden(d.hidden),
    arch: d.arch,
    objective: d.objective,
    k: String(DEFAULT_IWAE_K),
    evalIwae: '',
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

/** A preset (common/sweepPresets.ts) as form text. */
export function presetForm(id: SweepPreset['id']): SweepForm {
  const p = SWEEP_PRESETS[id]
  const b = { ...TrainConfigSchema.parse({ latentDim: 2 }), ...p.base }
  return {
    ...defaultSweepForm(),
    dataset: b.dataset,
    latentDim: p.grid.latentDim.join(', '),
    hidden: formatHidden(b.hidden),
    arch: b.arch,
    objective: b.objective,
    k: String(b.k ?? DEFAULT_IWAE_K),
    evalIwae: b.evalIwae === undefined ? '' : String(b.evalIwae),
    pixels: b.pixels,
    batchSize: String(b.batchSize),
    optimizer: b.optimizer,
    lr: b.lr === undefined ? '' : String(b.lr),
    epochs: String(b.epochs),
    samples: String(b.samples),
    init: b.init,
    weightDecay: p.weightDecayPrior ? 'prior' : String(b.weightDecay),
    beta: '1',
    seed: '1'
  }
}

/** The paper's experiment as published (Adagrad, N(0, 0.01²), the prior, 10⁸ samples). */
export function paperPreset(): SweepForm {
  return presetForm('paper')
}

/** Burda et al. (2015), one stochastic layer: 784-200-200-50 tanh, dynamic binarisation, IWAE. */
export function burdaPreset(): SweepForm {
  return presetForm('burda')
}

/** A run's settings as the form, to start a new sweep from them ("clone settings"). */
export function formFromConfig(c: TrainConfig): SweepForm {
  return {
    ...defaultSweepForm(),
    dataset: c.dataset,
    latentDim: String(c.latentDim),
    hidden: formatHidden(c.hidden),
    arch: c.arch,
    objective: c.objective,
    k: String(c.k ?? DEFAULT_IWAE_K),
    evalIwae: c.evalIwae === undefined ? '' : String(c.evalIwae),
    beta: String(c.beta),
    lr: c.lr === undefined ? '' : String(c.lr),
    seed: String(c.seed),
    epochs: String(c.epochs),
    batchSize: String(c.batchSize),
    optimizer: c.optimizer,
    weightDecay: String(c.weightDecay),
    samples: String(c.samples),
    pixels: c.pixels,
    init: c.init,
    limitTrain: c.limitTrain === undefined ? '' : String(c.limitTrain),
    limitTest: c.limitTest === undefined ? '' : String(c.limitTest),
    backend: c.backend
  }
}

/** A form read back from storage, if it still has every field of today's form (else null). */
export function restoreForm(json: string | null): SweepForm | null {
  if (!json) return null
  try {
    const f = JSON.parse(json) as Partial<SweepForm>
    const d = defaultSweepForm()
    const keys = Object.keys(d) as (keyof SweepForm)[]
    if (!keys.every((k) => typeof f[k] === 'string')) return null
    return Object.fromEntries(keys.map((k) => [k, f[k]])) as unknown as SweepForm
  } catch {
    return null
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

/** A config field's own schema (TrainConfigSchema's object, before its cross-field checks). */
function fieldSchema(field: string) {
  return (
    TrainConfigSchema.in.shape as Record<
      string,
      { safeParse(v: unknown): { success: boolean; error?: { issues: { message: string }[] } } }
    >
  )[field]
}

/** The first problem of `value` for config field `field`, or undefined. */
function fieldProblem(field: string, value: unknown): string | undefined {
  const schema = fieldSchema(field)
  if (!schema) return undefined
  const r = schema.safeParse(value)
  return r.success ? undefined : r.error?.issues[0]?.message
}

/**
 * Validates the form, every field on its own so that all problems show at once. `trainImages`
 * is the dataset's training set size: for weight decay "prior", and to flag a training limit
 * above it.
 */
export function validateSweepForm(
  f: SweepForm,
  trainImages: number | null = null
): SweepValidation {
  const errors: FormErrors = {}
  const lists: Partial<Record<ListField, number[]>> = {}
  const names: Record<ListField, string> = {
    latentDim: 'latent dim',
    beta: 'beta',
    lr: 'learning rate',
    seed: 'seed',
    k: 'k'
  }
  const objectives = f.objective.split(',') as SweepGrid['objective'] & string[]
  const iwae = objectives.includes('iwae')
  for (const field of LIST_FIELDS) {
    if (field === 'lr' && !f.lr.trim()) continue
    if (field === 'k' && !iwae) continue
    const parsed = parseList(f[field], names[field])
    if ('error' in parsed) errors[field] = parsed.error
    else {
      lists[field] = parsed.values
      const bad = parsed.values.map((v) => fieldProblem(field, v)).find((m) => m !== undefined)
      if (bad) errors[field] = bad
    }
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
    else if (v !== undefined) {
      base[field] = v
      const bad = fieldProblem(field, v)
      if (bad) errors[field] = bad
    } else if (field === 'epochs' || field === 'batchSize' || field === 'samples')
      errors[field] = 'required'
  }
  if (
    !errors.limitTrain &&
    typeof base.limitTrain === 'number' &&
    trainImages !== null &&
    base.limitTrain > trainImages
  )
    errors.limitTrain = `the dataset has ${trainImages.toLocaleString('en-US')} training images; give at most that, or leave it empty for all`
  if (
    !errors.batchSize &&
    !errors.limitTrain &&
    typeof base.batchSize === 'number' &&
    Math.min(Number(base.limitTrain ?? Infinity), trainImages ?? Infinity) < base.batchSize
  )
    errors.batchSize = `fewer training images than one batch of ${base.batchSize}`
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

  const hidden = parseHiddenGrid(f.hidden)
  const grid: SweepGrid = {
    latentDim: lists.latentDim ?? [],
    ...(lists.beta ? { beta: lists.beta } : {}),
    ...(lists.lr ? { lr: lists.lr } : {}),
    ...(lists.seed ? { seed: lists.seed } : {}),
    // The conv VAE has no hidden sizes: a conv-only sweep leaves them out.
    ...(f.arch === 'conv' ? {} : { hidden }),
    arch: f.arch.split(',') as SweepGrid['arch'],
    objective: objectives,
    ...(iwae && lists.k ? { k: lists.k } : {})
  }
  const evalIwae = parseOptional(f.evalIwae)
  if (evalIwae === 'bad') errors.evalIwae = `"${f.evalIwae}" is not a number`
  else if (evalIwae !== undefined) base.evalIwae = evalIwae
  const runCount = Object.keys(errors).some((k) => (LIST_FIELDS as readonly string[]).includes(k))
    ? 0
    : gridSize(grid) // counted, not expanded: the form can hold 10^10 combinations too
  const name = f.sweepName.trim()
  const nameCheck = SweepNameSchema.safeParse(name)
  // Empty means "name it for me"; spaces only is a name left blank by mistake.
  if (!name && f.sweepName.length)
    errors.sweepName = 'the name is blank; type one, or leave it empty for the default'
  else if (name && !nameCheck.success) errors.sweepName = nameCheck.error.issues[0].message
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
