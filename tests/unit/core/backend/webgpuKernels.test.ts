import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { initBackend } from '../../../../src-main/core/backend/backends'
import {
  DENSE_GRAD_KERNEL,
  DENSE_KERNEL,
  webGpuDense,
  webGpuKernelsInstalled,
  webGpuMatMul
} from '../../../../src-main/core/backend/webgpuKernels'
import { webGpuInternals } from '../../../../src-main/core/backend/webgpuInternals'
import { denseLayer, stockMatMul, type Activation } from '../../../../src-main/core/model/dense'
import { webGpuHere } from '../../../helpers/webgpu'

const gpu = await webGpuHere('webgpuKernels.test.ts')

// Deterministic inputs: a tiny LCG, so a failure reproduces.
function rng(seed: number) {
  let s = seed >>> 0
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32) * 2 - 1
}
const values = (n: number, next: () => number) => Float64Array.from({ length: n }, next)

/** act(x @ w + b) and its gradients in float64, as an independent reference. */
function reference(
  m: number,
  k: number,
  n: number,
  x: Float64Array,
  w: Float64Array,
  b: Float64Array,
  dy: Float64Array,
  act: Activation
) {
  const y = new Float64Array(m * n)
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      let s = b[j]
      for (let p = 0; p < k; p++) s += x[i * k + p] * w[p * n + j]
      y[i * n + j] = act === 'tanh' ? Math.tanh(s) : act === 'relu' ? Math.max(s, 0) : s
    }
  const g = dy.map((d, i) =>
    act === 'tanh' ? d * (1 - y[i] * y[i]) : act === 'relu' ? (y[i] > 0 ? d : 0) : d
  )
  const dx = new Float64Array(m * k)
  const dw = new Float64Array(k * n)
  const db = new Float64Array(n)
  for (let i = 0; i < m; i++)
    for (let j = 0; j < n; j++) {
      const gij = g[i * n + j]
      db[j] += gij
      for (let p = 0; p < k; p++) {
        dx[i * k + p] += gij * w[p * n + j]
        dw[p * n + j] += x[i * k + p] * gij
      }
    }
  return { y, dx, dw, db }
}

function maxError(got: ArrayLike<number>, want: ArrayLike<number>): number {
  expect(got.length).toBe(want.length)
  let worst = 0
  for (let i = 0; i < want.length; i++)
    worst = Math.max(worst, Math.abs(got[i] - want[i]) / (1 + Math.abs(want[i])))
  return worst
}

/** y and its three gradients through `layer`, read back as arrays. */
async function run(
  layer: (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D) => tf.Tensor2D,
  [m, k, n]: number[],
  x: Float64Array,
  w: Float64Array,
  b: Float64Array,
  dy: Float64Array
) {
  const xt = tf.tensor2d(Float32Array.from(x), [m, k])
  const wt = tf.tensor2d(Float32Array.from(w), [k, n])
  const bt = tf.tensor1d(Float32Array.from(b))
  const dyt = tf.tensor2d(Float32Array.from(dy), [m, n])
  const out = tf.tidy(() => {
    const f = (a: tf.Tensor, c: tf.Tensor, d: tf.Tensor) =>
      tf.sum(tf.mul(layer(a as tf.Tensor2D, c as tf.Tensor2D, d as tf.Tensor1D), dyt))
    return [layer(xt, wt, bt), ...tf.grads(f)([xt, wt, bt])]
  })
  const data = await Promise.all(out.map((t) => t.data()))
  tf.dispose([...out, xt, wt, bt, dyt])
  return { y: data[0], dx: data[1], dw: data[2], db: data[3] }
}

const stockLayer =
  (act: Activation) =>
  (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D =>
    denseLayer(stockMatMul, x, w, b, act)
const fusedLayer =
  (act: Activation) =>
  (x: tf.Tensor2D, w: tf.Tensor2D, b: tf.Tensor1D): tf.Tensor2D =>
    webGpuDense(x, w, b, act)

// Random shapes (odd sizes straddle the 32 x 32 tiles), plus the VAE's own layers.
const next = rng(2024)
const randomShapes = Array.from({ length: 6 }, () => [
  1 + Math.floor(((next() + 1) / 2) * 70),
  1 + Math.floor(((next() + 1) / 2) * 90),
  1 + Math.floor(((next() + 1) / 2) * 70)
])
const SHAPES = [[1, 1, 1], [100, 784, 20], [50, 20, 784], ...randomShapes]
const ACTIVATIONS: Activation[] = ['tanh', 'linear', 'relu']

describe.skipIf(gpu.skip)('fused WGSL dense kernels on webgpu', () => {
  beforeAll(async () => {
    const b = await initBackend('webgpu')
    expect(b.matMul).toBe(webGpuMatMul)
  })

  it('registers the dense kernels for the webgpu backend only', () => {
    expect(webGpuKernelsInstalled()).toBe(true)
    for (const k of [DENSE_KERNEL, DENSE_GRAD_KERNEL]) {
      expect(tf.getKernel(k, 'webgpu')).toBeDefined()
      expect(tf.getKernel(k, 'cpu')).toBeUndefined()
    }
  })

  for (const act of ACTIVATIONS) {
    it(`matches the stock kernels and a float64 reference, forward and backward, on random shapes (${act})`, async () => {
      for (const [m, k, n] of SHAPES) {
        const r = rng(m * 1000 + k * 10 + n)
        const x = values(m * k, r)
        const w = values(k * n, () => r() * 0.2)
        const b = values(n, r)
        const dy = values(m * n, r)
        const want = reference(m, k, n, x, w, b, dy, act)
        const fused = await run(fusedLayer(act), [m, k, n], x, w, b, dy)
        const stock = await run(stockLayer(act), [m, k, n], x, w, b, dy)
        for (const part of ['y', 'dx', 'dw', 'db'] as const) {
          const what = `${act} ${m}x${k}x${n} ${part}`
          expect(maxError(fused[part], want[part]), what).toBeLessThan(2e-5)
          expect(maxError(fused[part], stock[part]), what).toBeLessThan(2e-5)
        }
      }
    })
  }

  it('computes only the gradients asked for: no dx for a layer whose input is data', async () => {
    const backend = webGpuInternals()
    const run = backend.runWebGPUProgram.bind(backend)
    const keys: string[] = []
    backend.runWebGPUProgram = (program, ...rest) => {
      keys.push(program.shaderKey)
      return run(program, ...rest)
    }
    const x = tf.ones([6, 5]) as tf.Tensor2D
    const w = tf.variable(tf.fill([5, 3], 0.1) as tf.Tensor2D)
    const b = tf.variable(tf.zeros([3]) as tf.Tensor1D)
    try {
      const { grads } = tf.variableGrads(
        () => tf.sum(webGpuDense(x, w, b, 'tanh')) as tf.Scalar,
        [w, b]
      )
      expect(Object.keys(grads).sort()).toEqual([b.name, w.name].sort())
      tf.dispose(Object.values(grads))
    } finally {
      backend.runWebGPUProgram = run
    }
    const gemms = keys.filter((k) => k.startsWith('vaeLabGemm'))
    expect(gemms.map((k) => k.split('_').slice(1, 3).join(' '))).toEqual([
      'false false', // forward
      'true false' // dw = x^T @ g; no dx = g @ w^T
    ])
    expect(keys.filter((k) => k.startsWith('vaeLabColumnSum'))).toHaveLength(1)
    tf.dispose([x, w, b])
  })

  it('denseLayer uses the fused kernel through the backend matMul, the stock ops elsewhere', async () => {
    const x = tf.ones([3, 4]) as tf.Tensor2D
    const w = tf.fill([4, 2], 0.5) as tf.Tensor2D
    const b = tf.tensor1d([1, -1])
    const fused = denseLayer(webGpuMatMul, x, w, b, 'linear')
    expect(Array.from(await fused.data())).toEqual([3, 1, 3, 1, 3, 1])
    tf.dispose([x, w, b, fused])
  })

  it('refuses shapes that are not a dense layer', () => {
    const x = tf.ones([3, 4]) as tf.Tensor2D
    const w = tf.ones([5, 2]) as tf.Tensor2D
    const b = tf.ones([2]) as tf.Tensor1D
    expect(() => webGpuDense(x, w, b, 'tanh')).toThrow(/do not make a dense layer/)
    tf.dispose([x, w, b])
  })

  it('stops at the next readback when the GPU rejects work, instead of going on with stale numbers', async () => {
    const backend = webGpuInternals()
    const bad = backend.runWebGPUProgram(
      {
        outputShape: [4],
        shaderKey: 'vaeLabTestInvalid',
        dispatchLayout: { x: [0] },
        dispatch: [1, 1, 1],
        variableNames: [],
        workgroupSize: [1, 1, 1],
        getUserCode: () => 'fn main(index : i32) { this is not WGSL }'
      },
      [],
      'float32'
    )
    const t = tf.engine().makeTensorFromTensorInfo(bad)
    await expect(t.data()).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringMatching(/^the GPU rejected work \(.*WGSL/)
    })
    t.dispose()
    // Reported once: the backend works again afterwards.
    const ok = tf.add(tf.ones([2000]), 1)
    expect((await ok.data())[0]).toBe(2)
    ok.dispose()
  })

  it('keeps no tensors behind', async () => {
    const before = tf.memory().numTensors
    const [m, k, n] = [17, 33, 9]
    const r = rng(5)
    await run(
      fusedLayer('tanh'),
      [m, k, n],
      values(m * k, r),
      values(k * n, r),
      values(n, r),
      values(m * n, r)
    )
    expect(tf.memory().numTensors).toBe(before)
  })
})
