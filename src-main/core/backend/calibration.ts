// `auto` and the GPU: a GPU pays off only for large batches and wide or deep models, where its
// arithmetic outweighs the per-dispatch cost. So auto trains on webgpu only after a short
// measurement of that model shape and batch says it beats the best CPU path, and remembers the
// answer per machine, adapter and shape in a small JSON file beside the default database.
import crypto from 'node:crypto'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { Worker } from 'node:worker_threads'
import type { BackendName, GpuAdapterInfo, TrainConfig } from '../../common/contract'
import { compiledScript } from '../compiledScript'
import { INPUT_DIM } from '../model/vae'
import { defaultHome } from '../paths'
import { codeVersion } from '../version'

/** What a calibration measures: the model (architecture, shape, objective), batch and optimiser. */
export type Workload = Pick<TrainConfig, 'hidden' | 'latentDim' | 'batchSize' | 'optimizer'> &
  Partial<Pick<TrainConfig, 'arch' | 'objective' | 'k'>>

export function workloadOf(cfg: Workload): Workload {
  return {
    hidden: cfg.hidden,
    latentDim: cfg.latentDim,
    batchSize: cfg.batchSize,
    optimizer: cfg.optimizer,
    // The paper's MLP and ELBO keep the keys (and cached answers) they had before these options.
    ...(cfg.arch && cfg.arch !== 'mlp' ? { arch: cfg.arch } : {}),
    ...(cfg.objective === 'iwae' ? { objective: cfg.objective, k: cfg.k } : {})
  }
}

export function workloadLabel(w: Workload): string {
  const model =
    w.arch === 'conv'
      ? `conv, latent ${w.latentDim}`
      : `${[INPUT_DIM, ...(typeof w.hidden === 'number' ? [w.hidden] : w.hidden), w.latentDim].join('-')}`
  const objective = w.objective === 'iwae' ? `, IWAE k=${w.k}` : ''
  return `${model}${objective}, batch ${w.batchSize}, ${w.optimizer}`
}

export interface Measurement {
  backend: BackendName
  /** Training images per second, or null when it failed or ran out of time (see error). */
  imgPerSec: number | null
  steps?: number
  error?: string
}

export interface Calibration {
  key: string
  workload: Workload
  adapter: GpuAdapterInfo
  gpu: Measurement
  cpu: Measurement
  /** webgpu, or the CPU path it was measured against. */
  chosen: BackendName
  measuredAt: string
}

/** webgpu must be this much faster: a short measurement is noisy, and a wrong GPU pick costs most. */
export const GPU_MARGIN = 1.1

/** Timed steps stop at whichever comes first; a slow backend is cut off at the time limit. */
export const CALIBRATION_STEPS = { warmupSteps: 2, steps: 30, maxSeconds: 1.5, timeoutMs: 60_000 }

/** The CPU, core count and platform: a cache file synced between machines must not mix them up. */
export function machineId(): string {
  const cpus = os.cpus()
  return `${os.hostname()}|${cpus[0]?.model ?? 'cpu'} x${cpus.length}|${process.platform}-${process.arch}`
}

/** Changes whenever the machine, the adapter, the shape, the CPU path or VAE Lab's code does. */
export function calibrationKey(
  workload: Workload,
  adapter: GpuAdapterInfo,
  cpu: { name: BackendName; detail: string },
  machine = machineId(),
  code = codeVersion()
): string {
  const parts = JSON.stringify({ machine, adapter, workload: workloadOf(workload), cpu, code })
  return crypto.createHash('sha256').update(parts).digest('hex').slice(0, 24)
}

export interface CalibrationCache {
  readonly file: string
  get(key: string): Calibration | undefined
  set(c: Calibration): void
  all(): Calibration[]
}

/** VAE_LAB_CALIBRATION_FILE, else backend-calibration.json in VAE Lab's home (VAE_LAB_HOME). */
export function calibrationFile(env: NodeJS.ProcessEnv = process.env): string {
  return env.VAE_LAB_CALIBRATION_FILE
    ? path.resolve(env.VAE_LAB_CALIBRATION_FILE)
    : path.join(defaultHome(env), 'backend-calibration.json')
}

interface CacheFile {
  version: 1
  entries: Record<string, Calibration>
}

/** The cache as a JSON file; unreadable or foreign content counts as empty and is replaced. */
export class FileCalibrationCache implements CalibrationCache {
  constructor(readonly file: string = calibrationFile()) {}

  private read(): CacheFile {
    try {
      const parsed = JSON.parse(fs.readFileSync(this.file, 'utf8')) as Partial<CacheFile>
      if (parsed.version === 1 && parsed.entries && typeof parsed.entries === 'object')
        return parsed as CacheFile
    } catch {
      // missing or corrupt: calibrate again
    }
    return { version: 1, entries: {} }
  }

  get(key: string): Calibration | undefined {
    return this.read().entries[key]
  }

  all(): Calibration[] {
    return Object.values(this.read().entries)
  }

  set(c: Calibration): void {
    const content = this.read()
    content.entries[c.key] = c
    fs.mkdirSync(path.dirname(this.file), { recursive: true })
    // Write then rename: two processes calibrating at once each leave a whole file.
    const tmp = `${this.file}.${process.pid}.${Date.now()}.tmp`
    fs.writeFileSync(tmp, JSON.stringify(content, null, 2) + '\n')
    fs.renameSync(tmp, this.file)
  }
}

export type Measure = (backend: BackendName, workload: Workload) => Promise<Measurement>

/** 'fused': the backend as training uses it; 'stock': tfjs's own kernels on it (benchmarks). */
export type Variant = 'fused' | 'stock'

export interface CalibrateOptions {
  workload: Workload
  adapter: GpuAdapterInfo
  /** The best CPU path here, as probed (its detail is part of the key: a BLAS build changes it). */
  cpu: { name: BackendName; detail: string }
  cache: CalibrationCache
  measure?: Measure
  now?: () => Date
}

/** The cached calibration for this shape, or a new measurement of both backends (then cached). */
export async function calibrate(o: CalibrateOptions): Promise<Calibration & { cached: boolean }> {
  const key = calibrationKey(o.workload, o.adapter, o.cpu)
  const hit = o.cache.get(key)
  if (hit) return { ...hit, cached: true }
  const measure = o.measure ?? measureInWorker
  // One after the other: measured side by side they would share the cores.
  const cpu = await measure(o.cpu.name, o.workload)
  const gpu = await measure('webgpu', o.workload)
  const faster =
    gpu.imgPerSec !== null && (cpu.imgPerSec === null || gpu.imgPerSec > cpu.imgPerSec * GPU_MARGIN)
  const c: Calibration = {
    key,
    workload: workloadOf(o.workload),
    adapter: o.adapter,
    gpu,
    cpu,
    chosen: faster ? 'webgpu' : o.cpu.name,
    measuredAt: (o.now ?? (() => new Date()))().toISOString()
  }
  o.cache.set(c)
  return { ...c, cached: false }
}

const rate = (m: Measurement) =>
  m.imgPerSec === null ? (m.error ?? 'no result') : `${Math.round(m.imgPerSec)} img/s`

/** "webgpu 31,000 img/s against wasm-blas 12,000 img/s for 784-500-20, batch 1000, adam" */
export function calibrationLine(c: Calibration): string {
  return `webgpu ${rate(c.gpu)} against ${c.cpu.backend} ${rate(c.cpu)} for ${workloadLabel(c.workload)} (measured ${c.measuredAt.slice(0, 10)})`
}

/**
 * Times the real training step of `backend` in a fresh worker thread (its own tf instance; for
 * webgpu, the only place navigator.gpu is set up), cut off after CALIBRATION_STEPS.timeoutMs.
 */
export function measureInWorker(
  backend: BackendName,
  workload: Workload,
  limits = CALIBRATION_STEPS,
  variant: Variant = 'fused'
): Promise<Measurement> {
  return new Promise((resolve) => {
    let done = false
    const worker = new Worker(compiledScript('core/backend/calibrationWorker.js'), {
      workerData: { backend, workload: workloadOf(workload), limits, variant }
    })
    const finish = (m: Measurement) => {
      if (done) return
      done = true
      clearTimeout(timer)
      void worker.terminate()
      resolve(m)
    }
    const timer = setTimeout(
      () =>
        finish({
          backend,
          imgPerSec: null,
          error: `not done within ${limits.timeoutMs / 1000} s`
        }),
      limits.timeoutMs
    )
    worker.on('message', (m: Measurement) => finish(m))
    worker.on('error', (e) => finish({ backend, imgPerSec: null, error: e.message }))
    worker.on('exit', (code) =>
      finish({ backend, imgPerSec: null, error: `worker exited with code ${code}` })
    )
  })
}
