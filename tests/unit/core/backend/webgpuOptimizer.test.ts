import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src-main/core/backend/backends'
import {
  createWebGpuOptimizer,
  WebGpuAdagrad,
  WebGpuAdam
} from '../../../../src-main/core/backend/webgpuOptimizer'
import { adamBetaPowers } from '../../../../src-main/core/train/optimizers'
import { webGpuHere } from '../../../helpers/webgpu'

const gpu = await webGpuHere('webgpuOptimizer.test.ts')

function rng(seed: number) {
  let s = seed >>> 0
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1
}
const SHAPES = [[1], [7, 3], [130, 17], [5000]]
let counter = 0

function variables(seed: number): tf.Variable[] {
  const r = rng(seed)
  return SHAPES.map((shape) => {
    const n = shape.reduce((a, b) => a * b, 1)
    const t = tf.tensor(Float32Array.from({ length: n }, r), shape)
    const v = tf.variable(t, true, `opt-test-${seed}-${++counter}`)
    t.dispose()
    return v
  })
}

/** Five steps of random gradients (the same for both optimisers); returns values and slots. */
async function steps(opt: tf.Optimizer, vars: tf.Variable[], seed: number) {
  const r = rng(seed)
  for (let s = 0; s < 5; s++) {
    const grads = vars.map((v) => ({
      name: v.name,
      tensor: tf.tensor(
        Float32Array.from({ length: v.size }, () => r() * 3),
        v.shape
      )
    }))
    opt.applyGradients(grads)
    tf.dispose(grads.map((g) => g.tensor))
  }
  const weights = await opt.getWeights()
  return {
    values: await Promise.all(vars.map((v) => v.data())),
    names: weights.map((w) => w.name),
    slots: await Promise.all(weights.map((w) => w.tensor.data())),
    iterations: opt.iterations,
    weights
  }
}

function maxRel(a: ArrayLike<number>, b: ArrayLike<number>) {
  let worst = 0
  for (let i = 0; i < a.length; i++)
    worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])))
  return worst
}

describe.skipIf(gpu.skip)('fused Adam and Adagrad on webgpu', () => {
  beforeAll(async () => {
    await initBackend('webgpu')
  })

  for (const kind of ['adam', 'adagrad'] as const) {
    it(`${kind}: matches tfjs's own optimiser (values, slots, names, iterations) on random shapes`, async () => {
      const stockVars = variables(1)
      const fusedVars = variables(1)
      const stock = kind === 'adam' ? tf.train.adam(0.01) : tf.train.adagrad(0.05, 1e-8)
      const fused = createWebGpuOptimizer({
        kind,
        learningRate: kind === 'adam' ? 0.01 : 0.05,
        initialAccumulatorValue: 1e-8
      })
      expect(fused).toBeInstanceOf(kind === 'adam' ? WebGpuAdam : WebGpuAdagrad)
      const a = await steps(stock, stockVars, 9)
      const b = await steps(fused, fusedVars, 9)
      expect(b.iterations).toBe(a.iterations)
      expect(b.names.map((n) => n.replace(/opt-test-1-\d+/, 'v'))).toEqual(
        a.names.map((n) => n.replace(/opt-test-1-\d+/, 'v'))
      )
      for (let i = 0; i < SHAPES.length; i++)
        expect(maxRel(b.values[i], a.values[i]), `variable ${i}`).toBeLessThan(1e-6)
      for (let i = 1; i < a.slots.length; i++)
        expect(maxRel(b.slots[i], a.slots[i]), `slot ${a.names[i]}`).toBeLessThan(1e-6)
      if (kind === 'adam') expect(await adamBetaPowers(fused)).toEqual(await adamBetaPowers(stock))
      for (const w of [...a.weights, ...b.weights]) if (w.name === 'iter') w.tensor.dispose()
      stock.dispose()
      fused.dispose()
      tf.dispose([...stockVars, ...fusedVars])
    })
  }

  it('restores from the stock optimiser weights (a checkpoint of another backend) and continues alike', async () => {
    const stockVars = variables(2)
    const fusedVars = variables(2)
    const stock = tf.train.adam(0.01)
    await steps(stock, stockVars, 3)
    const saved = await stock.getWeights()
    const fused = createWebGpuOptimizer({ kind: 'adam', learningRate: 0.01 })
    await fused.setWeights(saved.map((w) => ({ name: w.name, tensor: tf.clone(w.tensor) })))
    for (let i = 0; i < SHAPES.length; i++) fusedVars[i].assign(stockVars[i])
    const a = await steps(stock, stockVars, 4)
    const b = await steps(fused, fusedVars, 4)
    for (let i = 0; i < SHAPES.length; i++)
      expect(maxRel(b.values[i], a.values[i])).toBeLessThan(1e-5)
    stock.dispose()
    fused.dispose()
    tf.dispose([...stockVars, ...fusedVars])
  })

  it('updates in place without touching a tensor that shares the variable data', async () => {
    const t = tf.tensor1d([1, 2, 3])
    const v = tf.variable(t, true, `shared-${++counter}`) // shares t's data until the first update
    const opt = createWebGpuOptimizer({
      kind: 'adagrad',
      learningRate: 1,
      initialAccumulatorValue: 0
    })
    const g = tf.tensor1d([1, 1, 1])
    opt.applyGradients([{ name: v.name, tensor: g }])
    expect(Array.from(await t.data())).toEqual([1, 2, 3])
    const after = await v.data()
    for (let i = 0; i < 3; i++) expect(after[i]).toBeCloseTo(i, 5) // w - 1 * g / sqrt(g^2)
    opt.dispose()
    tf.dispose([t, v, g])
  })

  it('drops the CPU copy an earlier read cached, so the next read sees the update', async () => {
    // Computed on the GPU (tfjs runs tensors under 1,000 elements on the CPU), then read back.
    const t = tf.mul(tf.ones([2000]), 3)
    const v = tf.variable(t, true, `cached-${++counter}`)
    t.dispose() // the variable owns its data alone: updated in place
    expect((await v.data())[0]).toBe(3) // caches a CPU copy
    const opt = createWebGpuOptimizer({
      kind: 'adagrad',
      learningRate: 1,
      initialAccumulatorValue: 0
    })
    const g = tf.ones([2000])
    opt.applyGradients([{ name: v.name, tensor: g }])
    expect((await v.data())[1999]).toBeCloseTo(2, 5) // w - 1 * g / sqrt(g^2)
    opt.dispose()
    tf.dispose([v, g])
  })

  it('refuses a gradient of the wrong size', () => {
    const v = tf.variable(tf.zeros([4]), true, `wrong-${++counter}`)
    const opt = createWebGpuOptimizer({ kind: 'adam', learningRate: 0.1 })
    const g = tf.zeros([3])
    expect(() => opt.applyGradients([{ name: v.name, tensor: g }])).toThrow(/own size/)
    opt.dispose()
    tf.dispose([v, g])
  })
})
