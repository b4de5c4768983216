import { describe, expect, it } from 'vitest'
import { TrainConfigSchema } from '../../../../src-main/common/contract'
import { builtinMnistInfo, loadDataset, type Dataset } from '../../../../src-main/core/data/dataset'
import {
  decodeEpochFigures,
  encodeEpochFigures,
  fromFloat16Bits,
  storedBytes,
  toFloat16Bits
} from '../../../../src-main/core/figures/epochFigureCodec'
import type { EpochFigureData } from '../../../../src-main/core/model/epochFigures'
import { trainVae } from '../../../../src-main/core/train/trainer'
import { useBackend } from '../../../helpers/tf'

const KB = 1000
/** Issue 17's budget per epoch. */
const BUDGET = { withoutManifold: 50 * KB, twoD: 400 * KB }

function rng(seed: number) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = Math.imul(a ^ (a >>> 15), a | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** Figure data whose images are noise: nothing compresses, the worst case for the budget. */
function noiseFigures(latentDim: number): EpochFigureData {
  const r = rng(latentDim)
  const bytes = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(r() * 256))
  const labels = Array.from({ length: 240 }, (_, i) => Math.floor(i / 24))
  return {
    recon: {
      indices: Array.from({ length: 10 }, (_, i) => 1000 + i * 7),
      labels: Array.from({ length: 10 }, (_, i) => i),
      originals: bytes(7840),
      reconstructions: bytes(7840)
    },
    manifold:
      latentDim === 2
        ? {
            grid: 20,
            spacing: 'icdf',
            xs: Array.from({ length: 20 }, (_, i) => -1.96 + i * 0.2),
            ys: Array.from({ length: 20 }, (_, i) => 1.96 - i * 0.2),
            images: bytes(400 * 784)
          }
        : null,
    scatter: {
      indices: labels.map((_, i) => 9000 + i),
      labels,
      latentDim,
      mu: Float32Array.from({ length: 240 * latentDim }, () => (r() - 0.5) * 6)
    },
    klPerDim: Array.from({ length: latentDim }, () => r() * 5)
  }
}

describe('float16', () => {
  it('round-trips representable values exactly and others to 3 significant digits', () => {
    for (const v of [0, 1, -2, 0.5, 65504, -0.25, 2 ** -24])
      expect(fromFloat16Bits(toFloat16Bits(v))).toBe(v)
    for (const v of [0.1, -3.14159, 2.71828, 123.456, -0.0123])
      expect(Math.abs(fromFloat16Bits(toFloat16Bits(v)) - v) / Math.abs(v)).toBeLessThan(1e-3)
    expect(fromFloat16Bits(toFloat16Bits(1e6))).toBe(Infinity)
    expect(Number.isNaN(fromFloat16Bits(toFloat16Bits(NaN)))).toBe(true)
  })
})

describe('epoch figure rows', () => {
  it('read back what was written: images exactly, latent means to float16 precision', () => {
    const f = noiseFigures(2)
    const back = decodeEpochFigures(encodeEpochFigures(f))
    expect(back.recon!.indices).toEqual(f.recon.indices)
    expect(Array.from(back.recon!.reconstructions)).toEqual(Array.from(f.recon.reconstructions))
    expect(Array.from(back.recon!.originals)).toEqual(Array.from(f.recon.originals))
    expect(Array.from(back.manifold!.images)).toEqual(Array.from(f.manifold!.images))
    expect(back.manifold!.xs).toEqual(f.manifold!.xs)
    expect(back.scatter!.labels).toEqual(f.scatter.labels)
    back.scatter!.mu.forEach((v, i) => expect(Math.abs(v - f.scatter.mu[i])).toBeLessThan(4e-3))
    back.klPerDim!.forEach((v, i) => expect(v).toBeCloseTo(f.klPerDim[i], 5))
  })

  it('stays within the budget per epoch even when nothing compresses', () => {
    expect(storedBytes(encodeEpochFigures(noiseFigures(2)))).toBeLessThan(BUDGET.twoD)
    for (const d of [5, 10, 50, 64, 200, 1024])
      expect(storedBytes(encodeEpochFigures(noiseFigures(d)))).toBeLessThan(BUDGET.withoutManifold)
  })

  it('thins the scatter set above 66 latent dims, keeping every class', () => {
    const back = decodeEpochFigures(encodeEpochFigures(noiseFigures(200)))
    expect(back.scatter!.labels.length).toBeLessThan(240)
    expect(new Set(back.scatter!.labels).size).toBe(10)
    expect(back.scatter!.mu.length).toBe(back.scatter!.labels.length * 200)
  })

  it('costs less than the budget per epoch for runs trained on MNIST (2-D and 50-D)', async () => {
    const env = await useBackend('wasm')
    const mnist = loadDataset(builtinMnistInfo())
    const data: Dataset = { ...mnist, name: 'mnist' }
    const sizes: Record<string, number[]> = {}
    for (const latentDim of [2, 50]) {
      const cfg = TrainConfigSchema.parse({
        latentDim,
        hidden: 64,
        epochs: 2,
        batchSize: 100,
        limitTrain: 1000,
        limitTest: 1000
      })
      const bytes: number[] = []
      await trainVae(cfg, data, env, {
        onEpoch: (_m, _c, figures) => {
          bytes.push(storedBytes(encodeEpochFigures(figures!)))
        }
      })
      sizes[latentDim] = bytes
    }
    console.log(`stored bytes per epoch: ${JSON.stringify(sizes)}`)
    expect(sizes[2]).toHaveLength(2)
    for (const b of sizes[2]) expect(b).toBeLessThan(BUDGET.twoD)
    for (const b of sizes[50]) expect(b).toBeLessThan(BUDGET.withoutManifold)
  })
})
