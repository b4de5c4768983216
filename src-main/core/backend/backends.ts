// Which TensorFlow.js backend trains a run: probe what is installed, choose (auto = fastest
// available), initialise it in the worker, and say clearly why one is missing and how to get it.
import path from 'node:path'
import fs from 'node:fs'
import * as tf from '@tensorflow/tfjs-core'
// Types only (erased): the umbrella's chained-op declarations (t.reshape(), ...); the module itself
// loads in registerGradients().
import type {} from '@tensorflow/tfjs'
import {
  BACKEND_NAMES,
  type BackendChoice,
  type BackendName,
  type BackendReport
} from '../../common/contract'
import { VaeLabError } from '../../common/errors'
import { stockMatMul, transposeFreeMatMul, type MatMul } from '../model/dense'
import { blasMatMul } from './fusedKernels'
import {
  blasKernelsInstalled,
  installBlasKernels,
  loadBlasAddon,
  uninstallBlasKernels,
  type BlasAddon
} from './blasKernels'
import {
  calibrate,
  calibrationLine,
  FileCalibrationCache,
  workloadLabel,
  type Calibration,
  type CalibrationCache,
  type Workload
} from './calibration'
import { followThreadBudget } from './threadPlan'
import { adapterLine, findAdapterIsolated, installDawnGlobals, loadDawn } from './webgpuDawn'
import { registerWebGpuBackend } from './webgpuBackend'
import { installWebGpuKernels, webGpuMatMul } from './webgpuKernels'

/**
 * Fastest first, for the paper's MLP at batch 100 (wasm-blas: about 12,000 img/s measured here).
 * webgpu has no fixed place: its per-dispatch cost outweighs its arithmetic at small batches, so
 * `auto` uses it only where a calibration of that model shape measured it faster (calibration.ts).
 */
export const AUTO_ORDER: readonly BackendName[] = [
  'tensorflow-gpu',
  'tensorflow',
  'wasm-blas',
  'wasm',
  'cpu'
]

const HOW_TO_GET: Record<BackendName, string> = {
  'tensorflow-gpu':
    'install it with `npm install @tensorflow/tfjs-node-gpu` on Linux with CUDA 11.2 and cuDNN 8 (the install downloads libtensorflow, so it needs internet)',
  tensorflow:
    'run `npm rebuild @tensorflow/tfjs-node` on a machine with internet access (its install downloads libtensorflow), or `node scripts/fetch-native-binaries.mjs`',
  webgpu:
    'reinstall the project (`npm ci`): webgpu (Dawn for Node) and @tensorflow/tfjs-backend-webgpu are its dependencies',
  'wasm-blas':
    'build the native kernels with `npm run build:native` (a C compiler and a BLAS: `apt-get install libopenblas-dev` on Debian/Ubuntu, Accelerate on macOS)',
  wasm: 'reinstall the project (`npm ci`): @tensorflow/tfjs-backend-wasm ships its .wasm files',
  cpu: 'reinstall the project (`npm ci`)'
}

function wasmDir(): string {
  return path.join(
    path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/package.json')),
    'dist'
  )
}

function errorText(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0]
}

function unavailable(name: BackendName, why: string): BackendReport {
  return { name, available: false, detail: `${why}; to use it, ${HOW_TO_GET[name]}` }
}

/** Loads an optional module, or returns why it cannot be loaded. */
function tryRequire(id: string): { module: unknown } | { error: string } {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return { module: require(id) as unknown }
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    return {
      error:
        code === 'MODULE_NOT_FOUND' && errorText(e).includes(`'${id}'`)
          ? `${id} is not installed`
          : `${id} failed to load: ${errorText(e)}`
    }
  }
}

/**
 * Why tfjs-node cannot load, where that shows without loading it: not installed, or installed
 * offline without its native addon (lib/napi-vN/tfjs_binding.node, downloaded by its install
 * script). Requiring it only to fail loads 90 ms of JavaScript (all of @tensorflow/tfjs) in the
 * thread that asks, at every `auto` choice of a new process.
 */
function missingTfjsBinding(id: string): string | null {
  let dir: string
  try {
    dir = path.dirname(require.resolve(`${id}/package.json`))
  } catch {
    return `${id} is not installed`
  }
  const lib = path.join(dir, 'lib')
  const built =
    fs.existsSync(lib) &&
    fs
      .readdirSync(lib)
      .some((d) => /^napi-v\d+$/.test(d) && fs.existsSync(path.join(lib, d, 'tfjs_binding.node')))
  return built ? null : `${id} failed to load: its native addon (tfjs_binding.node) was never built`
}

// Probing loads (or fails to load) native modules synchronously, ~100 ms on first use: once per
// process is enough, and keeps a long-running server's event loop free afterwards.
const probes = new Map<BackendName, Promise<BackendReport>>()

export function probeBackend(name: BackendName): Promise<BackendReport> {
  if (!probes.has(name)) probes.set(name, probeUncached(name))
  return probes.get(name) as Promise<BackendReport>
}

async function probeUncached(name: BackendName): Promise<BackendReport> {
  switch (name) {
    case 'cpu':
      return { name, available: true, detail: 'plain JavaScript kernels (slowest; always there)' }
    case 'wasm': {
      const file = path.join(wasmDir(), 'tfjs-backend-wasm-simd.wasm')
      return fs.existsSync(file)
        ? { name, available: true, detail: 'WebAssembly SIMD, one thread per worker' }
        : unavailable(name, `${file} is missing`)
    }
    case 'wasm-blas': {
      const wasm = await probeBackend('wasm')
      if (!wasm.available) return unavailable(name, 'the wasm backend it builds on is missing')
      const blas = loadBlasAddon()
      if (!blas.ok) return { name, available: false, detail: blas.reason }
      return { name, available: true, detail: `wasm with native kernels (${blas.addon.info()})` }
    }
    case 'tensorflow':
    case 'tensorflow-gpu': {
      const id = name === 'tensorflow' ? '@tensorflow/tfjs-node' : '@tensorflow/tfjs-node-gpu'
      const missing = missingTfjsBinding(id)
      if (missing) return unavailable(name, missing)
      const loaded = tryRequire(id)
      if ('error' in loaded) return unavailable(name, loaded.error)
      return { name, available: true, detail: `${id} (libtensorflow, native)` }
    }
    case 'webgpu': {
      // Only resolved here: loading the tfjs backend needs navigator.gpu, which is set up only in
      // the thread that trains on it (initBackend).
      try {
        require.resolve('@tensorflow/tfjs-backend-webgpu')
      } catch {
        return unavailable(name, '@tensorflow/tfjs-backend-webgpu is not installed')
      }
      const found = await findAdapterIsolated()
      if (!found.ok)
        return loadDawn().ok
          ? { name, available: false, detail: found.reason }
          : unavailable(name, found.reason)
      return {
        name,
        available: true,
        detail: `WebGPU through Dawn on ${adapterLine(found.adapter)}`,
        adapter: found.adapter
      }
    }
  }
}

export type Prober = (name: BackendName) => Promise<BackendReport>

/** Measures (or recalls) webgpu against the best CPU path for one workload. */
export type Calibrator = (
  workload: Workload,
  gpu: BackendReport & { adapter: NonNullable<BackendReport['adapter']> },
  cpu: BackendReport
) => Promise<Calibration & { cached: boolean }>

const calibrateWithFileCache: Calibrator = (workload, gpu, cpu) =>
  calibrate({ workload, adapter: gpu.adapter, cpu, cache: new FileCalibrationCache() })

export interface SelectOptions {
  /** The model shape and batch about to train: `auto` weighs webgpu only for a known workload. */
  workload?: Workload
  calibrator?: Calibrator
}

export interface Selection {
  name: BackendName
  reason: string
  /** Backends before the chosen one in AUTO_ORDER that are not available. */
  skipped: BackendReport[]
}

/**
 * Resolves a user's choice to a backend that is available. A forced backend that is missing is an
 * error with the reason and the way to get it. `auto` takes the first available in AUTO_ORDER,
 * and webgpu instead only where a calibration of the workload measured it faster (never for a
 * software adapter, which runs on the same CPU).
 */
export async function selectBackend(
  choice: BackendChoice,
  probe: Prober = probeBackend,
  options: SelectOptions = {}
): Promise<Selection> {
  if (choice !== 'auto') {
    const report = await probe(choice)
    if (!report.available) {
      throw new VaeLabError(
        'BACKEND_UNAVAILABLE',
        `backend "${choice}" is not available: ${report.detail}`
      )
    }
    return {
      name: choice,
      reason: `asked for by name: ${report.detail}`,
      skipped: []
    }
  }
  const skipped: BackendReport[] = []
  let best: BackendReport | undefined
  for (const name of AUTO_ORDER) {
    const report = await probe(name)
    if (report.available) {
      best = report
      break
    }
    skipped.push(report)
  }
  if (!best)
    throw new VaeLabError(
      'BACKEND_UNAVAILABLE',
      'no TensorFlow.js backend could be loaded; reinstall with `npm ci`'
    )
  const why = skipped.length ? ` (unavailable: ${skipped.map((s) => s.name).join(', ')})` : ''
  const base = `auto: ${best.name} is the fastest available${why}: ${best.detail}`
  // CUDA through libtensorflow is a native GPU path already; nothing to weigh it against.
  if (best.name === 'tensorflow-gpu') return { name: best.name, reason: base, skipped }
  // Without a workload (figures, evaluations, the sweep form) there is nothing to calibrate, and
  // the adapter probe (a child process, ~0.3 s) is skipped.
  if (!options.workload)
    return {
      name: best.name,
      reason: `${base}; webgpu is weighed per model shape and batch when a run starts`,
      skipped
    }
  const gpu = await probe('webgpu')
  if (!gpu.available) return { name: best.name, reason: base, skipped }
  if (!gpu.adapter || gpu.adapter.software)
    return {
      name: best.name,
      reason: `${base}; webgpu is left out: its adapter is a software one, no faster than the CPU`,
      skipped
    }
  let c: Awaited<ReturnType<Calibrator>>
  try {
    c = await (options.calibrator ?? calibrateWithFileCache)(
      options.workload,
      { ...gpu, adapter: gpu.adapter },
      best
    )
  } catch (e) {
    return {
      name: best.name,
      reason: `${base}; webgpu is left out: its calibration failed (${errorText(e)})`,
      skipped
    }
  }
  const measured = `${calibrationLine(c)}${c.cached ? ', cached' : ''}`
  if (c.chosen === 'webgpu')
    return {
      name: 'webgpu',
      reason: `auto: webgpu, measured faster: ${measured}: ${gpu.detail}`,
      skipped
    }
  return { name: best.name, reason: `${base}; webgpu measured slower: ${measured}`, skipped }
}

/** How `auto` treats this webgpu adapter, from the calibrations cached on this machine. */
export function webGpuAutoNote(gpu: BackendReport, cache: CalibrationCache): string {
  if (!gpu.adapter) return ''
  if (gpu.adapter.software)
    return 'auto leaves it out: a software adapter runs on the CPU and is no faster'
  const same = JSON.stringify(gpu.adapter)
  const mine = cache.all().filter((c) => JSON.stringify(c.adapter) === same)
  if (mine.length === 0)
    return `auto measures it against the best CPU backend on the first run of each model shape and batch, and caches the result in ${cache.file}`
  const lines = mine.map(
    (c) => `${c.chosen} for ${workloadLabel(c.workload)} (${calibrationLine(c)})`
  )
  return `auto, from calibrations cached in ${cache.file}: ${lines.join('; ')}`
}

export async function probeAll(
  probe: Prober = probeBackend,
  cache: CalibrationCache = new FileCalibrationCache()
): Promise<BackendReport[]> {
  const reports: BackendReport[] = []
  for (const name of BACKEND_NAMES) {
    const r = await probe(name)
    reports.push(name === 'webgpu' && r.available ? { ...r, auto: webGpuAutoNote(r, cache) } : r)
  }
  return reports
}

export interface ActiveBackend {
  name: BackendName
  detail: string
  /** The dense-layer matMul that is fastest on this backend. */
  matMul: MatMul
  /** The native add-on when its kernels are installed (wasm-blas): optimisers use it too. */
  blas: BlasAddon | null
  /** webgpu: fused optimisers and one data upload per epoch. */
  webgpu?: boolean
}

/** BLAS threads per worker: one by default, so a sweep with a worker per core does not oversubscribe. */
export function blasThreads(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.VAE_LAB_BLAS_THREADS ?? 1)
  return Number.isInteger(n) && n >= 1 ? n : 1
}

export interface InitOptions {
  /**
   * A pool worker's shared thread budget (Int32 [threads], threadPlan.ts): wasm-blas then uses
   * the cores other runs leave idle, where its tuner measures them faster. A fixed
   * VAE_LAB_BLAS_THREADS=N wins over it.
   */
  threadBudget?: Int32Array
}

/**
 * tfjs-core's CommonJS build registers no gradients; the umbrella package's CommonJS entry does
 * (its ESM build breaks under Node's loader: design.md section 2). Loaded where a backend starts,
 * not with this module: the CLI's main thread, which trains nothing, saves its 90 ms.
 */
export function registerGradients(): void {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  require('@tensorflow/tfjs')
}

/** Makes `name` the tf backend of this thread; throws BACKEND_UNAVAILABLE if it will not start. */
export async function initBackend(name: BackendName, o: InitOptions = {}): Promise<ActiveBackend> {
  registerGradients()
  const report = await probeBackend(name)
  if (!report.available)
    throw new VaeLabError(
      'BACKEND_UNAVAILABLE',
      `backend "${name}" is not available: ${report.detail}`
    )
  // PROD skips tfjs's debug-time checks and its console advert for tfjs-node.
  tf.env().set('PROD', true)
  let tfName: string = name
  if (name === 'cpu') tryRequire('@tensorflow/tfjs-backend-cpu')
  if (name === 'tensorflow' || name === 'tensorflow-gpu') tfName = 'tensorflow'
  if (name === 'wasm-blas') tfName = 'wasm'
  if (name === 'webgpu') {
    // navigator.gpu first: the tfjs backend registers itself at load only if it exists.
    const dawn = loadDawn()
    if (!dawn.ok) throw new VaeLabError('BACKEND_UNAVAILABLE', dawn.reason)
    installDawnGlobals(dawn.module)
    const webgpu = tryRequire('@tensorflow/tfjs-backend-webgpu')
    if ('error' in webgpu) throw new VaeLabError('BACKEND_UNAVAILABLE', webgpu.error)
    registerWebGpuBackend(webgpu.module as Parameters<typeof registerWebGpuBackend>[0])
  }
  if (tfName === 'wasm') {
    const wasm = tryRequire('@tensorflow/tfjs-backend-wasm')
    if ('error' in wasm)
      throw new VaeLabError('BACKEND_UNAVAILABLE', wasm.error)
      // A trailing separator is required: the loader concatenates prefix and file name (pitfalls.md §1).
    ;(wasm.module as { setWasmPaths(p: string): void }).setWasmPaths(wasmDir() + path.sep)
  }
  // setBackend resolves to false, rather than throwing, when initialisation fails (pitfalls.md §1).
  const ok = await tf.setBackend(tfName)
  if (!ok || tf.getBackend() !== tfName) {
    throw new VaeLabError(
      'BACKEND_UNAVAILABLE',
      `backend "${name}" failed to initialise; ${HOW_TO_GET[name]}`
    )
  }
  if (name === 'wasm') {
    // Kernel registrations are per process: plain wasm must not keep a previous wasm-blas's.
    if (blasKernelsInstalled()) uninstallBlasKernels()
    const simd = await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')
    return {
      name,
      detail: `WebAssembly (SIMD ${simd ? 'on' : 'off'}, single-threaded)`,
      matMul: transposeFreeMatMul,
      blas: null
    }
  }
  if (name === 'wasm-blas') {
    const blas = loadBlasAddon()
    if (!blas.ok)
      throw new VaeLabError(
        'BACKEND_UNAVAILABLE',
        `backend "wasm-blas" is not available: ${blas.reason}`
      )
    const threads = installBlasKernels(blas.addon, { threads: blasThreads() })
    const fixed = /^\d+$/.test(process.env.VAE_LAB_BLAS_THREADS ?? '')
    const follow = o.threadBudget !== undefined && !fixed
    if (follow) followThreadBudget(o.threadBudget as Int32Array, blas.addon)
    // With BLAS, transposed GEMMs cost nothing: the stock matMul gradient is the fast one; dense
    // layers are one fused kernel each (fusedKernels.ts).
    const detail = `WebAssembly + native BLAS kernels (${blas.addon.info()}, ${
      follow
        ? 'BLAS threads: 1, more on cores no other run uses where measured faster'
        : `${threads} BLAS thread${threads > 1 ? 's' : ''}`
    })`
    return { name, detail, matMul: blasMatMul, blas: blas.addon }
  }
  if (name === 'webgpu') {
    installWebGpuKernels()
    return { name, detail: report.detail, matMul: webGpuMatMul, blas: null, webgpu: true }
  }
  return { name, detail: report.detail, matMul: stockMatMul, blas: null }
}
