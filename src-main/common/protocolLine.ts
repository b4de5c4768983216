// A run's configuration as labelled fields, for the report's per-run table. The one-line protocol
// (runs show, run detail, the report) is core/train/protocolLine.ts. Pure: the UI and exports share it.
import type { TrainConfig } from './contract'
import { formatHidden } from './sweepGrid'

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

/** The config as labelled lines, in a reading order (the report's per-run table). */
export function configLines(c: TrainConfig): [string, string][] {
  const lr =
    c.lr === undefined ? `default (${shortNumber(DEFAULT_LR[c.optimizer])})` : shortNumber(c.lr)
  return [
    ['Dataset', c.dataset],
    ['Latent dim', String(c.latentDim)],
    ['Architecture', c.arch === 'conv' ? 'conv' : 'MLP (tanh)'],
    ['Hidden layers', c.arch === 'conv' ? '— (conv)' : formatHidden(c.hidden)],
    ['Objective', c.objective === 'iwae' ? `IWAE, k = ${c.k}` : 'ELBO'],
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
