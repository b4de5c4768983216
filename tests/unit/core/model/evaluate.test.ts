import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { TrainConfigSchema } from '../../../../src-main/common/contract'
import type { ActiveBackend } from '../../../../src-main/core/backend/backends'
import {
  activeUnits,
  activeUnitsOf,
  evaluateNelbo,
  iwaeBound,
  type Model
} from '../../../../src-main/core/model/evaluate'
import {
  figureData,
  manifoldFigure,
  pickPerDigit
} from '../../../../src-main/core/model/figureData'
import { klPerDim } from '../../../../src-main/core/model/epochFigures'
import { latentModel } from '../../../../src-main/core/model/latentModel'
import { createVaeModel } from '../../../../src-main/core/model/vaeModel'
import { modelFromCheckpoint } from '../../../../src-main/core/train/checkpoint'
import { trainVae } from '../../../../src-main/core/train/trainer'
import { syntheticSet } from '../../../helpers/fixtures'
import { useBackend } from '../../../helpers/tf'

let env: ActiveBackend
let trained: Model
const test = syntheticSet(300, 5)

beforeAll(async () => {
  env = await useBackend('wasm')
  const cfg = TrainConfigSchema.parse({
    latentDim: 2,
    hidden: 32,
    batchSize: 50,
    epochs: 4,
    lr: 3e-3
  })
  const outcome = await trainVae(cfg, { name: 's', train: syntheticSet(600, 4), test }, env)
  trained = modelFromCheckpoint({ ...cfg, seed: 99 }, outcome.weights!, 'final weights', env)
})

describe('evaluateNelbo', () => {
  it('splits -ELBO into rec + KL, overall and per digit, weighting digits by their counts', async () => {
    const r = await evaluateNelbo(trained, test, 1)
    expect(r.overall.rec + r.overall.kl).toBeCloseTo(r.overall.nelbo, 6)
    const counts = Array.from({ length: 10 }, (_, d) => test.labels.filter((l) => l === d).length)
    const weighted = r.perDigit.reduce((a, p, d) => a + (p?.nelbo ?? 0) * counts[d], 0) / test.count
    expect(weighted).toBeCloseTo(r.overall.nelbo, 4)
  })

  it('gives, from the same pass, the KL per dim and the active units of their own passes', async () => {
    // Latent 5 on 700 images: the second 500-row chunk is padded, and its padding must not count.
    const m = createVaeModel({ arch: 'mlp', hidden: [32], latentDim: 5 }, 'torch', 3, env)
    const set = syntheticSet(700, 9)
    const r = await evaluateNelbo(m, set, 1)
    const own = await klPerDim(latentModel(m), set)
    expect(r.klPerDim).toHaveLength(5)
    r.klPerDim.forEach((v, j) => expect(v).toBeCloseTo(own[j], 5))
    // The dims' KL adds up to the overall KL term.
    expect(r.klPerDim.reduce((a, b) => a + b, 0)).toBeCloseTo(r.overall.kl, 4)
    const units = await activeUnits(m, set)
    r.muVariance.forEach((v, j) => expect(v).toBeCloseTo(units.variances[j], 6))
    expect(activeUnitsOf(r.muVariance).active).toBe(units.active)
  })

  it('gives null for a digit absent from the set', async () => {
    const onlyOnes = { ...test, labels: test.labels.map(() => 1) }
    const r = await evaluateNelbo(trained, onlyOnes, 1)
    expect(r.perDigit.filter((p) => p !== null)).toHaveLength(1)
    expect(r.perDigit[1]).not.toBeNull()
  })
})

describe('iwaeBound', () => {
  it('equals the ELBO in expectation for k = 1 and is tighter (lower -log p) for larger k', async () => {
    const elbo = (await evaluateNelbo(trained, test, 3)).overall.nelbo
    const k1 = (await iwaeBound(trained, test, 1, 3)).nll
    const k50 = (await iwaeBound(trained, test, 50, 3)).nll
    expect(Math.abs(k1 - elbo)).toBeLessThan(0.02 * elbo)
    expect(k50).toBeLessThan(k1)
    expect(k50).toBeGreaterThan(0)
  })

  it('splits k above 4,000 into passes (memory stays bounded) and still gives a tighter bound', async () => {
    const few = {
      ...test,
      count: 3,
      images: test.images.subarray(0, 3 * 784),
      labels: test.labels.subarray(0, 3)
    }
    const before = tf.memory().numTensors
    const big = await iwaeBound(trained, few, 9000, 4)
    expect(tf.memory().numTensors).toBe(before)
    const one = await iwaeBound(trained, few, 1, 4)
    expect(Number.isFinite(big.nll)).toBe(true)
    expect(big.nll).toBeLessThan(one.nll + 1)
  })

  it('frees its tensors', async () => {
    const before = tf.memory().numTensors
    await iwaeBound(trained, test, 7, 1)
    expect(tf.memory().numTensors).toBe(before)
  })
})

describe('activeUnits', () => {
  it('counts latents whose posterior mean varies across images by more than 0.01', async () => {
    const r = await activeUnits(trained, test)
    expect(r.variances).toHaveLength(2)
    expect(r.active).toBe(r.variances.filter((v) => v > 0.01).length)
  })

  it('finds no active unit when the encoder ignores its input', async () => {
    const dead = createVaeModel({ arch: 'mlp', hidden: [32], latentDim: 3 }, 'glorot', 1, env)
    const W2 = dead.params.find((p) => p.name === 'W2')!.variable // mu's weights
    W2.assign(tf.zeros(W2.shape))
    expect((await activeUnits(dead, test)).active).toBe(0)
  })
})

describe('figure data', () => {
  it('picks the same images for the same seed, one per digit in order', async () => {
    const a = pickPerDigit(test.labels, 1, 6)
    expect(a).toEqual(pickPerDigit(test.labels, 1, 6))
    expect(a.map((i) => test.labels[i])).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9])
  })

  it('draws reconstructions, a 20x20 manifold for 2-D runs and 24 latent means per digit', async () => {
    const f = await figureData(trained, test)
    expect(f.recon.originals.length).toBe(10 * 784)
    expect(f.recon.reconstructions.length).toBe(10 * 784)
    expect(Math.max(...f.recon.reconstructions)).toBeGreaterThan(10) // not blank
    expect(new Set(f.recon.reconstructions).size).toBeGreaterThan(10)
    expect(f.manifold?.images.length).toBe(400 * 784)
    expect(f.scatter.labels.length).toBeLessThanOrEqual(240)
    expect(f.scatter.mu.length).toBe(f.scatter.labels.length * 2)
  })

  it('refuses a manifold for a latent space that is not 2-D', async () => {
    await expect(manifoldFigure({ ...trained, latentDim: 5 })).rejects.toThrow(
      'needs a 2-D latent space'
    )
  })
})
