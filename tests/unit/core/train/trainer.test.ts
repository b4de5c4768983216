import * as tf from '@tensorflow/tfjs-core'
import { describe, expect, it } from 'vitest'
import { TrainConfigSchema, type TrainConfigInput } from '../../../../src-main/common/contract'
import type { Dataset } from '../../../../src-main/core/data/dataset'
import { trainVae, type TrainOutcome } from '../../../../src-main/core/train/trainer'
import { unpackTensors } from '../../../../src-main/core/train/checkpoint'
import type { EpochMetrics } from '../../../../src-main/common/contract'
import { loadBlasAddon } from '../../../../src-main/core/backend/blasKernels'
import { syntheticSet } from '../../../helpers/fixtures'
import { useBackend } from '../../../helpers/tf'

const data: Dataset = { name: 'synthetic', train: syntheticSet(400, 1), test: syntheticSet(120, 2) }
const small = (over: Partial<TrainConfigInput> = {}) =>
  TrainConfigSchema.parse({ latentDim: 2, hidden: 24, batchSize: 50, epochs: 2, ...over })

async function train(backend: 'cpu' | 'wasm' | 'wasm-blas', over: Partial<TrainConfigInput> = {}) {
  const env = await useBackend(backend)
  const epochs: EpochMetrics[] = []
  const outcome = await trainVae(small(over), data, env, { onEpoch: (m) => epochs.push(m) })
  return { outcome, epochs }
}

describe('trainVae', () => {
  it('learns: the test -ELBO falls and rec + KL add up to it', async () => {
    const { outcome, epochs } = await train('wasm', { epochs: 3, lr: 3e-3 })
    expect(outcome.status).toBe('completed')
    expect(epochs.map((e) => e.epoch)).toEqual([1, 2, 3])
    expect(epochs[2].test.nelbo).toBeLessThan(epochs[0].test.nelbo)
    for (const e of epochs) expect(e.test.rec + e.test.kl).toBeCloseTo(e.test.nelbo, 6)
    expect(outcome.evaluation?.testPerDigit.filter((d) => d !== null)).toHaveLength(10)
  })

  it('gives identical numbers for the same seed and backend, and different ones for another seed (wasm)', async () => {
    const a = await train('wasm', { seed: 7 })
    const b = await train('wasm', { seed: 7 })
    const c = await train('wasm', { seed: 8 })
    expect(b.epochs).toEqual(
      a.epochs.map((e) => ({
        ...e,
        imgPerSec: b.epochs[e.epoch - 1].imgPerSec,
        seconds: b.epochs[e.epoch - 1].seconds
      }))
    )
    expect(c.epochs[1].test.nelbo).not.toBe(a.epochs[1].test.nelbo)
  })

  it('gives identical numbers for the same seed on cpu too', async () => {
    const a = await train('cpu', { seed: 3, epochs: 1 })
    const b = await train('cpu', { seed: 3, epochs: 1 })
    expect(b.epochs[0].train).toEqual(a.epochs[0].train)
    expect(b.epochs[0].test).toEqual(a.epochs[0].test)
  })

  it('stops as diverged, with a message and the finished epochs kept, when the loss becomes NaN', async () => {
    const { outcome, epochs } = await train('wasm', { lr: 1e30, epochs: 3 })
    expect(outcome.status).toBe('diverged')
    expect(outcome.message).toMatch(
      /loss became (NaN|Infinity|-Infinity) at epoch \d+, batch \d+; try a lower learning rate/
    )
    expect(epochs.length).toBe(outcome.epochsDone)
  })

  it('stops when cancelled and reports it', async () => {
    const env = await useBackend('wasm')
    let batches = 0
    const outcome: TrainOutcome = await trainVae(small({ epochs: 5 }), data, env, {
      onBatch: () => batches++,
      isCancelled: () => batches >= 3
    })
    expect(outcome.status).toBe('cancelled')
    expect(batches).toBe(3)
  })

  it('keeps tensor count flat over many steps and frees everything at the end', async () => {
    await useBackend('wasm')
    const before = tf.memory().numTensors
    const counts: number[] = []
    const env = await useBackend('wasm')
    await trainVae(small({ epochs: 6 }), data, env, {
      onBatch: () => counts.push(tf.memory().numTensors)
    })
    expect(counts.length).toBe(48)
    expect(Math.max(...counts.slice(8))).toBe(Math.min(...counts.slice(8)))
    expect(tf.memory().numTensors).toBe(before)
  })

  it('checkpoints weights and optimiser state every epoch', async () => {
    const env = await useBackend('wasm')
    const blobs: Uint8Array[] = []
    await trainVae(small({ epochs: 2 }), data, env, { onEpoch: (_m, c) => blobs.push(c) })
    expect(blobs).toHaveLength(2)
    const names = unpackTensors(blobs[1]).map((t) => t.name)
    expect(names.slice(0, 10)).toEqual(['W1', 'b1', 'W2', 'b2', 'W3', 'b3', 'W4', 'b4', 'W5', 'b5'])
    expect(names.some((n) => n.startsWith('opt/'))).toBe(true)
  })

  it('supports beta, L samples, weight decay and binarised pixels', async () => {
    for (const over of [
      { beta: 4 },
      { samples: 3 },
      { weightDecay: 1 / 400 },
      { pixels: 'dynamic' as const },
      { pixels: 'static' as const },
      { optimizer: 'adagrad' as const }
    ]) {
      const { outcome, epochs } = await train('wasm', { ...over, epochs: 1 })
      expect(outcome.status, JSON.stringify(over)).toBe('completed')
      expect(Number.isFinite(epochs[0].test.nelbo)).toBe(true)
    }
  })

  const blas = loadBlasAddon()
  if (!blas.ok) console.warn(`skipping the wasm-blas agreement test: ${blas.reason}`)
  it('reaches the same test -ELBO on cpu as on wasm (different kernels, same model)', async () => {
    const wasm = await train('wasm', { seed: 5, epochs: 2 })
    const cpu = await train('cpu', { seed: 5, epochs: 2 })
    for (let e = 0; e < 2; e++)
      expect(Math.abs(cpu.epochs[e].test.nelbo - wasm.epochs[e].test.nelbo)).toBeLessThan(
        1e-3 * wasm.epochs[e].test.nelbo
      )
  })

  it.skipIf(!blas.ok)(
    'reaches the same test -ELBO on wasm-blas (native kernels, fused Adam) as on wasm',
    async () => {
      const wasm = await train('wasm', { seed: 5, epochs: 2 })
      const env = await useBackend('wasm-blas')
      expect(env.blas).not.toBeNull()
      const epochs: EpochMetrics[] = []
      await trainVae(small({ seed: 5, epochs: 2 }), data, env, { onEpoch: (m) => epochs.push(m) })
      for (let e = 0; e < 2; e++) {
        expect(Math.abs(epochs[e].test.nelbo - wasm.epochs[e].test.nelbo)).toBeLessThan(
          1e-3 * wasm.epochs[e].test.nelbo
        )
        expect(Math.abs(epochs[e].train.nelbo - wasm.epochs[e].train.nelbo)).toBeLessThan(
          1e-3 * wasm.epochs[e].train.nelbo
        )
      }
    }
  )

  it.skipIf(!blas.ok)(
    'agrees with wasm on wasm-blas with L samples, beta, weight decay, dynamic pixels and Adagrad',
    async () => {
      // Exercises the fused kernels on tiled rows, the native broadcast kernels and fused Adagrad.
      const over = {
        seed: 6,
        epochs: 2,
        samples: 3,
        beta: 0.5,
        weightDecay: 1e-3,
        pixels: 'dynamic',
        optimizer: 'adagrad'
      } as const
      const wasm = await train('wasm', over)
      const native = await train('wasm-blas', over)
      for (let e = 0; e < 2; e++) {
        for (const k of ['nelbo', 'rec', 'kl'] as const) {
          expect(Math.abs(native.epochs[e].test[k] - wasm.epochs[e].test[k])).toBeLessThan(
            1e-3 * Math.abs(wasm.epochs[e].test.nelbo)
          )
          expect(Math.abs(native.epochs[e].train[k] - wasm.epochs[e].train[k])).toBeLessThan(
            1e-3 * Math.abs(wasm.epochs[e].train.nelbo)
          )
        }
      }
    }
  )

  for (const backend of ['wasm', 'cpu', 'wasm-blas'] as const) {
    it.skipIf(backend === 'wasm-blas' && !blas.ok)(
      `resumed from an epoch checkpoint, ends with exactly the numbers of an uninterrupted run (${backend})`,
      async () => {
        const whole = await train(backend, { seed: 9, epochs: 4 })
        const env = await useBackend(backend)
        const checkpoints: Uint8Array[] = []
        await trainVae(small({ seed: 9, epochs: 2 }), data, env, {
          onEpoch: (_m, c) => checkpoints.push(c)
        })
        const later: EpochMetrics[] = []
        const outcome = await trainVae(
          small({ seed: 9, epochs: 4 }),
          data,
          env,
          { onEpoch: (m) => later.push(m) },
          { epoch: 2, tensors: checkpoints[1] }
        )
        expect(later.map((m) => m.epoch)).toEqual([3, 4])
        for (const m of later) {
          expect(m.train).toEqual(whole.epochs[m.epoch - 1].train)
          expect(m.test).toEqual(whole.epochs[m.epoch - 1].test)
        }
        expect(outcome.evaluation?.test).toEqual(whole.outcome.evaluation?.test)
      }
    )
  }

  it('refuses a training set smaller than one batch', async () => {
    const env = await useBackend('wasm')
    await expect(trainVae(small({ limitTrain: 10 }), data, env)).rejects.toThrow(
      'the training set has 10 images, fewer than one batch of 50'
    )
  })
})
