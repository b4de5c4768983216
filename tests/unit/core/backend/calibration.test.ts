import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import type { BackendName, GpuAdapterInfo } from '../../../../src-main/common/contract'
import {
  calibrate,
  calibrationFile,
  calibrationKey,
  CALIBRATION_STEPS,
  FileCalibrationCache,
  GPU_MARGIN,
  measureInWorker,
  workloadLabel,
  type Measure,
  type Workload
} from '../../../../src-main/core/backend/calibration'
import { tempDir } from '../../../helpers/fixtures'
import { webGpuHere } from '../../../helpers/webgpu'

const gpu = await webGpuHere('calibration.test.ts')

const adapter: GpuAdapterInfo = {
  vendor: 'nvidia',
  architecture: 'hopper',
  device: '',
  description: 'NVIDIA H100',
  software: false
}
const workload: Workload = { hidden: 500, latentDim: 20, batchSize: 100, optimizer: 'adam' }
const cpu = { name: 'wasm-blas' as BackendName, detail: 'OpenBLAS 0.3.21' }

const fakeMeasure = (rates: Partial<Record<BackendName, number | null>>) =>
  vi.fn<Measure>(async (backend) => ({ backend, imgPerSec: rates[backend] ?? null }))

describe('calibrationKey', () => {
  it('changes with the machine, the adapter, the shape, the batch, the CPU path and the code', () => {
    const base = calibrationKey(workload, adapter, cpu, 'm1', 'v1')
    expect(calibrationKey(workload, adapter, cpu, 'm1', 'v1')).toBe(base)
    const variants = [
      calibrationKey(workload, adapter, cpu, 'm2', 'v1'),
      calibrationKey(workload, { ...adapter, description: 'NVIDIA A100' }, cpu, 'm1', 'v1'),
      calibrationKey({ ...workload, hidden: 2000 }, adapter, cpu, 'm1', 'v1'),
      calibrationKey({ ...workload, batchSize: 1000 }, adapter, cpu, 'm1', 'v1'),
      calibrationKey(workload, adapter, { name: 'wasm', detail: 'SIMD' }, 'm1', 'v1'),
      calibrationKey(workload, adapter, cpu, 'm1', 'v2')
    ]
    expect(new Set([base, ...variants]).size).toBe(7)
  })

  it('ignores config fields that do not change the speed', () => {
    const cfg = { ...workload, seed: 4, epochs: 9 } as Workload
    expect(calibrationKey(cfg, adapter, cpu, 'm', 'v')).toBe(
      calibrationKey(workload, adapter, cpu, 'm', 'v')
    )
    expect(workloadLabel(workload)).toBe('784-500-20, batch 100, adam')
  })
})

describe('FileCalibrationCache', () => {
  it('lives in VAE Lab home unless VAE_LAB_CALIBRATION_FILE names another file', () => {
    expect(calibrationFile({ VAE_LAB_HOME: '/data/vl' })).toBe(
      path.join('/data/vl', 'backend-calibration.json')
    )
    expect(calibrationFile({ VAE_LAB_CALIBRATION_FILE: '/tmp/c.json' })).toBe('/tmp/c.json')
  })

  it('keeps entries across instances, and treats a corrupt file as empty', async () => {
    const file = path.join(tempDir(), 'sub', 'cal.json')
    const measure = fakeMeasure({ webgpu: 50000, 'wasm-blas': 12000 })
    const first = await calibrate({
      workload,
      adapter,
      cpu,
      cache: new FileCalibrationCache(file),
      measure
    })
    expect(first.cached).toBe(false)
    const again = new FileCalibrationCache(file)
    expect(again.get(first.key)).toMatchObject({ chosen: 'webgpu', key: first.key })
    expect(again.all()).toHaveLength(1)
    fs.writeFileSync(file, '{not json')
    expect(new FileCalibrationCache(file).all()).toEqual([])
  })
})

describe('calibrate', () => {
  const cacheAt = () => new FileCalibrationCache(path.join(tempDir(), 'cal.json'))

  it('measures the CPU path, then webgpu, and picks webgpu only when clearly faster', async () => {
    const measure = fakeMeasure({ webgpu: 50000, 'wasm-blas': 12000 })
    const c = await calibrate({ workload, adapter, cpu, cache: cacheAt(), measure })
    expect(measure.mock.calls.map((call) => call[0])).toEqual(['wasm-blas', 'webgpu'])
    expect(c).toMatchObject({
      chosen: 'webgpu',
      gpu: { imgPerSec: 50000 },
      cpu: { imgPerSec: 12000 }
    })
    const close = await calibrate({
      workload,
      adapter,
      cpu,
      cache: cacheAt(),
      measure: fakeMeasure({ webgpu: 12000 * GPU_MARGIN * 0.99, 'wasm-blas': 12000 })
    })
    expect(close.chosen).toBe('wasm-blas')
  })

  it('answers from the cache the second time, without measuring', async () => {
    const cache = cacheAt()
    const measure = fakeMeasure({ webgpu: 100, 'wasm-blas': 12000 })
    const now = () => new Date('2026-03-04T05:06:07Z')
    const a = await calibrate({ workload, adapter, cpu, cache, measure, now })
    const b = await calibrate({ workload, adapter, cpu, cache, measure, now })
    expect(measure).toHaveBeenCalledTimes(2) // both backends once, for the first call only
    expect(b).toEqual({ ...a, cached: true })
    expect(b.measuredAt).toBe('2026-03-04T05:06:07.000Z')
    // Another shape is measured anew.
    await calibrate({ workload: { ...workload, batchSize: 1000 }, adapter, cpu, cache, measure })
    expect(measure).toHaveBeenCalledTimes(4)
  })

  it('keeps the CPU path when webgpu fails to produce a rate', async () => {
    const c = await calibrate({
      workload,
      adapter,
      cpu,
      cache: cacheAt(),
      measure: fakeMeasure({ 'wasm-blas': 12000, webgpu: null })
    })
    expect(c.chosen).toBe('wasm-blas')
  })
})

// Real workers on a tiny model: the calibration's own measuring path.
const tiny: Workload = { hidden: 8, latentDim: 2, batchSize: 10, optimizer: 'adam' }
const quick = { ...CALIBRATION_STEPS, warmupSteps: 1, steps: 5, maxSeconds: 0.5 }

describe('measureInWorker', () => {
  it('times the real training step of a backend in a worker thread', async () => {
    const m = await measureInWorker('cpu', tiny, quick)
    expect(m.backend).toBe('cpu')
    expect(m.error).toBeUndefined()
    expect(m.imgPerSec).toBeGreaterThan(0)
    expect(m.steps).toBeGreaterThanOrEqual(3)
  })

  it('cuts a measurement off at its time limit', async () => {
    const m = await measureInWorker('cpu', { ...tiny, hidden: 500 }, { ...quick, timeoutMs: 1 })
    expect(m).toMatchObject({ imgPerSec: null, error: 'not done within 0.001 s' })
  })

  it.skipIf(gpu.skip)('measures webgpu too, in a worker of its own', async () => {
    const m = await measureInWorker('webgpu', tiny, quick)
    expect(m.error).toBeUndefined()
    expect(m.imgPerSec).toBeGreaterThan(0)
  })

  it.skipIf(gpu.skip)(
    'calibrates webgpu against a CPU backend for real, and caches the answer',
    async () => {
      const file = path.join(tempDir(), 'cal.json')
      const measure: Measure = (backend, w) => measureInWorker(backend, w, quick)
      const o = { workload: tiny, adapter, cpu: { name: 'cpu' as const, detail: 'JS' }, measure }
      const c = await calibrate({ ...o, cache: new FileCalibrationCache(file) })
      expect(c.cpu.imgPerSec).toBeGreaterThan(0)
      expect(c.gpu.imgPerSec).toBeGreaterThan(0)
      expect(['cpu', 'webgpu']).toContain(c.chosen)
      const again = await calibrate({ ...o, cache: new FileCalibrationCache(file) })
      expect(again).toMatchObject({ cached: true, chosen: c.chosen, measuredAt: c.measuredAt })
    }
  )
})
