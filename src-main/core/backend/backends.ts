// Which TensorFlow.js backend trains a run: probe what is installed, choose (auto = fastest
// available), initialise it in the worker, and say clearly why one is missing and how to get it.
import path from 'node:path'
import fs from 'node:fs'
import * as tf from '@tensorflow/tfjs-core'
// tfjs-core's CommonJS build registers no gradients; the umbrella package's CommonJS entry does
// (its ESM build breaks under Node's loader: design.md section 2).
import '@tensorflow/tfjs'
import {
  BACKEND_NAMES,
  type BackendChoice,
  type BackendName,
  type BackendReport
} from '../../common/contract'
import { VaeLabError } from '../../common/errors'
import { stockMatMul, transposeFreeMatMul, type MatMul } from '../model/dense'
import {
  blasKernelsInstalled,
  installBlasKernels,
  loadBlasAddon,
  uninstallBlasKernels,
  type BlasAddon
} from './blasKernels'

/**
 * Fastest first for this model (an MLP, batch 100). wasm-blas (about 12,000 img/s measured here)
 * goes before webgpu: with ~175 small kernels per step, per-dispatch GPU overhead dominates.
 */
export const AUTO_ORDER: readonly BackendName[] = [
  'tensorflow-gpu',
  'tensorflow',
  'wasm-blas',
  'webgpu',
  'wasm',
  'cpu'
]

const HOW_TO_GET: Record<BackendName, string> = {
  'tensorflow-gpu':
    'install it with `npm install @tensorflow/tfjs-node-gpu` on Linux with CUDA 11.2 and cuDNN 8 (the install downloads libtensorflow, so it needs internet)',
  tensorflow:
    'run `npm rebuild @tensorflow/tfjs-node` on a machine with internet access (its install downloads libtensorflow), or `node scripts/fetch-native-binaries.mjs`',
  webgpu:
    'install `npm install webgpu @tensorflow/tfjs-backend-webgpu` (Dawn for Node) on a machine with a GPU and current drivers',
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

interface WebGpuNavigator {
  gpu: { requestAdapter(): Promise<unknown> }
}

async function webGpuAdapter(): Promise<string | null> {
  const dawn = tryRequire('webgpu')
  if ('error' in dawn) return dawn.error
  const { create, globals } = dawn.module as {
    create(flags: string[]): WebGpuNavigator['gpu']
    globals: object
  }
  Object.assign(globalThis, globals)
  const gpu = create([])
  if (!(await gpu.requestAdapter()))
    return 'no WebGPU adapter found (no GPU, or its drivers are missing)'
  ;(globalThis as unknown as { navigator: WebGpuNavigator }).navigator = { gpu }
  return null
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
      const loaded = tryRequire(id)
      if ('error' in loaded) return unavailable(name, loaded.error)
      return { name, available: true, detail: `${id} (libtensorflow, native)` }
    }
    case 'webgpu': {
      // The adapter must exist before the tfjs backend module registers itself.
      const why = await webGpuAdapter().catch((e: unknown) => `WebGPU failed: ${errorText(e)}`)
      if (why) return unavailable(name, why)
      const backend = tryRequire('@tensorflow/tfjs-backend-webgpu')
      if ('error' in backend) return unavailable(name, backend.error)
      return { name, available: true, detail: 'WebGPU through Dawn (npm package webgpu)' }
    }
  }
}

export type Prober = (name: BackendName) => Promise<BackendReport>

/**
 * Resolves a user's choice to a backend that is available. A forced backend that is missing is an
 * error with the reason and the way to get it; `auto` takes the first available in AUTO_ORDER.
 */
export async function selectBackend(
  choice: BackendChoice,
  probe: Prober = probeBackend
): Promise<{ name: BackendName; reason: string; skipped: BackendReport[] }> {
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
      reason: `chosen with --backend ${choice}: ${report.detail}`,
      skipped: []
    }
  }
  const skipped: BackendReport[] = []
  for (const name of AUTO_ORDER) {
    const report = await probe(name)
    if (report.available) {
      const why = skipped.length ? ` (unavailable: ${skipped.map((s) => s.name).join(', ')})` : ''
      return {
        name,
        reason: `auto: ${name} is the fastest available${why}: ${report.detail}`,
        skipped
      }
    }
    skipped.push(report)
  }
  throw new VaeLabError(
    'BACKEND_UNAVAILABLE',
    'no TensorFlow.js backend could be loaded; reinstall with `npm ci`'
  )
}

export async function probeAll(probe: Prober = probeBackend): Promise<BackendReport[]> {
  const reports: BackendReport[] = []
  for (const name of BACKEND_NAMES) reports.push(await probe(name))
  return reports
}

export interface ActiveBackend {
  name: BackendName
  detail: string
  /** The dense-layer matMul that is fastest on this backend. */
  matMul: MatMul
  /** The native add-on when its kernels are installed (wasm-blas): optimisers use it too. */
  blas: BlasAddon | null
}

/** BLAS threads per worker: one by default, so a sweep with a worker per core does not oversubscribe. */
export function blasThreads(env: NodeJS.ProcessEnv = process.env): number {
  const n = Number(env.VAE_LAB_BLAS_THREADS ?? 1)
  return Number.isInteger(n) && n >= 1 ? n : 1
}

/** Makes `name` the tf backend of this thread; throws BACKEND_UNAVAILABLE if it will not start. */
export async function initBackend(name: BackendName): Promise<ActiveBackend> {
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
    // With BLAS, transposed GEMMs cost nothing: the stock matMul gradient is the fast one.
    const detail = `WebAssembly + native BLAS kernels (${blas.addon.info()}, ${threads} BLAS thread${threads > 1 ? 's' : ''})`
    return { name, detail, matMul: stockMatMul, blas: blas.addon }
  }
  return { name, detail: report.detail, matMul: stockMatMul, blas: null }
}
