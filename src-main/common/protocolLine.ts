// A run's configuration in words: one line that says how it was trained (the report's "protocol
// line", run detail's summary), and the labelled fields behind it. Pure: the UI and exports share it.
import type { TrainConfig } from './contract'

const OPTIMIZER_NAMES: Record<string, string> = { adam: 'Adam', adagrad: 'Adagrad' }
const DEFAULT_LR: Record<string, number> = { adam: 1e-3, adagrad: 0.01 }
const INIT_NAMES: Record<string, string> = {
  glorot: 'Glorot-uniform weights',
  paper: 'N(0, 0.01²) weights',
  torch: "PyTorch's default init"
}
const PIXEL_NAMES: Record<string, string> = {
  grey: 'grey levels as Bernoulli targets',
  dynamic: 'binarised anew each epoch',
  static: 'binarised once'
}

/** 0.001 -> "1e-3"; 0.02 -> "0.02". */
export function shortNumber(x: number): string {
  if (x !== 0 && Math.abs(x) < 0.01) return x.toExponential().replace(/\.?0+e/, 'e')
  return String(Number(x.toPrecision(6)))
}

/** "MLP 784-500-2 (tanh), Bernoulli decoder; −ELBO, L = 1, β = 1; Adam lr 1e-3, batch 100, ..." */
export function protocolLine(c: TrainConfig, backend?: string | null): string {
  const lr = c.lr ?? DEFAULT_LR[c.optimizer] ?? NaN
  const wd =
    c.weightDecay > 0
      ? `, weight decay ${shortNumber(c.weightDecay)}${c.weightDecay < 1e-3 ? ' (≈ the N(0, I) prior)' : ''}`
      : ''
  const data =
    `${c.dataset}${c.limitTrain ? `, first ${c.limitTrain.toLocaleString('en-US')} training images` : ''}` +
    `${c.limitTest ? `, first ${c.limitTest.toLocaleString('en-US')} test images` : ''}`
  return [
    `MLP 784-${c.hidden}-${c.latentDim} (tanh), Gaussian encoder, Bernoulli decoder`,
    `−ELBO${c.beta !== 1 ? ` with β = ${c.beta}` : ''}, L = ${c.samples}`,
    `${OPTIMIZER_NAMES[c.optimizer] ?? c.optimizer} lr ${shortNumber(lr)}${wd}, batch ${c.batchSize}, ${c.epochs} epoch${c.epochs === 1 ? '' : 's'}`,
    `${INIT_NAMES[c.init] ?? c.init}, ${PIXEL_NAMES[c.pixels] ?? c.pixels}`,
    `${data}; seed ${c.seed}${backend ? `; trained on ${backend}` : ''}`
  ].join('; ')
}

/** The config as labelled lines, in a reading order (the report's per-run table). */
export function configLines(c: TrainConfig): [string, string][] {
  const lr =
    c.lr === undefined ? `default (${shortNumber(DEFAULT_LR[c.optimizer])})` : shortNumber(c.lr)
  return [
    ['Dataset', c.dataset],
    ['Latent dim', String(c.latentDim)],
    ['Hidden units', String(c.hidden)],
    ['Batch size', String(c.batchSize)],
    ['Epochs', String(c.epochs)],
    ['Optimiser', OPTIMIZER_NAMES[c.optimizer] ?? c.optimizer],
    ['Learning rate', lr],
    ['Weight decay', shortNumber(c.weightDecay)],
    ['β', shortNumber(c.beta)],
    ['Samples (L)', String(c.samples)],
    ['Pixels', PIXEL_NAMES[c.pixels] ?? c.pixels],
    ['Init', INIT_NAMES[c.init] ?? c.init],
    ['Seed', String(c.seed)],
    ['Training images', c.limitTrain ? c.limitTrain.toLocaleString('en-US') : 'all'],
    ['Test images', c.limitTest ? c.limitTest.toLocaleString('en-US') : 'all'],
    ['Backend asked', c.backend]
  ]
}
