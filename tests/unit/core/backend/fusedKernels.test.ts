import { describe, it, expect, beforeAll } from 'vitest'
import * as tf from '@tensorflow/tfjs-core'
import { initBackend } from '../../../../src-main/core/backend/backends'
import {
  installBlasKernels,
  loadBlasAddon,
  uninstallBlasKernels,
  type BlasAddon
} from '../../../../src-main/core/backend/blasKernels'
import {
  blasMatMul,
  DENSE_KERNELS,
  fusedKernelsInstalled
} from '../../../../src-main/core/backend/fusedKernels'
import { FUSED_KERNELS, hasFusedKernel } from '../../../../src-main/core/backend/fusedOps'
import { denseLayer } from '../../../../src-main/core/model/dense'
import { bernoulliRec, gaussianKl } from '../../../../src-main/core/model/loss'
import { reparameterize } from '../../../../src-main/core/model/vae'

const load = loadBlasAddon()
const addon = (load.ok ? load.addon : undefined) as BlasAddon
if (!load.ok) console.warn(`fusedKernels tests skipped: ${load.reason}`)

function rng(seed: number) {
  let s = seed >>> 0
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1
}
const randomTensor = (shape: number[], next: () => number, scale = 1) =>
  tf.tensor(
    Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => next() * scale),
    shape
  )
const dim = (next: () => number, max: number) => 1 + Math.floor(Math.abs(next()) * max)

/**
 * Value and gradients (with respect to every input, under a random upstream gradient) of `op`,
 * once with the stock wasm kernels (the formula) and once with the fused kernel.
 */
function stockVsFused(op: (...xs: tf.Tensor[]) => tf.Tensor, inputs: tf.Tensor[], seed: number) {
  const run = () =>
    tf.tidy(() => {
      const y = op(...inputs)
      const upstream = randomTensor(y.shape, rng(seed))
      const grads = tf.grads((...xs: tf.Tensor[]) => tf.sum(tf.mul(op(...xs), upstream)))(inputs)
      return [y, ...grads].map((t) => t.dataSync() as Float32Array)
    })
  uninstallBlasKernels()
  const stock = run()
  installBlasKernels(addon)
  return { stock, fused: run() }
}

function expectClose(a: Float32Array[], b: Float32Array[], tol: number, what: string) {
  expect(a.length).toBe(b.length)
  a.forEach((x, k) => {
    expect(x.length).toBe(b[k].length)
    let worst = 0
    for (let i = 0; i < x.length; i++)
      worst = Math.max(worst, Math.abs(x[i] - b[k][i]) / (1 + Math.abs(b[k][i])))
    expect(worst, `${what}, output ${k}`).toBeLessThan(tol)
  })
}

describe.skipIf(!load.ok)('fused kernels on wasm-blas equal the stock kernels', () => {
  beforeAll(async () => {
    await initBackend('wasm')
    installBlasKernels(addon, { threads: 1 })
  })

  it('are registered with the BLAS kernels and removed with them', () => {
    const names = [...Object.values(FUSED_KERNELS), ...Object.values(DENSE_KERNELS)]
    const registered = () => names.map((n) => tf.getKernel(n, 'wasm') !== undefined)
    expect(fusedKernelsInstalled()).toBe(true)
    expect(registered()).toEqual(names.map(() => true))
    for (const name of Object.values(FUSED_KERNELS)) expect(hasFusedKernel(name)).toBe(true)
    uninstallBlasKernels()
    expect(registered()).toEqual(names.map(() => false))
    installBlasKernels(addon, { fused: false })
    expect(fusedKernelsInstalled()).toBe(false)
    installBlasKernels(addon)
    expect(fusedKernelsInstalled()).toBe(true)
  })

  // relu has no fused kernel: it checks the fallback inside the same dense op.
  for (const activation of ['tanh', 'linear', 'relu'] as const) {
    it(`dense (${activation}): value and gradients for x, W and b on random shapes`, () => {
      const next = rng(activation === 'tanh' ? 3 : activation === 'linear' ? 4 : 5)
      for (let trial = 0; trial < 10; trial++) {
        const [m, k, n] = [dim(next, 120), dim(next, 300), dim(next, 200)]
        const x = randomTensor([m, k], next)
        const W = randomTensor([k, n], next, 0.2)
        const b = randomTensor([n], next)
        const { stock, fused } = stockVsFused(
          (xi, Wi, bi) =>
            denseLayer(
              blasMatMul,
              xi as tf.Tensor2D,
              Wi as tf.Tensor2D,
              bi as tf.Tensor1D,
              activation
            ),
          [x, W, b],
          trial
        )
        expectClose(fused, stock, 2e-5, `${m}x${k}x${n}`)
        tf.dispose([x, W, b])
      }
    })
  }

  it('bernoulliRec: value and gradients on random shapes, large logits and 0/1 and grey targets', () => {
    const next = rng(5)
    for (let trial = 0; trial < 10; trial++) {
      const [m, n] = [dim(next, 90), dim(next, 900)]
      // Logits up to +-60: exp(-|l|) underflows towards 0 and the stable form must still hold.
      const logits = randomTensor([m, n], next, trial % 2 ? 60 : 4)
      const x = tf.tidy(() => {
        const u = tf.abs(randomTensor([m, n], next))
        return trial % 3 === 0 ? tf.cast(tf.greater(u, 0.5), 'float32') : u
      })
      const { stock, fused } = stockVsFused(
        (l, xi) => bernoulliRec(l as tf.Tensor2D, xi as tf.Tensor2D),
        [logits, x],
        trial
      )
      expectClose(fused, stock, 1e-5, `${m}x${n}`)
      tf.dispose([logits, x])
    }
  })

  it('bernoulliRec gives NaN for a NaN logit and +Infinity cost for an infinitely wrong pixel', () => {
    const logits = tf.tensor2d([[NaN, 1, 2, 3, -Infinity, 0]]).reshape([2, 3]) as tf.Tensor2D
    const x = tf.tensor2d([
      [0, 1, 0],
      [1, 1, 0]
    ])
    const [nanRow, infRow] = bernoulliRec(logits, x).dataSync()
    expect(nanRow).toBeNaN()
    expect(infRow).toBe(Infinity)
    tf.dispose([logits, x])
  })

  it('gaussianKl: value and gradients for mu and logVar on random shapes', () => {
    const next = rng(6)
    for (let trial = 0; trial < 10; trial++) {
      const [m, n] = [dim(next, 200), dim(next, 60)]
      const mu = randomTensor([m, n], next, 3)
      const logVar = randomTensor([m, n], next, 5)
      const { stock, fused } = stockVsFused(
        (a, b) => gaussianKl(a as tf.Tensor2D, b as tf.Tensor2D),
        [mu, logVar],
        trial
      )
      expectClose(fused, stock, 1e-5, `${m}x${n}`)
      tf.dispose([mu, logVar])
    }
  })

  it('reparameterize: value and gradients for mu, logVar and eps on random shapes', () => {
    const next = rng(7)
    for (let trial = 0; trial < 10; trial++) {
      const shape = [dim(next, 300), dim(next, 60)]
      const mu = randomTensor(shape, next, 3)
      const logVar = randomTensor(shape, next, 6)
      const eps = randomTensor(shape, next, 2)
      const { stock, fused } = stockVsFused(
        (a, b, c) => reparameterize(a as tf.Tensor2D, b as tf.Tensor2D, c as tf.Tensor2D),
        [mu, logVar, eps],
        trial
      )
      expectClose(fused, stock, 1e-5, shape.join('x'))
      tf.dispose([mu, logVar, eps])
    }
  })

  it('uses the formula for inputs the kernels do not take (a broadcast bias, a 3-D batch)', () => {
    const next = rng(8)
    const x = randomTensor([4, 5], next)
    const W = randomTensor([5, 3], next)
    const b2 = randomTensor([1, 3], next)
    const y = denseLayer(
      blasMatMul,
      x as tf.Tensor2D,
      W as tf.Tensor2D,
      b2 as unknown as tf.Tensor1D,
      'tanh'
    )
    const expected = tf.tanh(tf.add(tf.matMul(x, W), b2))
    expectClose(
      [y.dataSync() as Float32Array],
      [expected.dataSync() as Float32Array],
      1e-6,
      '2-D bias'
    )
    const mu = randomTensor([2, 3, 4], next)
    const z = reparameterize(mu as tf.Tensor2D, mu as tf.Tensor2D, mu as tf.Tensor2D)
    expect(z.shape).toEqual([2, 3, 4])
    tf.dispose([x, W, b2, y, expected, mu, z])
  })

  it('a training step through all of them frees every temporary', () => {
    const next = rng(9)
    const W = tf.variable(randomTensor([6, 4], next), true, `fk_W_${Math.random()}`)
    const b = tf.variable(tf.zeros([4]), true, `fk_b_${Math.random()}`)
    const x = randomTensor([3, 6], next)
    const eps = randomTensor([3, 2], next)
    const step = () =>
      tf.tidy(() =>
        tf.grads((w: tf.Tensor, bb: tf.Tensor) => {
          const h = denseLayer(
            blasMatMul,
            x as tf.Tensor2D,
            w as tf.Tensor2D,
            bb as tf.Tensor1D,
            'tanh'
          )
          const [mu, logVar] = tf.split(h, 2, 1) as tf.Tensor2D[]
          const z = reparameterize(mu, logVar, eps as tf.Tensor2D)
          const logits = tf.tile(z, [1, 3]) as tf.Tensor2D
          return tf.add(
            tf.sum(bernoulliRec(logits, tf.sigmoid(logits) as tf.Tensor2D)),
            tf.sum(gaussianKl(mu, logVar))
          )
        })([W, b])
      )
    tf.dispose(step())
    const before = tf.memory().numTensors
    for (let i = 0; i < 20; i++) tf.dispose(step())
    expect(tf.memory().numTensors).toBe(before)
    tf.dispose([W, b, x, eps])
  })
})

describe.skipIf(!load.ok)('the fused kernels refuse bad ranges instead of touching memory', () => {
  const heap = new Uint8Array(1 << 16)
  it.each([
    ['dense past the end', () => addon.dense(heap, 64, 64, 64, 0, 0, 0, 60_000, 1)],
    ['dense writing over its input', () => addon.dense(heap, 4, 4, 4, 0, 256, 512, 32, 1)],
    ['dense with an unknown activation', () => addon.dense(heap, 2, 2, 2, 0, 64, 128, 256, 7)],
    ['denseGrad with a NaN offset', () => addon.denseGrad(heap, 1, 2, 2, NaN, 64, 128, 256)],
    ['bernoulli writing over its logits', () => addon.bernoulli(heap, 8, 8, 0, 512, 16)],
    ['bernoulliGrad past the end', () => addon.bernoulliGrad(heap, 128, 128, 0, 0, 0, 1024)],
    ['gaussianKl with a fractional offset', () => addon.gaussianKl(heap, 2, 2, 0.5, 64, 128)],
    ['gaussianKlGrad writing over mu', () => addon.gaussianKlGrad(heap, 2, 2, 0, 64, 128, 0, 256)],
    ['reparameterize writing over eps', () => addon.reparameterize(heap, 4, 0, 64, 128, 136)],
    [
      'reparameterizeGrad with overlapping outputs',
      () => addon.reparameterizeGrad(heap, 4, 0, 64, 128, 256, 264)
    ]
  ])('%s throws', (_what, call) => {
    expect(call).toThrow(
      /^(dense|denseGrad|bernoulli|bernoulliGrad|gaussianKl|gaussianKlGrad|reparameterize|reparameterizeGrad): /
    )
  })
})
