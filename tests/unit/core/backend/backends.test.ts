import * as tf from '@tensorflow/tfjs-core'
import { describe, expect, it, vi } from 'vitest'
import type {
  BackendName,
  BackendReport,
  GpuAdapterInfo
} from '../../../../src-main/common/contract'
import {
  AUTO_ORDER,
  initBackend,
  probeAll,
  probeBackend,
  selectBackend,
  type Calibrator
} from '../../../../src-main/core/backend/backends'
import type {
  Calibration,
  CalibrationCache,
  Workload
} from '../../../../src-main/core/backend/calibration'
import { webGpuMatMul } from '../../../../src-main/core/backend/webgpuKernels'
import { REQUIRE_WEBGPU, webGpuHere } from '../../../helpers/webgpu'
import { transposeFreeMatMul } from '../../../../src-main/core/model/dense'
import { blasKernelsInstalled, loadBlasAddon } from '../../../../src-main/core/backend/blasKernels'
import { blasMatMul } from '../../../../src-main/core/backend/fusedKernels'

const gpu = await webGpuHere('backends.test.ts')

const fakeProbe =
  (available: BackendName[]) =>
  async (name: BackendName): Promise<BackendReport> => ({
    name,
    available: available.includes(name),
    detail: available.includes(name) ? `${name} ok` : `${name} missing; to use it, install it`
  })

describe('selectBackend', () => {
  it('auto takes the fastest available backend and says which were skipped', async () => {
    const r = await selectBackend('auto', fakeProbe(['wasm', 'cpu']))
    expect(r.name).toBe('wasm')
    expect(r.skipped.map((s) => s.name)).toEqual(['tensorflow-gpu', 'tensorflow', 'wasm-blas'])
    expect(r.reason).toMatch(
      /^auto: wasm is the fastest available \(unavailable: tensorflow-gpu, tensorflow, wasm-blas\)/
    )
  })

  it('auto prefers native TensorFlow over the BLAS kernels, those over plain wasm, and wasm over cpu', async () => {
    expect(
      (await selectBackend('auto', fakeProbe(['tensorflow', 'wasm-blas', 'wasm', 'cpu']))).name
    ).toBe('tensorflow')
    expect((await selectBackend('auto', fakeProbe(['wasm-blas', 'wasm', 'cpu']))).name).toBe(
      'wasm-blas'
    )
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

describe('selectBackend and webgpu', () => {
  const gpuAdapter = {
    vendor: 'nvidia',
    architecture: 'hopper',
    device: '',
    description: 'NVIDIA H100',
    software: false
  }
  const withGpu =
    (available: BackendName[], adapter: GpuAdapterInfo = gpuAdapter) =>
    async (name: BackendName): Promise<BackendReport> => ({
      ...(await fakeProbe(available)(name)),
      ...(name === 'webgpu' && available.includes(name) ? { adapter } : {})
    })
  const workload: Workload = { hidden: 2000, latentDim: 20, batchSize: 1000, optimizer: 'adam' }
  const calibration = (gpu: number, cpu: number, chosen: BackendName): Calibrator =>
    vi.fn(async (w: Workload, g, c) => ({
      key: 'k',
      workload: w,
      adapter: g.adapter,
      gpu: { backend: 'webgpu' as const, imgPerSec: gpu },
      cpu: { backend: c.name, imgPerSec: cpu },
      chosen,
      measuredAt: '2026-01-02T03:04:05.000Z',
      cached: false
    }))

  it('auto trains on webgpu where the calibration of this workload measured it faster', async () => {
    const calibrator = calibration(40000, 12000, 'webgpu')
    const r = await selectBackend('auto', withGpu(['webgpu', 'wasm-blas', 'wasm', 'cpu']), {
      workload,
      calibrator
    })
    expect(r.name).toBe('webgpu')
    expect(r.reason).toMatch(
      /^auto: webgpu, measured faster: webgpu 40000 img\/s against wasm-blas 12000 img\/s for 784-2000-20, batch 1000, adam/
    )
    expect(calibrator).toHaveBeenCalledWith(
      workload,
      expect.objectContaining({ name: 'webgpu', adapter: gpuAdapter }),
      expect.objectContaining({ name: 'wasm-blas' })
    )
  })

  it('auto keeps the best CPU path where webgpu measured slower, and says so', async () => {
    const r = await selectBackend('auto', withGpu(['webgpu', 'wasm', 'cpu']), {
      workload,
      calibrator: calibration(300, 2700, 'wasm')
    })
    expect(r.name).toBe('wasm')
    expect(r.reason).toMatch(
      /^auto: wasm is the fastest available.*; webgpu measured slower: webgpu 300 img\/s against wasm 2700/
    )
  })

  it('auto never calibrates a software adapter, nor without a workload, nor over CUDA', async () => {
    const calibrator = calibration(1, 1, 'webgpu')
    const soft = await selectBackend(
      'auto',
      withGpu(['webgpu', 'wasm'], { ...gpuAdapter, software: true }),
      { workload, calibrator }
    )
    expect(soft.name).toBe('wasm')
    expect(soft.reason).toMatch(/webgpu is left out: its adapter is a software one/)
    const probe = vi.fn(withGpu(['webgpu', 'wasm']))
    const noWorkload = await selectBackend('auto', probe, { calibrator })
    expect(noWorkload.name).toBe('wasm')
    expect(noWorkload.reason).toMatch(
      /webgpu is weighed per model shape and batch when a run starts/
    )
    expect(probe).not.toHaveBeenCalledWith('webgpu') // nothing to calibrate: no adapter probe
    const cuda = await selectBackend('auto', withGpu(['tensorflow-gpu', 'webgpu']), {
      workload,
      calibrator
    })
    expect(cuda.name).toBe('tensorflow-gpu')
    expect(calibrator).not.toHaveBeenCalled()
  })

  it('auto falls back to the CPU path with the reason when the calibration itself fails', async () => {
    const r = await selectBackend('auto', withGpu(['webgpu', 'cpu']), {
      workload,
      calibrator: async () => {
        throw new Error('worker script missing')
      }
    })
    expect(r.name).toBe('cpu')
    expect(r.reason).toMatch(/its calibration failed \(worker script missing\)/)
  })

  it('a forced webgpu is used as asked, without calibrating', async () => {
    const calibrator = calibration(1, 1, 'wasm')
    const r = await selectBackend('webgpu', withGpu(['webgpu', 'wasm']), { workload, calibrator })
    expect(r.name).toBe('webgpu')
    expect(calibrator).not.toHaveBeenCalled()
  })

  it('probeAll tells how auto treats the adapter, from the cached calibrations', async () => {
    const cache = (entries: Calibration[]): CalibrationCache => ({
      file: '/home/me/.local/share/vae-lab/backend-calibration.json',
      get: () => undefined,
      set: () => undefined,
      all: () => entries
    })
    const empty = await probeAll(withGpu(['webgpu', 'cpu']), cache([]))
    expect(empty.find((r) => r.name === 'webgpu')?.auto).toMatch(
      /measures it against the best CPU backend on the first run of each model shape.*backend-calibration\.json/
    )
    const one = await calibration(40000, 12000, 'webgpu')(
      workload,
      { name: 'webgpu', available: true, detail: '', adapter: gpuAdapter },
      { name: 'wasm-blas', available: true, detail: '' }
    )
    const cached = await probeAll(withGpu(['webgpu', 'cpu']), cache([one]))
    expect(cached.find((r) => r.name === 'webgpu')?.auto).toMatch(
      /^auto, from calibrations cached in .*: webgpu for 784-2000-20, batch 1000, adam \(webgpu 40000 img\/s against wasm-blas 12000 img\/s/
    )
    const soft = await probeAll(
      withGpu(['webgpu'], { ...gpuAdapter, software: true }),
      cache([one])
    )
    expect(soft.find((r) => r.name === 'webgpu')?.auto).toMatch(
      /auto leaves it out: a software adapter/
    )
    expect(cached.find((r) => r.name === 'cpu')?.auto).toBeUndefined()
  })
})

// CI installs Mesa 25 and sets VAE_LAB_REQUIRE_WEBGPU=1: a missing adapter fails there, loudly.
it.runIf(REQUIRE_WEBGPU)('finds a WebGPU adapter, as this run requires', async () => {
  const r = await probeBackend('webgpu')
  expect(r.detail).toMatch(/^WebGPU through Dawn on /)
  expect(r.available).toBe(true)
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
          /((is not installed|failed to load).*; to use it, .*npm (install|rebuild|ci))|Dawn found no GPU adapter: .*Install/
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
    'starts wasm-blas with native kernels and the fused dense layer; plain wasm afterwards gets the stock kernels back',
    async () => {
      const b = await initBackend('wasm-blas')
      expect(b.detail).toMatch(/native BLAS kernels .*1 BLAS thread/)
      expect(b.matMul).toBe(blasMatMul)
      expect(b.matMul.dense).toBeDefined()
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

  it.skipIf(gpu.skip)(
    'starts webgpu through Dawn with the fused kernels, naming the adapter',
    async () => {
      const b = await initBackend('webgpu')
      expect(tf.getBackend()).toBe('webgpu')
      expect(b.matMul).toBe(webGpuMatMul)
      expect(b.webgpu).toBe(true)
      expect(b.detail).toMatch(/^WebGPU through Dawn on \S+/)
      expect((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu).toBeDefined()
    }
  )

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
