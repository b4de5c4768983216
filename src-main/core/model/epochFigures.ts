// Figure data computed after every epoch (issue 17), so figures can be shown as they were at any
// epoch: the reconstructions of the ten fixed test images (Fig 6), the 2-D manifold on the
// paper's lattice (Fig 7), the latent means of the scatter set (Fig 8) and the KL per latent
// dimension over the test set (the active-units picture). The same images as the final figures.
import * as tf from '@tensorflow/tfjs-core'
import { quantileLattice } from '../../common/figures/manifoldLattice'
import { IMAGE_SIZE, type ImageSet } from '../data/dataset'
import { fillBatch } from '../data/pixels'
import { range } from '../train/random'
import {
  MANIFOLD_GRID,
  pickPerDigit,
  RECON_SELECTION_SEED,
  SCATTER_PER_DIGIT,
  SCATTER_SELECTION_SEED,
  toBytes,
  type ReconFigure,
  type ScatterFigure
} from './figureData'
import type { LatentModel } from './latentModel'

/** Fixed chunk shape for the pass over the test set (the wasm heap never shrinks: pitfalls §1). */
const KL_ROWS = 500

export interface EpochManifold {
  grid: number
  spacing: 'icdf' | 'linear'
  /** z1 of each column, ascending; z2 of each row, top first. */
  xs: number[]
  ys: number[]
  images: Uint8Array // [grid * grid, 784]
}

export interface EpochFigureData {
  recon: ReconFigure
  manifold: EpochManifold | null
  scatter: ScatterFigure
  /** Mean KL(q(z_j|x) || N(0, 1)) over the test set per latent dim j, in nats. */
  klPerDim: number[]
}

function subset(set: ImageSet, indices: readonly number[]): Float32Array {
  const x = new Float32Array(indices.length * IMAGE_SIZE)
  indices.forEach((i, r) => {
    for (let p = 0; p < IMAGE_SIZE; p++)
      x[r * IMAGE_SIZE + p] = set.images[i * IMAGE_SIZE + p] / 255
  })
  return x
}

/** KL per latent dim, averaged over `set`: -1/2 (1 + log s^2 - mu^2 - s^2) for each dim. */
export async function klPerDim(m: LatentModel, set: ImageSet): Promise<number[]> {
  const sums = new Float64Array(m.latentDim)
  const rows = Math.min(KL_ROWS, Math.max(1, set.count))
  const buf = new Float32Array(rows * IMAGE_SIZE)
  const order = range(set.count)
  for (let start = 0; start < set.count; start += rows) {
    const real = fillBatch(set, order, start, buf)
    const t = tf.tidy(() => {
      const { mu, logVar } = m.encode(tf.tensor2d(buf, [rows, IMAGE_SIZE]))
      const kl = tf.mul(-0.5, tf.sub(tf.add(1, logVar), tf.add(tf.square(mu), tf.exp(logVar))))
      return tf.sum(tf.slice(kl, [0, 0], [real, m.latentDim]), 0)
    })
    const v = await t.data()
    t.dispose()
    for (let j = 0; j < m.latentDim; j++) sums[j] += v[j]
  }
  return Array.from(sums, (s) => s / Math.max(1, set.count))
}

/** `klPerDim` comes with the epoch's test pass (evaluateNelbo), which has the posteriors already. */
export async function epochFigureData(
  m: LatentModel,
  test: ImageSet,
  klPerDim: readonly number[]
): Promise<EpochFigureData> {
  const reconIdx = pickPerDigit(test.labels, 1, RECON_SELECTION_SEED)
  const scatterIdx = pickPerDigit(test.labels, SCATTER_PER_DIGIT, SCATTER_SELECTION_SEED)
  const originals = new Uint8Array(reconIdx.length * IMAGE_SIZE)
  reconIdx.forEach((i, r) =>
    originals.set(test.images.subarray(i * IMAGE_SIZE, (i + 1) * IMAGE_SIZE), r * IMAGE_SIZE)
  )
  const reconstructions = await toBytes(
    tf.tidy(() => {
      const x = tf.tensor2d(subset(test, reconIdx), [reconIdx.length, IMAGE_SIZE])
      return tf.sigmoid(m.decode(m.encode(x).mu))
    })
  )
  const muT = tf.tidy(
    () => m.encode(tf.tensor2d(subset(test, scatterIdx), [scatterIdx.length, IMAGE_SIZE])).mu
  )
  const mu = Float32Array.from(await muT.data())
  muT.dispose()
  let manifold: EpochManifold | null = null
  if (m.latentDim === 2) {
    // The paper's lattice, the one Compare draws by default.
    const { xs, ys } = quantileLattice(MANIFOLD_GRID)
    const z = new Float32Array(xs.length * ys.length * 2)
    ys.forEach((y, r) =>
      xs.forEach((x, c) => {
        z[(r * xs.length + c) * 2] = x
        z[(r * xs.length + c) * 2 + 1] = y
      })
    )
    const images = await toBytes(
      tf.tidy(() => tf.sigmoid(m.decode(tf.tensor2d(z, [xs.length * ys.length, 2]))))
    )
    manifold = { grid: MANIFOLD_GRID, spacing: 'icdf', xs: [...xs], ys: [...ys], images }
  }
  return {
    recon: {
      indices: reconIdx,
      labels: Array.from(reconIdx, (i) => test.labels[i]),
      originals,
      reconstructions
    },
    manifold,
    scatter: {
      indices: scatterIdx,
      labels: Array.from(scatterIdx, (i) => test.labels[i]),
      latentDim: m.latentDim,
      mu
    },
    klPerDim: [...klPerDim]
  }
}
