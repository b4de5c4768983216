import * as tf from '@tensorflow/tfjs-core'
import { describe, expect, it } from 'vitest'
import { INIT_SCHEMES, type InitScheme } from '../../../../src-main/common/contract'
import { loadBlasAddon } from '../../../../src-main/core/backend/blasKernels'
import { initialValue } from '../../../../src-main/core/model/init'
import { createVaeModel } from '../../../../src-main/core/model/vaeModel'
import { useBackend } from '../../../helpers/tf'

/** Mean, variance and largest magnitude of a tensor's values. */
function moments(t: tf.Tensor) {
  const v = t.dataSync() as Float32Array
  const mean = v.reduce((s, x) => s + x, 0) / v.length
  const variance = v.reduce((s, x) => s + (x - mean) ** 2, 0) / v.length
  return { mean, variance, max: v.reduce((m, x) => Math.max(m, Math.abs(x)), 0), n: v.length }
}

// A large layer, 784 -> 500 (250,000 weights), so sample moments are within ~1% of the truth.
const layer = { shape: [784, 500], fanIn: 784, fanOut: 500 }
const weight = (scheme: InitScheme, seed = 1) =>
  initialValue(scheme, { kind: 'weight', ...layer }, seed)
const bias = (scheme: InitScheme, shape = [500], seed = 2) =>
  initialValue(scheme, { kind: 'bias', ...layer, shape }, seed)

describe('initialValue', () => {
  it("draws 'torch' weights from U(-1/sqrt(fan_in), 1/sqrt(fan_in)), as nn.Linear's kaiming_uniform(a = sqrt(5))", async () => {
    await useBackend('cpu')
    const bound = 1 / Math.sqrt(784)
    // kaiming_uniform_(a=sqrt(5)): gain sqrt(2 / (1 + 5)), bound = gain * sqrt(3 / fan_in)
    expect(Math.sqrt(2 / 6) * Math.sqrt(3 / 784)).toBeCloseTo(bound, 12)
    const m = moments(weight('torch'))
    expect(m.max).toBeLessThanOrEqual(bound)
    expect(m.max).toBeGreaterThan(0.999 * bound)
    expect(Math.abs(m.mean)).toBeLessThan(0.01 * bound)
    expect(m.variance / (bound ** 2 / 3)).toBeGreaterThan(0.99)
    expect(m.variance / (bound ** 2 / 3)).toBeLessThan(1.01)
  })

  it("draws 'torch' biases from the same U(+-1/sqrt(fan_in)), not zeros", async () => {
    await useBackend('cpu')
    const bound = 1 / Math.sqrt(784)
    const m = moments(bias('torch', [100000]))
    expect(m.max).toBeLessThanOrEqual(bound)
    expect(m.max).toBeGreaterThan(0.999 * bound)
    expect(Math.abs(m.mean)).toBeLessThan(0.01 * bound)
    expect(m.variance / (bound ** 2 / 3)).toBeGreaterThan(0.98)
    expect(m.variance / (bound ** 2 / 3)).toBeLessThan(1.02)
  })

  it("draws 'glorot' weights from U(+-sqrt(6 / (fan_in + fan_out))) with zero biases", async () => {
    await useBackend('cpu')
    const bound = Math.sqrt(6 / (784 + 500))
    const m = moments(weight('glorot'))
    expect(m.max).toBeLessThanOrEqual(bound)
    expect(m.max).toBeGreaterThan(0.999 * bound)
    expect(Math.abs(m.mean)).toBeLessThan(0.01 * bound)
    expect(m.variance / (bound ** 2 / 3)).toBeGreaterThan(0.99)
    expect(m.variance / (bound ** 2 / 3)).toBeLessThan(1.01)
    expect(moments(bias('glorot')).max).toBe(0)
  })

  it("draws 'paper' weights from N(0, 0.01^2) with zero biases", async () => {
    await useBackend('cpu')
    const m = moments(weight('paper'))
    expect(Math.abs(m.mean)).toBeLessThan(1e-4)
    expect(Math.sqrt(m.variance)).toBeGreaterThan(0.0099)
    expect(Math.sqrt(m.variance)).toBeLessThan(0.0101)
    expect(m.max).toBeGreaterThan(0.03) // a normal's tail, not a uniform's edge
    expect(moments(bias('paper')).max).toBe(0)
  })

  it("uses PyTorch's fan-ins for conv layers: k*k*C_in for Conv2d, k*k*C_out for ConvTranspose2d", async () => {
    const env = await useBackend('cpu')
    const m = createVaeModel({ arch: 'conv', hidden: [], latentDim: 2 }, 'torch', 3, env)
    const max = (name: string) => moments(m.params.find((p) => p.name === name)!.variable).max
    expect(max('W2')).toBeLessThanOrEqual(1 / Math.sqrt(9 * 32)) // Conv2d(32, 64, 3)
    expect(max('W2')).toBeGreaterThan(0.99 / Math.sqrt(9 * 32))
    expect(max('W6')).toBeLessThanOrEqual(1 / Math.sqrt(9 * 64)) // ConvTranspose2d(32, 64, 3)
    expect(max('W6')).toBeGreaterThan(0.99 / Math.sqrt(9 * 64))
  })

  it('gives identical initial weights on the cpu, wasm and wasm-blas backends for every scheme and architecture', async () => {
    const draw = async (backend: 'cpu' | 'wasm' | 'wasm-blas') => {
      const env = await useBackend(backend)
      const out: Record<string, number[]> = {}
      for (const scheme of INIT_SCHEMES) {
        for (const spec of [
          { arch: 'mlp' as const, hidden: [200, 200], latentDim: 5 },
          { arch: 'conv' as const, hidden: [], latentDim: 2 }
        ]) {
          const m = createVaeModel(spec, scheme, 42, env)
          for (const p of m.params)
            out[`${scheme} ${spec.arch} ${p.name}`] = Array.from(p.variable.dataSync())
          for (const p of m.params) p.variable.dispose()
        }
      }
      return out
    }
    const cpu = await draw('cpu')
    const others = [await draw('wasm')]
    if (loadBlasAddon().ok) others.push(await draw('wasm-blas'))
    for (const other of others) {
      expect(Object.keys(other)).toEqual(Object.keys(cpu))
      for (const key of Object.keys(cpu)) expect(other[key], key).toEqual(cpu[key])
    }
  })
})
