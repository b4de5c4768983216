// Honest evaluation of a trained VAE: the ELBO split into rec and KL (overall and per digit),
// the importance-weighted bound of Burda et al. (2015), and active units.
import * as tf from '@tensorflow/tfjs-core'
import type { ActiveUnitsReport, IwaeReport, LossParts } from '../../common/contract'
import { IMAGE_SIZE, type ImageSet } from '../data/dataset'
import { fillBatch } from '../data/pixels'
import { deriveSeed, range } from '../train/random'
import { bernoulliRec, gaussianKl, logImportanceWeight } from './loss'
import { reparameterize } from './vae'
import type { VaeModel } from './vaeModel'

/** Any architecture: evaluation needs only q(z|x) and p(x|z). */
export type Model = VaeModel

const EVAL_ROWS = 500 // fixed chunk shape: the wasm heap never shrinks (pitfalls.md §1)
// A set smaller than a chunk is one chunk of its own size (small test sets, and the slow cpu
// backend, need not pad to 500 rows); seeded draws are prefixes of each other, so the numbers
// of its images do not change.
const chunkRows = (set: ImageSet) => Math.max(1, Math.min(EVAL_ROWS, set.count))
const STREAM_EVAL_EPS = 11
const STREAM_IWAE_EPS = 12

/**
 * Calls `compute` for each fixed-size chunk of `set` (zero-padded) and hands its result's values to
 * `use` with the chunk's start and number of real rows. Values are read asynchronously (GPU backends).
 */
async function forEachChunk(
  set: ImageSet,
  rows: number,
  compute: (x: tf.Tensor2D, chunk: number) => tf.Tensor,
  use: (values: Float32Array, start: number, real: number) => void
): Promise<void> {
  const order = range(set.count)
  const buf = new Float32Array(rows * IMAGE_SIZE)
  for (let start = 0, chunk = 0; start < set.count; start += rows, chunk++) {
    const real = fillBatch(set, order, start, buf)
    const result = tf.tidy(() => compute(tf.tensor2d(buf, [rows, IMAGE_SIZE]), chunk))
    try {
      use((await result.data()) as Float32Array, start, real)
    } finally {
      result.dispose()
    }
  }
}

export interface NelboReport {
  overall: LossParts
  perDigit: (LossParts | null)[]
  /** Mean KL(q(z_j|x) || N(0, 1)) over the set per latent dim j, in nats (the active-units bars). */
  klPerDim: number[]
  /** Var over the set of E_q[z_j|x] per latent dim j: Burda et al.'s activity statistic. */
  muVariance: number[]
}

/**
 * -ELBO with one posterior sample per image, in nats per image; eps is seeded for comparability.
 * The same pass gives the KL per latent dim and the variance of the posterior means, so the
 * per-epoch figures and the active units need no pass of their own over the test set.
 */
export async function evaluateNelbo(m: Model, set: ImageSet, seed: number): Promise<NelboReport> {
  const sums = Array.from({ length: 10 }, () => ({ rec: 0, kl: 0, n: 0 }))
  const d = m.latentDim
  const klDim = new Float64Array(d)
  const muSum = new Float64Array(d)
  const muSq = new Float64Array(d)
  const rows = chunkRows(set)
  await forEachChunk(
    set,
    rows,
    (x, chunk) => {
      const { mu, logVar } = m.encode(x)
      const eps = tf.randomNormal(
        [rows, d],
        0,
        1,
        'float32',
        deriveSeed(seed, STREAM_EVAL_EPS, chunk)
      )
      const logits = m.decode(reparameterize(mu, logVar, eps as tf.Tensor2D))
      // [rec (rows), KL (rows), mu (rows x d), log sigma^2 (rows x d)]
      return tf.concat([
        bernoulliRec(logits, x),
        gaussianKl(mu, logVar),
        tf.reshape(mu, [rows * d]),
        tf.reshape(logVar, [rows * d])
      ])
    },
    (values, start, real) => {
      const mus = 2 * rows
      const logVars = mus + rows * d
      for (let r = 0; r < real; r++) {
        const s = sums[set.labels[start + r]]
        s.rec += values[r]
        s.kl += values[rows + r]
        s.n += 1
        for (let j = 0; j < d; j++) {
          const mu = values[mus + r * d + j]
          const lv = values[logVars + r * d + j]
          klDim[j] += -0.5 * (1 + lv - mu * mu - Math.exp(lv))
          muSum[j] += mu
          muSq[j] += mu * mu
        }
      }
    }
  )
  const parts = (rec: number, kl: number, n: number): LossParts => ({
    nelbo: (rec + kl) / n,
    rec: rec / n,
    kl: kl / n
  })
  const total = sums.reduce((a, s) => ({ rec: a.rec + s.rec, kl: a.kl + s.kl, n: a.n + s.n }), {
    rec: 0,
    kl: 0,
    n: 0
  })
  const n = Math.max(1, total.n)
  return {
    overall: parts(total.rec, total.kl, total.n),
    perDigit: sums.map((s) => (s.n > 0 ? parts(s.rec, s.kl, s.n) : null)),
    klPerDim: Array.from(klDim, (v) => v / n),
    muVariance: Array.from(muSum, (v, j) => Math.max(0, muSq[j] / n - (v / n) ** 2))
  }
}

/**
 * Burda et al. (2015): log p(x) >= log (1/k) sum_s p(x, z_s) / q(z_s|x), z_s ~ q(z|x),
 * computed with log-sum-exp. k = 1 is the ELBO; the bound tightens as k grows.
 */
export async function iwaeBound(
  m: Model,
  set: ImageSet,
  k: number,
  seed: number
): Promise<IwaeReport> {
  // Rows per pass stay near the model's evalRows (4,000 for the MLP) whatever k is: large k is
  // split into passes over the samples, combined with a running log-sum-exp, so memory does not
  // grow with k.
  const samplesPerPass = Math.min(k, m.evalRows)
  const passes = Math.ceil(k / samplesPerPass)
  const imagesPerChunk = Math.max(1, Math.floor(m.evalRows / samplesPerPass))
  let total = 0
  await forEachChunk(
    set,
    imagesPerChunk,
    (x, chunk) => {
      const { mu, logVar } = m.encode(x)
      let logSum: tf.Tensor1D | null = null
      for (let p = 0; p < passes; p++) {
        const s = Math.min(samplesPerPass, k - p * samplesPerPass)
        const passSum = tf.tidy(() => {
          // Row i*s + j is sample j of image i.
          const repeat = (t: tf.Tensor2D) =>
            tf.reshape(tf.tile(t, [1, s]), [imagesPerChunk * s, t.shape[1]]) as tf.Tensor2D
          const muK = repeat(mu)
          const logVarK = repeat(logVar)
          const eps = tf.randomNormal(
            muK.shape,
            0,
            1,
            'float32',
            deriveSeed(seed, STREAM_IWAE_EPS, chunk * passes + p)
          ) as tf.Tensor2D
          const z = reparameterize(muK, logVarK, eps)
          const logW = logImportanceWeight(m.decode(z), repeat(x), z, eps, logVarK)
          const passLse = tf.logSumExp(tf.reshape(logW, [imagesPerChunk, s]), 1) as tf.Tensor1D
          return logSum === null
            ? passLse
            : (tf.logSumExp(tf.stack([logSum, passLse]), 0) as tf.Tensor1D)
        })
        logSum?.dispose()
        logSum = passSum
      }
      return tf.sub(logSum as tf.Tensor1D, Math.log(k))
    },
    (values, _start, real) => {
      for (let r = 0; r < real; r++) total += values[r]
    }
  )
  return { k, images: set.count, nll: -total / set.count }
}

/** Posterior means E_q[z|x] for every image of the set, [count, latent] row-major. */
export async function posteriorMeans(m: Model, set: ImageSet): Promise<Float32Array> {
  const out = new Float32Array(set.count * m.latentDim)
  await forEachChunk(
    set,
    chunkRows(set),
    (x) => m.encode(x).mu,
    (values, start, real) => out.set(values.subarray(0, real * m.latentDim), start * m.latentDim)
  )
  return out
}

/** Burda et al. (2015): latent j is active if Var_x(E_q[z_j|x]) exceeds the threshold (0.01). */
export function activeUnitsOf(variances: readonly number[], threshold = 0.01): ActiveUnitsReport {
  return {
    threshold,
    active: variances.filter((v) => v > threshold).length,
    variances: [...variances]
  }
}

/** Active units from a pass of their own (evaluateNelbo's muVariance gives the same). */
export async function activeUnits(
  m: Model,
  set: ImageSet,
  threshold = 0.01
): Promise<ActiveUnitsReport> {
  const mu = await posteriorMeans(m, set)
  const d = m.latentDim
  const n = set.count
  // Two passes over the rows in memory order (the same sums per unit as column by column, 10x faster).
  const mean = new Float64Array(d)
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += mu[i * d + j]
  for (let j = 0; j < d; j++) mean[j] /= n
  const sq = new Float64Array(d)
  for (let i = 0; i < n; i++)
    for (let j = 0; j < d; j++) {
      const e = mu[i * d + j] - mean[j]
      sq[j] += e * e
    }
  return activeUnitsOf(
    Array.from(sq, (v) => v / n),
    threshold
  )
}
