// Turns the CLI's string options into contract inputs. Nothing is validated here: numbers that
// do not parse become NaN so the contract rejects them with its own clear message.
import type { TrainConfigInput } from '../../common/contract'
import type { SweepGrid } from '../../api/service'
import { parseHiddenGrid } from '../../common/sweepGrid'
import { VaeLabError } from '../../api/runtime'

export interface TrainFlags {
  latent?: string
  preset?: string
  epochs?: string
  limitTrain?: string
  limitTest?: string
  hidden?: string
  batch?: string
  optimizer?: string
  lr?: string
  weightDecay?: string
  beta?: string
  samples?: string
  pixels?: string
  init?: string
  arch?: string
  objective?: string
  k?: string
  evalIwae?: string
  seed?: string
  backend?: string
  dataset?: string
}

/** Contract field -> the CLI flag that sets it, so errors name what the user typed. */
export const FLAG_OF: Record<string, string> = {
  latentDim: '--latent',
  hidden: '--hidden',
  batchSize: '--batch',
  epochs: '--epochs',
  optimizer: '--optimizer',
  lr: '--lr',
  weightDecay: '--weight-decay',
  beta: '--beta',
  samples: '--samples',
  pixels: '--pixels',
  init: '--init',
  arch: '--arch',
  objective: '--objective',
  evalIwae: '--eval-iwae',
  seed: '--seed',
  limitTrain: '--limit-train',
  limitTest: '--limit-test',
  backend: '--backend',
  dataset: '--dataset',
  k: '--k',
  runId: 'RUN',
  workers: '--workers',
  priority: 'PRIORITY',
  tag: 'TAG',
  note: 'TEXT',
  name: 'NAME',
  sweepName: '--sweep',
  classNames: '--classes',
  sweep: '--sweep',
  maxRuns: '--max-runs',
  idleExit: '--idle-exit',
  finishEpochWithin: '--finish-epoch-within'
}

/** Strict number: '' and '1e' and '0x10' are NaN, unlike Number()'s forgiving rules. */
export function toNumber(s: string): number {
  return /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(s.trim()) ? Number(s) : NaN
}

/** "2,5,10" -> [2, 5, 10]; a malformed item becomes NaN for the contract to reject. */
export function parseList(flag: string, s: string): number[] {
  const parts = s.split(',').map((p) => p.trim())
  if (parts.some((p) => p === '')) {
    throw new VaeLabError(
      'INVALID_INPUT',
      `"${s}" is not a comma-separated list of numbers, e.g. 2,5,10,50`,
      { field: flag }
    )
  }
  return parts.map(toNumber)
}

const num = (s: string | undefined) => (s === undefined ? undefined : toNumber(s))

/** Flags that take a comma-separated list of numbers and so make a sweep over that field. */
const NUMBER_GRID_FLAGS = {
  latent: 'latentDim',
  beta: 'beta',
  lr: 'lr',
  seed: 'seed',
  k: 'k'
} as const

/** "elbo,iwae" -> ['elbo', 'iwae']: the contract names the valid choices. */
function parseWords(s: string): string[] {
  return s.split(',').map((p) => p.trim())
}

/**
 * Splits the flags into the sweep's base config and its grid. `--weight-decay prior` means the
 * paper's N(0, I) prior: 1/N_train per image, since the loss is a per-image mean. `--hidden`
 * lists one network's layers with commas and separates a sweep's networks with slashes.
 */
export function sweepInput(
  f: TrainFlags,
  nTrain: () => number
): { base: Partial<TrainConfigInput>; grid: SweepGrid } {
  const grid: SweepGrid = {}
  for (const [flag, field] of Object.entries(NUMBER_GRID_FLAGS) as [
    keyof typeof NUMBER_GRID_FLAGS,
    (typeof NUMBER_GRID_FLAGS)[keyof typeof NUMBER_GRID_FLAGS]
  ][]) {
    const value = f[flag]
    if (value !== undefined) grid[field] = parseList(field, value)
  }
  if (f.hidden !== undefined) grid.hidden = parseHiddenGrid(f.hidden)
  // Unknown names pass through for the contract to refuse with the list of choices.
  if (f.arch !== undefined) grid.arch = parseWords(f.arch) as SweepGrid['arch']
  if (f.objective !== undefined) grid.objective = parseWords(f.objective) as SweepGrid['objective']
  // N is the number of images actually trained on: --limit-train shrinks the data, not the prior.
  const limit = num(f.limitTrain)
  const n = () => Math.min(limit !== undefined && limit > 0 ? limit : Infinity, nTrain())
  const weightDecay = f.weightDecay === 'prior' ? 1 / n() : num(f.weightDecay)
  const base: Record<string, unknown> = {
    dataset: f.dataset,
    batchSize: num(f.batch),
    epochs: num(f.epochs),
    optimizer: f.optimizer,
    weightDecay,
    samples: num(f.samples),
    pixels: f.pixels,
    init: f.init,
    evalIwae: num(f.evalIwae),
    limitTrain: num(f.limitTrain),
    limitTest: num(f.limitTest),
    backend: f.backend
  }
  for (const k of Object.keys(base)) if (base[k] === undefined) delete base[k]
  return { base: base as Partial<TrainConfigInput>, grid }
}
