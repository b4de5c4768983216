// The native add-on never writes outside the tensors it is given (issue 12, finding 4): ranges
// are checked per tensor, optimiser slots against their variables (at restore and at each call),
// an output may not overlap an input, and hyper-parameters are checked in C as well.
import * as tf from '@tensorflow/tfjs-core'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src-main/core/backend/backends'
import {
  heapRange,
  installBlasKernels,
  loadBlasAddon,
  wasmInternals,
  type BlasAddon
} from '../../../../src-main/core/backend/blasKernels'
import { createFusedOptimizer } from '../../../../src-main/core/backend/fusedOptimizer'
import { VaeLabError } from '../../../../src-main/common/errors'
import { checkOptimizerState, type TensorRecord } from '../../../../src-main/core/train/checkpoint'
import { createVaeParams, disposeParams } from '../../../../src-main/core/model/vae'

const load = loadBlasAddon()
const addon = (load.ok ? load.addon : undefined) as BlasAddon
if (!load.ok) console.warn(`native safety tests skipped: ${load.reason}`)

/** A heap of `floats` float32 values, each its own index. */
function heap(floats: number) {
  const f = Float32Array.from({ length: floats }, (_, i) => i)
  return { f, bytes: new Uint8Array(f.buffer) }
}

describe.skipIf(!load.ok)('the add-on, called directly', () => {
  it('refuses an sgemm output that overlaps an input', () => {
    const { bytes } = heap(64)
    // A: 2x2 at float 0, B: 2x2 at float 8; C: 2x2 at float 2 overlaps A, at float 8 is B.
    expect(() => addon.sgemm(bytes, false, false, 2, 2, 2, 1, 0, 0, 32, 0, 8)).toThrow(
      'sgemm: the output overlaps an input'
    )
    expect(() => addon.sgemm(bytes, false, false, 2, 2, 2, 1, 0, 0, 32, 0, 32)).toThrow(
      'sgemm: the output overlaps an input'
    )
    expect(() => addon.sgemm(bytes, false, false, 2, 2, 2, 1, 0, 0, 32, 0, 64)).not.toThrow()
  })

  it.each([
    [[NaN, 0.9, 0.999, 1e-7, 0.9, 0.999], 'learning rate'],
    [[-1e-3, 0.9, 0.999, 1e-7, 0.9, 0.999], 'learning rate'],
    [[Infinity, 0.9, 0.999, 1e-7, 0.9, 0.999], 'learning rate'],
    [[1e-3, 1, 0.999, 1e-7, 0.9, 0.999], 'beta1 and beta2'],
    [[1e-3, 0.9, NaN, 1e-7, 0.9, 0.999], 'beta1 and beta2'],
    [[1e-3, 0.9, 0.999, 0, 0.9, 0.999], 'epsilon'],
    [[1e-3, 0.9, 0.999, 1e-7, 1, 0.999], 'beta powers'],
    [[1e-3, 0.9, 0.999, 1e-7, 0.9, NaN], 'beta powers']
  ])(
    'refuses Adam hyper-parameters %j that would make weights NaN or infinite (%s)',
    (hp, what) => {
      const { f, bytes } = heap(16)
      const before = Float32Array.from(f)
      const [lr, b1, b2, eps, p1, p2] = hp
      expect(() => addon.adam(bytes, 4, 0, 16, 32, 48, lr, b1, b2, eps, p1, p2)).toThrow(what)
      expect(f).toEqual(before)
    }
  )

  it('refuses an Adagrad learning rate or epsilon that is NaN, infinite or not positive', () => {
    const { f, bytes } = heap(12)
    const before = Float32Array.from(f)
    for (const [lr, eps] of [
      [NaN, 1e-7],
      [0, 1e-7],
      [1e-2, NaN],
      [1e-2, -1]
    ])
      expect(() => addon.adagrad(bytes, 4, 0, 16, 32, lr, eps)).toThrow(/adagrad: /)
    expect(f).toEqual(before)
    addon.adagrad(bytes, 4, 0, 16, 32, 1e-2, 1e-7)
    expect(f).not.toEqual(before)
  })
})

describe.skipIf(!load.ok)('the kernels and the fused optimiser on the wasm backend', () => {
  beforeAll(async () => {
    await initBackend('wasm')
    installBlasKernels(addon, { threads: 1 })
  })

  it('checks a range against its own tensor, not only against the heap', () => {
    const backend = wasmInternals()
    const t = tf.zeros([10])
    expect(heapRange(backend, t, 10)).toBeGreaterThan(0)
    expect(() => heapRange(backend, t, 11)).toThrow(
      'would touch 11 float32 values of a float32 tensor of 10'
    )
    t.dispose()
  })

  it('refuses to update with an Adagrad slot smaller than its weight, and touches no other tensor', async () => {
    // A checkpoint whose accumulator had 10 elements for a 1,000-element weight overwrote the 8
    // tensors after it without an error.
    const w = tf.variable(tf.ones([1000]), true, 'nativeSafety/w')
    const neighbours = Array.from({ length: 8 }, (_, i) => tf.fill([100], i + 2))
    const opt = createFusedOptimizer(addon, { kind: 'adagrad', learningRate: 0.1 })
    await opt.setWeights([
      { name: 'iter', tensor: tf.scalar(3, 'int32') },
      { name: 'nativeSafety/w/accumulator', tensor: tf.ones([10]) }
    ])
    const before = neighbours.map((n) => Array.from(n.dataSync()))
    expect(() => opt.applyGradients([{ name: w.name, tensor: tf.ones([1000]) }])).toThrow(
      /slot nativeSafety\/w\/accumulator has shape \[10\], its variable nativeSafety\/w \[1000\]/
    )
    expect(neighbours.map((n) => Array.from(n.dataSync()))).toEqual(before)
    expect(Array.from(w.dataSync()).every((x) => x === 1)).toBe(true)
    opt.dispose()
    w.dispose()
    tf.dispose(neighbours)
  })
})

describe('restoring a checkpoint', () => {
  let params: ReturnType<typeof createVaeParams>
  beforeAll(async () => {
    await initBackend('wasm')
    params = createVaeParams({ inputDim: 784, hidden: 8, latentDim: 2 }, 'glorot', 1)
  })
  afterAll(() => disposeParams(params))
  const slot = (i: number, shape: number[]): TensorRecord => ({
    name: `opt/${i}/x`,
    shape,
    values: new Float32Array(shape.reduce((a, b) => a * b, 1))
  })
  const iter: TensorRecord = { name: 'opt/0/iter', shape: [], values: new Float32Array(1) }
  const good = (n: number) =>
    Array.from({ length: n }, (_, i) => slot(i + 1, params.named[i % 10].variable.shape))

  it('accepts Adagrad and Adam state of the weights’ shapes, or none', () => {
    expect(() => checkOptimizerState(params.named, [iter, ...good(10)], 'c')).not.toThrow()
    expect(() => checkOptimizerState(params.named, [iter, ...good(20)], 'c')).not.toThrow()
    expect(() => checkOptimizerState(params.named, [], 'c')).not.toThrow()
  })

  it('refuses an optimiser slot whose shape is not its weight’s, and a wrong number of slots', () => {
    const bad = good(10)
    bad[2] = slot(3, [10])
    const e = (() => {
      try {
        checkOptimizerState(params.named, [iter, ...bad], 'the checkpoint')
      } catch (err) {
        return err as VaeLabError
      }
    })()
    expect(e).toBeInstanceOf(VaeLabError)
    expect(e?.code).toBe('DATA_CORRUPT')
    expect(e?.message).toBe(
      'the checkpoint is corrupt: optimiser slot opt/3/x has shape [10], not [8,2] like W2'
    )
    expect(() => checkOptimizerState(params.named, [iter, ...good(7)], 'c')).toThrow(
      'c has 7 optimiser slots; expected 10 (Adagrad) or 20 (Adam)'
    )
  })
})
