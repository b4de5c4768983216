// One line with everything a published number of a run depends on, to paste into a paper's
// methods section. `runs show` prints it and the workbench's run detail shows it.
import type { TrainConfig } from '../../common/contract'
import { hiddenLayers, INPUT_DIM } from '../model/vae'
import { learningRate } from './optimizers'

export interface ProtocolRun {
  config: TrainConfig
  backend: string | null
  codeVersion: string
}

export interface ProtocolDataset {
  nTrain: number
  nTest: number
}

const PIXELS: Record<TrainConfig['pixels'], string> = {
  grey: 'grey levels as Bernoulli targets',
  dynamic: 'dynamically binarised (a fresh draw each epoch)',
  static: 'statically binarised (one fixed draw)'
}

const INIT: Record<TrainConfig['init'], string> = {
  torch: "init torch (PyTorch's default: W, b ~ U(±1/√fan_in))",
  glorot: 'init glorot (Glorot-uniform W, b = 0)',
  paper: 'init paper (W ~ N(0, 0.01²), b = 0)'
}

const count = (n: number) => n.toLocaleString('en-US')

function architecture(c: TrainConfig): string {
  if (c.arch === 'conv') {
    return (
      `conv VAE after TensorFlow's CVAE tutorial: 28x28x1, conv 3x3/2 32, conv 3x3/2 64, dense to z = ${c.latentDim}; ` +
      'dense to 7x7x32, transposed conv 3x3/2 64, 3x3/2 32, 3x3/1 1; ReLU'
    )
  }
  const h = hiddenLayers(c.hidden)
  const decoder = [c.latentDim, ...h.slice().reverse(), INPUT_DIM].join('-')
  return `MLP ${[INPUT_DIM, ...h, c.latentDim].join('-')} tanh, decoder ${decoder}`
}

function objective(c: TrainConfig): string {
  if (c.objective === 'iwae') return `objective IWAE bound (Burda et al. 2015), k = ${c.k}`
  const beta = c.beta === 1 ? '' : `, beta = ${c.beta}`
  return `objective ELBO, L = ${c.samples}, KL in closed form${beta}`
}

function data(c: TrainConfig, d?: ProtocolDataset): string {
  const name = c.dataset === 'mnist' ? 'MNIST' : c.dataset
  if (!d) return name
  const train =
    c.limitTrain && c.limitTrain < d.nTrain
      ? `first ${count(c.limitTrain)} of ${count(d.nTrain)}`
      : count(d.nTrain)
  const test =
    c.limitTest && c.limitTest < d.nTest
      ? `first ${count(c.limitTest)} of ${count(d.nTest)}`
      : count(d.nTest)
  return `${name} (${train} training, ${test} test images)`
}

export function protocolLine(run: ProtocolRun, dataset?: ProtocolDataset): string {
  const c = run.config
  const optimiser = `${c.optimizer === 'adam' ? 'Adam' : 'Adagrad'}, lr ${learningRate(c)}`
  const wd = c.weightDecay
  const decay =
    wd > 0 ? `, weight decay ${wd < 1e-3 ? wd.toExponential(2) : wd.toPrecision(3)}` : ''
  const evaluation =
    'test -ELBO with one posterior sample per image' +
    (c.evalIwae ? `, IWAE bound with k = ${c.evalIwae}` : '')
  return [
    `${data(c, dataset)}, ${PIXELS[c.pixels]}`,
    architecture(c),
    objective(c),
    INIT[c.init],
    `${optimiser}, batch ${c.batchSize}, ${c.epochs} epochs${decay}`,
    evaluation,
    `seed ${c.seed}`,
    `VAE Lab ${run.codeVersion}${run.backend ? ` on ${run.backend}` : ''}`
  ].join('; ')
}
