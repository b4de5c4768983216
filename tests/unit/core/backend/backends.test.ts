import * as tf from '@tensorflow/tfjs-core'
import { describe, expect, it } from 'vitest'
import type { BackendName, BackendReport } from '../../../../src-main/api/contract'
import { AUTO_ORDER, initBackend, probeBackend, selectBackend } from '../../../../src-main/core/backend/backends'
import { transposeFreeMatMul } from '../../../../src-main/core/model/dense'

const fakeProbe = (available: BackendName[]) => async (name: BackendName): Promise<BackendReport> => ({
  name,
  available: available.includes(name),
  detail: available.includes(name) ? `${name} ok` : `${name} missing; to use it, install it`
})

describe('selectBackend', () => {
  it('auto takes the fastest available backend and says which were skipped', async () => {
    const r = await selectBackend('auto', fakeProbe(['wasm', 'cpu', 'webgpu']))
    expect(r.name).toBe('webgpu')
    expect(r.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'tensorflow'])
    expect(r.reason).toMatch(/^auto: webgpu is the fastest available \(unavailable: tensorflow-gpu, tensorflow\)/)
  })

  it('auto prefers native TensorFlow over wasm, and wasm over cpu', async () => {
    expect((await selectBackend('auto', fakeProbe(['tensorflow', 'wasm', 'cpu']))).name).toBe('tensorflow')
    expect((await selectBackend('auto', fakeProbe(['wasm', 'cpu']))).name).toBe('wasm')
    expect(AUTO_ORDER.at(-1)).toBe('cpu')
  })

  it('a forced backend that is missing is an error saying why and how to get it', async () => {
    await expect(selectBackend('tensorflow-gpu', fakeProbe(['cpu']))).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message: 'backend "tensorflow-gpu" is not available: tensorflow-gpu missing; to use it, install it'
    })
  })

  it('a forced backend that is there is used', async () => {
    expect((await selectBackend('cpu', fakeProbe(['cpu', 'wasm']))).name).toBe('cpu')
  })

  it('fails clearly when nothing at all is available', async () => {
    await expect(selectBackend('auto', fakeProbe([]))).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' })
  })
})

describe('probeBackend (this machine)', () => {
  it('finds wasm and cpu, which ship with the project', async () => {
    expect((await probeBackend('wasm')).available).toBe(true)
    expect((await probeBackend('cpu')).available).toBe(true)
  })

  it('reports each native backend either as loadable or with the reason and the way to get it', async () => {
    for (const name of ['tensorflow', 'tensorflow-gpu', 'webgpu'] as const) {
      const r = await probeBackend(name)
      if (!r.available) expect(r.detail).toMatch(/(is not installed|failed to load|no WebGPU adapter|WebGPU failed).*; to use it, .*npm (install|rebuild)/)
    }
  })
})

describe('initBackend', () => {
  it('starts wasm with SIMD and the transpose-free matMul', async () => {
    const b = await initBackend('wasm')
    expect(tf.getBackend()).toBe('wasm')
    expect(b.detail).toMatch(/SIMD on/)
    expect(b.matMul).toBe(transposeFreeMatMul)
  })

  it('refuses a backend that is not installed, without changing the current one', async () => {
    await initBackend('cpu')
    const missing = await probeBackend('tensorflow-gpu')
    if (missing.available) return // a machine with CUDA: nothing to refuse
    await expect(initBackend('tensorflow-gpu')).rejects.toMatchObject({ code: 'BACKEND_UNAVAILABLE' })
    expect(tf.getBackend()).toBe('cpu')
  })
})
