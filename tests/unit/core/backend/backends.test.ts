import * as tf from '@tensorflow/tfjs-core'
import { describe, expect, it } from 'vitest'
import type { BackendName, BackendReport } from '../../../../src-main/common/contract'
import {
  AUTO_ORDER,
  initBackend,
  probeBackend,
  selectBackend
} from '../../../../src-main/core/backend/backends'
import { stockMatMul, transposeFreeMatMul } from '../../../../src-main/core/model/dense'
import { blasKernelsInstalled, loadBlasAddon } from '../../../../src-main/core/backend/blasKernels'

const fakeProbe =
  (available: BackendName[]) =>
  async (name: BackendName): Promise<BackendReport> => ({
    name,
    available: available.includes(name),
    detail: available.includes(name) ? `${name} ok` : `${name} missing; to use it, install it`
  })

describe('selectBackend', () => {
  it('auto takes the fastest available backend and says which were skipped', async () => {
    const r = await selectBackend('auto', fakeProbe(['wasm', 'cpu', 'webgpu']))
    expect(r.name).toBe('webgpu')
    expect(r.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'tensorflow', 'wasm-blas'])
    expect(r.reason).toMatch(
      /^auto: webgpu is the fastest available \(unavailable: tensorflow-gpu, tensorflow, wasm-blas\)/
    )
  })

  it('auto prefers native TensorFlow over the BLAS kernels, those over plain wasm, and wasm over cpu', async () => {
    expect(
      (await selectBackend('auto', fakeProbe(['tensorflow', 'wasm-blas', 'wasm', 'cpu']))).name
    ).toBe('tensorflow')
    expect(
      (await selectBackend('auto', fakeProbe(['wasm-blas', 'webgpu', 'wasm', 'cpu']))).name
    ).toBe('wasm-blas')
    expect((await selectBackend('auto', fakeProbe(['wasm', 'cpu']))).name).toBe('wasm')
    expect(AUTO_ORDER.at(-1)).toBe('cpu')
  })

  it('a forced backend that is missing is an error saying why and how to get it', async () => {
    await expect(selectBackend('tensorflow-gpu', fakeProbe(['cpu']))).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE',
      message:
        'backend "tensorflow-gpu" is not available: tensorflow-gpu missing; to use it, install it'
    })
  })

  it('a forced backend that is there is used', async () => {
    expect((await selectBackend('cpu', fakeProbe(['cpu', 'wasm']))).name).toBe('cpu')
  })

  it('fails clearly when nothing at all is available', async () => {
    await expect(selectBackend('auto', fakeProbe([]))).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE'
    })
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
      if (!r.available)
        expect(r.detail).toMatch(
          /(is not installed|failed to load|no WebGPU adapter|WebGPU failed).*; to use it, .*npm (install|rebuild)/
        )
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

  const blas = loadBlasAddon()
  if (!blas.ok) console.warn(`skipping the wasm-blas initialisation test: ${blas.reason}`)
  it.skipIf(!blas.ok)(
    'starts wasm-blas with native kernels and the stock matMul; plain wasm afterwards gets the stock kernels back',
    async () => {
      const b = await initBackend('wasm-blas')
      expect(b.detail).toMatch(/native BLAS kernels .*1 BLAS thread/)
      expect(b.matMul).toBe(stockMatMul)
      expect(b.blas).not.toBeNull()
      expect(blasKernelsInstalled()).toBe(true)
      const plain = await initBackend('wasm')
      expect(blasKernelsInstalled()).toBe(false)
      expect(plain.blas).toBeNull()
    }
  )

  it('reports wasm-blas as unavailable, with the reason, when the add-on cannot load', async () => {
    const r = await probeBackend('wasm-blas')
    expect(r.available).toBe(blas.ok)
    if (!r.available) expect(r.detail).toMatch(/npm run build:native/)
  })

  it('refuses a backend that is not installed, without changing the current one', async () => {
    await initBackend('cpu')
    const missing = await probeBackend('tensorflow-gpu')
    if (missing.available) return // a machine with CUDA: nothing to refuse
    await expect(initBackend('tensorflow-gpu')).rejects.toMatchObject({
      code: 'BACKEND_UNAVAILABLE'
    })
    expect(tf.getBackend()).toBe('cpu')
  })
})
