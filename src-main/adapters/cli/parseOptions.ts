// Turns the CLI's string options into contract inputs. Nothing is validated here: numbers that
// do not parse become NaN so the contract rejects them with its own clear message.
import type { TrainConfigInput } from '../../api/contract'
import { VaeLabError } from '../../core/errors'

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
  seed: '--seed',
  limitTrain: '--limit-train',
  limitTest: '--limit-test',
  backend: '--backend',
  dataset: '--dataset',
  k: '--iwae',
  runId: 'RUN'
}

/** Strict number: '' and '1e' and '0x10' are NaN, unlike Number()'s forgiving rules. */
export function toNumber(s: string): number {
  return /^[-+]?(\d+\.?\d*|\.\d+)(e[-+]?\d+)?$/i.test(s.trim()) ? Number(s) : NaN
}

export function parseLatents(s: string): number[] {
  const parts = s.split(',').map((p) => p.trim())
  if (parts.some((p) => p === '')) {
    throw new VaeLabError('INVALID_INPUT', `--latent: "${s}" is not a comma-separated list of dimensions, e.g. 2,5,10,50`)
  }
  return parts.map(toNumber)
}

const num = (s: string | undefined) => (s === undefined ? undefined : toNumber(s))

/**
 * `--weight-decay prior` means the paper's N(0, I) prior: 1/N_train per image, since the loss is a
 * per-image mean. It is resolved once the dataset size is known.
 */
export function trainConfigInput(f: TrainFlags, nTrain: () => number): Omit<TrainConfigInput, 'latentDim'> {
  const weightDecay = f.weightDecay === 'prior' ? 1 / nTrain() : num(f.weightDecay)
  const input: Record<string, unknown> = {
    dataset: f.dataset,
    hidden: num(f.hidden),
    batchSize: num(f.batch),
    epochs: num(f.epochs),
    optimizer: f.optimizer,
    lr: num(f.lr),
    weightDecay,
    beta: num(f.beta),
    samples: num(f.samples),
    pixels: f.pixels,
    init: f.init,
    seed: num(f.seed),
    limitTrain: num(f.limitTrain),
    limitTest: num(f.limitTest),
    backend: f.backend
  }
  for (const k of Object.keys(input)) if (input[k] === undefined) delete input[k]
  return input as Omit<TrainConfigInput, 'latentDim'>
}
