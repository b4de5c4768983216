// Data behind the seed project's figures (design.md section 1): Fig 6 reconstructions,
// Fig 7 the 2-D manifold, Fig 8 the latent scatter. Images are stored as bytes (0..255).
import * as tf from '@tensorflow/tfjs-core'
import { IMAGE_SIZE, type ImageSet } from '../data/dataset'
import { mulberry32, range, shuffleInPlace } from '../train/random'
import { posteriorMeans, type Model } from './evaluate'

export const RECON_SELECTION_SEED = 6 // Fig 6: the same ten test images for every run
export const SCATTER_SELECTION_SEED = 8 // Fig 8
export const SCATTER_PER_DIGIT = 24
export const MANIFOLD_GRID = 20
export const MANIFOLD_RANGE: [number, number] = [-3, 3]

export interface ReconFigure {
  indices: number[]
  labels: number[]
  originals: Uint8Array // [10, 784]
  reconstructions: Uint8Array // [10, 784], decoder means at z = mu
}

export interface ManifoldFigure {
  grid: number
  range: [number, number]
  images: Uint8Array // [grid * grid, 784]; row 0 is the top (largest z2), column 0 the smallest z1
}

export interface ScatterFigure {
  indices: number[]
  labels: number[]
  latentDim: number
  mu: Float32Array // [count, latentDim]
}

export interface FigureData {
  recon: ReconFigure
  manifold: ManifoldFigure | null
  scatter: ScatterFigure
}

/** `perDigit` indices of each digit 0..9, chosen by a fixed seed; fewer where a digit is rare. */
export function pickPerDigit(labels: Uint8Array, perDigit: number, seed: number): number[] {
  const order = shuffleInPlace(range(labels.length), mulberry32(seed))
  const picked: number[][] = Array.from({ length: 10 }, () => [])
  for (const i of order) {
    const bucket = picked[labels[i]]
    if (bucket.length < perDigit) bucket.push(i)
  }
  return picked.flat()
}

/** Decoder means (probabilities) to grey bytes; disposes `t`. */
export async function toBytes(t: tf.Tensor): Promise<Uint8Array> {
  const values = await t.data()
  t.dispose()
  const out = new Uint8Array(values.length)
  for (let i = 0; i < values.length; i++)
    out[i] = Math.round(Math.min(1, Math.max(0, values[i])) * 255)
  return out
}

function subset(set: ImageSet, indices: number[]): ImageSet {
  const images = new Uint8Array(indices.length * IMAGE_SIZE)
  indices.forEach((i, r) =>
    images.set(set.images.subarray(i * IMAGE_SIZE, (i + 1) * IMAGE_SIZE), r * IMAGE_SIZE)
  )
  return { images, labels: Uint8Array.from(indices, (i) => set.labels[i]), count: indices.length }
}

export async function reconFigure(m: Model, test: ImageSet): Promise<ReconFigure> {
  const indices = pickPerDigit(test.labels, 1, RECON_SELECTION_SEED)
  const chosen = subset(test, indices)
  const means = tf.tidy(() => {
    const x = tf.div(
      tf.tensor2d(chosen.images, [chosen.count, IMAGE_SIZE], 'float32'),
      255
    ) as tf.Tensor2D
    return tf.sigmoid(m.decode(m.encode(x).mu))
  })
  const reconstructions = await toBytes(means)
  return { indices, labels: Array.from(chosen.labels), originals: chosen.images, reconstructions }
}

export async function manifoldFigure(
  m: Model,
  grid = MANIFOLD_GRID,
  [lo, hi] = MANIFOLD_RANGE
): Promise<ManifoldFigure> {
  if (m.latentDim !== 2) throw new Error('the manifold figure needs a 2-D latent space')
  const z = new Float32Array(grid * grid * 2)
  const step = grid > 1 ? (hi - lo) / (grid - 1) : 0
  for (let r = 0; r < grid; r++) {
    for (let c = 0; c < grid; c++) {
      z[(r * grid + c) * 2] = lo + c * step
      z[(r * grid + c) * 2 + 1] = hi - r * step
    }
  }
  const means = tf.tidy(() => tf.sigmoid(m.decode(tf.tensor2d(z, [grid * grid, 2]))))
  const images = await toBytes(means)
  return { grid, range: [lo, hi], images }
}

export async function scatterFigure(m: Model, test: ImageSet): Promise<ScatterFigure> {
  const indices = pickPerDigit(test.labels, SCATTER_PER_DIGIT, SCATTER_SELECTION_SEED)
  const chosen = subset(test, indices)
  return {
    indices,
    labels: Array.from(chosen.labels),
    latentDim: m.latentDim,
    mu: await posteriorMeans(m, chosen)
  }
}

export async function figureData(m: Model, test: ImageSet): Promise<FigureData> {
  return {
    recon: await reconFigure(m, test),
    manifold: m.latentDim === 2 ? await manifoldFigure(m) : null,
    scatter: await scatterFigure(m, test)
  }
}

/**
 * Decoder means on the lattice xs x ys (ys top row first), for manifolds other than the stored
 * one: the paper's Gaussian-quantile spacing, or a range fitted to the data (issue 13).
 */
export async function decodeLattice(
  m: Model,
  xs: readonly number[],
  ys: readonly number[]
): Promise<Uint8Array> {
  if (m.latentDim !== 2) throw new Error('the manifold figure needs a 2-D latent space')
  const z = new Float32Array(xs.length * ys.length * 2)
  ys.forEach((y, r) =>
    xs.forEach((x, c) => {
      z[(r * xs.length + c) * 2] = x
      z[(r * xs.length + c) * 2 + 1] = y
    })
  )
  const means = tf.tidy(() => tf.sigmoid(m.decode(tf.tensor2d(z, [xs.length * ys.length, 2]))))
  return toBytes(means)
}
