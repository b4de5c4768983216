// Native BLAS matMul for the tfjs wasm backend (issue 7). The wasm backend's own GEMM is 128-bit
// SIMD at best, and falls to a scalar loop whenever transposeA/transposeB is set, which the stock
// matMul gradient always does (pitfalls.md §2). The add-on in native/blas runs cblas_sgemm directly
// on the tensors' memory inside the wasm heap, so nothing is copied and transposes cost nothing.
import path from 'node:path'
import fs from 'node:fs'
import * as tf from '@tensorflow/tfjs-core'
import { repoRoot } from '../version'
import { installFusedKernels, uninstallFusedKernels } from './fusedKernels'
import { availableCores, setThreadBudget } from './threadPlan'
import { heapOffset, heapRange, wasmInternals, type WasmBackendInternals } from './wasmHeap'

export { heapOffset, heapRange, wasmInternals, type WasmBackendInternals } from './wasmHeap'

/** The add-on's functions. Offsets are bytes into the wasm heap; batch strides are in floats. */
export interface BlasAddon {
  sgemm(
    heap: Uint8Array,
    transA: boolean,
    transB: boolean,
    m: number,
    n: number,
    k: number,
    batch: number,
    aOffset: number,
    aBatchStride: number,
    bOffset: number,
    bBatchStride: number,
    cOffset: number
  ): void
  adam(
    heap: Uint8Array,
    size: number,
    wOffset: number,
    gOffset: number,
    mOffset: number,
    vOffset: number,
    lr: number,
    beta1: number,
    beta2: number,
    epsilon: number,
    beta1Power: number,
    beta2Power: number
  ): void
  adagrad(
    heap: Uint8Array,
    size: number,
    wOffset: number,
    gOffset: number,
    accOffset: number,
    lr: number,
    epsilon: number
  ): void
  /** y = f(x) elementwise into a separate range; op is one of UNARY_OPS' values. */
  unary(heap: Uint8Array, op: number, size: number, xOffset: number, yOffset: number): void
  /**
   * out [m, n] = a op b; op is one of BINARY_OPS' values, each operand's kind one of OPERAND
   * (a full [m, n] array, a row vector [n], a column [m] or a scalar).
   */
  binary(
    heap: Uint8Array,
    op: number,
    m: number,
    n: number,
    aOffset: number,
    aKind: number,
    bOffset: number,
    bKind: number,
    outOffset: number
  ): void
  /** y = act(x w + b) for x [m, k], w [k, n], b [n]; act 0 linear, 1 tanh (fusedKernels.ts). */
  dense(
    heap: Uint8Array,
    m: number,
    n: number,
    k: number,
    xOffset: number,
    wOffset: number,
    bOffset: number,
    yOffset: number,
    act: number
  ): void
  /** tanh: dpre = (1 - y^2) dy, db = column sums of dpre; linear: db = column sums of dy only. */
  denseGrad(
    heap: Uint8Array,
    act: number,
    m: number,
    n: number,
    dyOffset: number,
    yOffset: number,
    dpreOffset: number,
    dbOffset: number
  ): void
  /** out[i] = sum_j max(l, 0) - l x + log(1 + exp(-|l|)) over row i of [m, n]. */
  bernoulli(heap: Uint8Array, m: number, n: number, l: number, x: number, out: number): void
  /** dl = dy[i] (sigmoid(l) - x). */
  bernoulliGrad(
    heap: Uint8Array,
    m: number,
    n: number,
    l: number,
    x: number,
    dy: number,
    dl: number
  ): void
  /** out[i] = -1/2 sum_j (1 + lv - mu^2 - exp(lv)) over row i of [m, n]. */
  gaussianKl(heap: Uint8Array, m: number, n: number, mu: number, lv: number, out: number): void
  gaussianKlGrad(
    heap: Uint8Array,
    m: number,
    n: number,
    mu: number,
    lv: number,
    dy: number,
    dmu: number,
    dlv: number
  ): void
  /** z = mu + exp(lv / 2) eps over n elements. */
  reparameterize(heap: Uint8Array, n: number, mu: number, lv: number, eps: number, z: number): void
  /** dlv = dz eps exp(lv / 2) / 2, deps = dz exp(lv / 2). */
  reparameterizeGrad(
    heap: Uint8Array,
    n: number,
    lv: number,
    eps: number,
    dz: number,
    dlv: number,
    deps: number
  ): void
  /** out[r] = images[indices[start + r]] / 255 for r < rows, rows of `rowLength` bytes (pixels.ts). */
  greyRows(
    images: Uint8Array,
    indices: Uint32Array,
    start: number,
    rows: number,
    rowLength: number,
    out: Float32Array
  ): void
  /** Returns the thread count the library now uses (process-wide for OpenBLAS). */
  setThreads(n: number): number
  /** The BLAS build, e.g. 'OpenBLAS 0.3.21 ... Cooperlake'. */
  info(): string
}

export type BlasLoad = { ok: true; addon: BlasAddon; file: string } | { ok: false; reason: string }

export const ADDON_RELATIVE = path.join('native', 'blas', 'build', 'Release', 'vae_lab_blas.node')
const BUILD_HINT =
  'build it with `npm run build:native` (needs a C compiler and libopenblas-dev on Linux)'

/**
 * Where the add-on is: under the project root (this file runs both as out/node/core/backend/*.js
 * and, under vitest, as src-main/core/backend/*.ts), never relative to the working directory.
 * Inside a packaged Electron app a .node file can only be loaded from app.asar.unpacked.
 */
function addonFile(): string {
  const env = process.env.VAE_LAB_BLAS_ADDON
  if (env) return env
  return path
    .join(repoRoot(), ADDON_RELATIVE)
    .replace(`app.asar${path.sep}`, `app.asar.unpacked${path.sep}`)
}

const ADDON_FUNCTIONS = [
  'sgemm',
  'adam',
  'adagrad',
  'unary',
  'binary',
  'dense',
  'denseGrad',
  'bernoulli',
  'bernoulliGrad',
  'gaussianKl',
  'gaussianKlGrad',
  'reparameterize',
  'reparameterizeGrad',
  'greyRows',
  'setThreads',
  'info'
] as const

let cached: BlasLoad | undefined

/** Finds and loads the add-on once; never throws. Set VAE_LAB_BLAS=0 to turn it off. */
export function loadBlasAddon(): BlasLoad {
  if (cached) return cached
  if (process.env.VAE_LAB_BLAS === '0')
    return (cached = { ok: false, reason: 'turned off with VAE_LAB_BLAS=0' })
  const file = addonFile()
  if (!fs.existsSync(file))
    return (cached = { ok: false, reason: `the native BLAS add-on is not built; ${BUILD_HINT}` })
  try {
    // dlopen rather than require: it works the same from CommonJS output and from vitest's ESM.
    const mod = { exports: {} as Record<string, unknown> }
    process.dlopen(mod, file)
    const missing = ADDON_FUNCTIONS.filter((f) => typeof mod.exports[f] !== 'function')
    if (missing.length)
      return (cached = {
        ok: false,
        reason: `${file} lacks ${missing.join(', ')}; rebuild it (${BUILD_HINT})`
      })
    return (cached = { ok: true, addon: mod.exports as unknown as BlasAddon, file })
  } catch (e) {
    const why = (e instanceof Error ? e.message : String(e)).split('\n')[0]
    return (cached = { ok: false, reason: `${file} failed to load (${why}); ${BUILD_HINT}` })
  }
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1)

function batchMatMulKernel(addon: BlasAddon, stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo }
    const { transposeA, transposeB } = args.attrs as unknown as {
      transposeA: boolean
      transposeB: boolean
    }
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return stock(args)
    const backend = args.backend as unknown as WasmBackendInternals
    const ra = a.shape.length
    const rb = b.shape.length
    const innerA = transposeA ? a.shape[ra - 2] : a.shape[ra - 1]
    const innerB = transposeB ? b.shape[rb - 1] : b.shape[rb - 2]
    const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2]
    const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1]
    if (innerA !== innerB) {
      throw new Error(
        `Error in matMul: inner shapes (${innerA}) and (${innerB}) of Tensors with shapes ${a.shape} and ${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`
      )
    }
    const outerA = a.shape.slice(0, -2)
    const outerB = b.shape.slice(0, -2)
    const outer = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB)
    const batchA = size(outerA)
    const batchB = size(outerB)
    const batch = size(outer)
    const out = backend.makeOutput([...outer, m, n], 'float32')
    // Read offsets and the heap only after makeOutput: its malloc may grow (and replace) the heap.
    const aOff = heapRange(backend, a, size(outerA) * m * innerA)
    const bOff = heapRange(backend, b, size(outerB) * innerA * n)
    const cOff = heapRange(backend, out, size(outer) * m * n)
    const heap = backend.wasm.HEAPU8
    const aSize = m * innerA
    const bSize = innerA * n
    if ((batchA === batch || batchA === 1) && (batchB === batch || batchB === 1)) {
      const aStride = batchA === 1 ? 0 : aSize
      const bStride = batchB === 1 ? 0 : bSize
      addon.sgemm(
        heap,
        transposeA,
        transposeB,
        m,
        n,
        innerA,
        batch,
        aOff,
        aStride,
        bOff,
        bStride,
        cOff
      )
      return out
    }
    // General broadcasting (e.g. [2,1] with [1,3] batch dims): one GEMM per output matrix.
    const index = (i: number, dims: number[]) => {
      let flat = 0
      let rest = i
      const pad = outer.length - dims.length
      for (let d = outer.length - 1, stride = 1; d >= pad; d--) {
        const coord = rest % outer[d]
        rest = Math.floor(rest / outer[d])
        const dim = dims[d - pad]
        flat += (dim === 1 ? 0 : coord) * stride
        stride *= dim
      }
      return flat
    }
    for (let i = 0; i < batch; i++) {
      const ai = aOff + index(i, outerA) * aSize * 4
      const bi = bOff + index(i, outerB) * bSize * 4
      addon.sgemm(heap, transposeA, transposeB, m, n, innerA, 1, ai, 0, bi, 0, cOff + i * m * n * 4)
    }
    return out
  }
}

/**
 * tfjs kernels the add-on computes natively. Tanh, Exp and Log1p: wasm (and glibc) evaluate them
 * with scalar libm at 8-22 ns per element, a vectorised polynomial takes about 1; tanh alone was
 * 2.1 ms of a 12.5 ms training step.
 */
export const UNARY_OPS = { Tanh: 0, Exp: 1, Log1p: 2 } as const

function unaryKernel(addon: BlasAddon, op: number, stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo }
    if (x.dtype !== 'float32') return stock(args)
    const backend = args.backend as unknown as WasmBackendInternals
    const out = backend.makeOutput(x.shape, 'float32')
    const n = size(x.shape)
    if (n > 0)
      addon.unary(backend.wasm.HEAPU8, op, n, heapRange(backend, x, n), heapRange(backend, out, n))
    return out
  }
}

/**
 * tfjs clones (Identity) every tensor it saves for the backward pass; wasm's Identity copies the
 * data, the cpu backend's shares it. Sharing is safe because kernels never write to their inputs
 * (reshape already shares); the fused optimiser checks refCount before writing in place.
 */
function zeroCopyIdentity(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo }
    if (x.dtype === 'string') return stock(args)
    ;(args.backend as unknown as WasmBackendInternals).incRef(x.dataId)
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype }
  }
}

/** tfjs binary kernels the add-on computes for float32 operands broadcast as rows, columns or scalars. */
export const BINARY_OPS = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3 } as const
const OPERAND = { full: 0, row: 1, column: 2, scalar: 3 } as const

/**
 * How an operand of shape `s` broadcasts to an output flattened to [m, n] (n its last dimension),
 * or null for a broadcast the add-on does not take. Equal sizes imply equal shapes up to leading
 * 1s, since broadcasting never shrinks a dimension.
 */
function operandKind(s: readonly number[], m: number, n: number): number | null {
  const count = size(s)
  if (count === m * n) return OPERAND.full
  if (count === 1) return OPERAND.scalar
  const last = s.length ? s[s.length - 1] : 1
  if (count === n && last === n) return OPERAND.row
  if (count === m && last === 1) return OPERAND.column
  return null
}

/**
 * Add, Sub, Multiply and RealDiv on float32 without the stock kernels' general broadcasting,
 * which costs about 300 ns per element (per-element index arithmetic): IWAE's scalar scalings of
 * 4,000-sample vectors took longer than the log-sum-exp they feed. Results are bit-equal.
 */
function binaryKernel(addon: BlasAddon, op: number, stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: tf.TensorInfo; b: tf.TensorInfo }
    if (a.dtype !== 'float32' || b.dtype !== 'float32') return stock(args)
    const shape = tf.backend_util.assertAndGetBroadcastShape(a.shape, b.shape)
    const total = size(shape)
    const n = shape.length ? shape[shape.length - 1] : 1
    const m = n === 0 ? 0 : total / n
    const ak = operandKind(a.shape, m, n)
    const bk = operandKind(b.shape, m, n)
    if (ak === null || bk === null || total === 0) return stock(args)
    const backend = args.backend as unknown as WasmBackendInternals
    const out = backend.makeOutput(shape, 'float32')
    addon.binary(
      backend.wasm.HEAPU8,
      op,
      m,
      n,
      heapRange(backend, a, size(a.shape)),
      ak,
      heapRange(backend, b, size(b.shape)),
      bk,
      heapRange(backend, out, total)
    )
    return out
  }
}

/**
 * Pack (tf.stack) as block copies: the stock wasm kernel expands and concatenates in JS, 35-120 us
 * for the three scalars a training step stacks. 4-byte dtypes; the rest stay stock.
 */
function blockPack(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const inputs = Object.values(args.inputs) as tf.TensorInfo[]
    const axis0 = (args.attrs as unknown as { axis: number }).axis
    const first = inputs[0]
    if (
      !first ||
      (first.dtype !== 'float32' && first.dtype !== 'int32') ||
      inputs.some((t) => t.dtype !== first.dtype || !tf.util.arraysEqual(t.shape, first.shape))
    )
      return stock(args)
    const rank = first.shape.length
    const axis = axis0 < 0 ? axis0 + rank + 1 : axis0
    const outShape = [...first.shape.slice(0, axis), inputs.length, ...first.shape.slice(axis)]
    const backend = args.backend as unknown as WasmBackendInternals
    const out = backend.makeOutput(outShape, first.dtype)
    const outer = size(first.shape.slice(0, axis))
    const inner = size(first.shape.slice(axis)) * 4 // bytes
    if (outer * inner === 0) return out
    const heap = backend.wasm.HEAPU8
    const dst = heapOffset(backend, out)
    inputs.forEach((t, k) => {
      const src = heapOffset(backend, t)
      for (let o = 0; o < outer; o++)
        heap.copyWithin(
          dst + (o * inputs.length + k) * inner,
          src + o * inner,
          src + (o + 1) * inner
        )
    })
    return out
  }
}

/**
 * Tile as block copies inside the heap (memmove). The stock wasm Tile copies element by element
 * through index arithmetic, about 50 ns per element: tiling an image to IWAE's 4,000 samples took
 * 150 ms, five times the GEMM that decodes them. 4-byte dtypes only; the rest stay stock.
 */
function blockTile(stock: tf.KernelFunc): tf.KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: tf.TensorInfo }
    const reps = (args.attrs as unknown as { reps: number[] }).reps
    if ((x.dtype !== 'float32' && x.dtype !== 'int32') || reps.length !== x.shape.length)
      return stock(args)
    const backend = args.backend as unknown as WasmBackendInternals
    const inShape = x.shape
    const outShape = inShape.map((d, i) => d * reps[i])
    const out = backend.makeOutput(outShape, x.dtype)
    if (size(outShape) === 0) return out
    // Offsets after makeOutput (it may grow the heap), in 4-byte elements.
    const heap = new Int32Array(backend.wasm.HEAPU8.buffer)
    const src = heapOffset(backend, x) / 4
    const dst = heapOffset(backend, out) / 4
    const rank = inShape.length
    const inBlock = inShape.map((_, a) => size(inShape.slice(a + 1)))
    const outBlock = outShape.map((_, a) => size(outShape.slice(a + 1)))
    // Writes the output sub-tensor at axis a from the input one: the input's slices first, then
    // that block repeated reps[a] times by doubling copies.
    const tileAxis = (a: number, from: number, to: number): void => {
      let len: number
      if (a === rank - 1) {
        len = inShape[a]
        heap.copyWithin(to, from, from + len)
      } else {
        for (let i = 0; i < inShape[a]; i++)
          tileAxis(a + 1, from + i * inBlock[a], to + i * outBlock[a])
        len = inShape[a] * outBlock[a]
      }
      const total = len * reps[a]
      for (let done = len; done < total; done *= 2)
        heap.copyWithin(to + done, to, to + Math.min(done, total - done))
    }
    if (rank === 0) heap[dst] = heap[src]
    else tileAxis(0, src, dst)
    return out
  }
}

const stockKernels = new Map<string, tf.KernelConfig>()

function replaceKernel(name: string, make: (stock: tf.KernelFunc) => tf.KernelFunc): void {
  if (stockKernels.has(name)) return
  const stock = tf.getKernel(name, 'wasm')
  if (!stock) throw new Error(`the wasm backend has no ${name} kernel to replace`)
  tf.unregisterKernel(name, 'wasm')
  tf.registerKernel({ kernelName: name, backendName: 'wasm', kernelFunc: make(stock.kernelFunc) })
  stockKernels.set(name, stock)
}

export interface BlasKernelOptions {
  /**
   * Threads for large GEMMs and the optimiser update (parallel.c; the results do not depend on
   * it). Default 1: training runs one worker per core.
   */
  threads?: number
  /**
   * Instead of a fixed count, up to this many threads, kept only while timing shows them faster
   * (threadPlan.ts). Default: the cores with VAE_LAB_BLAS_THREADS=auto, else off.
   */
  threadBudget?: number
  /** The fused kernels of fusedOps.ts (dense layer, loss terms). Default on; off for ablations (VAE_LAB_FUSED=0). */
  fused?: boolean
}

/**
 * Replaces the wasm backend's BatchMatMul (BLAS), Tanh, Exp, Log1p, Add, Sub, Multiply, RealDiv
 * (native, vectorised), Identity (zero-copy), Tile and Pack (block copies), and registers the fused kernels (fusedKernels.ts). Call after `tf.setBackend('wasm')` resolved true. With it, use the stock
 * `tf.matMul` (its gradient's transposes are free), not transposeFreeMatMul. Idempotent; returns
 * the BLAS thread count in use (process-wide with OpenBLAS).
 */
export function installBlasKernels(addon: BlasAddon, options: BlasKernelOptions = {}): number {
  wasmInternals()
  const budget =
    options.threadBudget ?? (process.env.VAE_LAB_BLAS_THREADS === 'auto' ? availableCores() : 1)
  const threads =
    budget > 1
      ? setThreadBudget(addon, budget)
      : (setThreadBudget(addon, 1), addon.setThreads(Math.max(1, Math.floor(options.threads ?? 1))))
  replaceKernel('BatchMatMul', (stock) => batchMatMulKernel(addon, stock))
  for (const [name, op] of Object.entries(UNARY_OPS))
    replaceKernel(name, (stock) => unaryKernel(addon, op, stock))
  installZeroCopyIdentity()
  replaceKernel('Tile', blockTile)
  replaceKernel('Pack', blockPack)
  for (const [name, op] of Object.entries(BINARY_OPS))
    replaceKernel(name, (stock) => binaryKernel(addon, op, stock))
  if (options.fused ?? process.env.VAE_LAB_FUSED !== '0') installFusedKernels(addon)
  else uninstallFusedKernels()
  return threads
}

/** The Identity fix alone; it needs no add-on (plain wasm keeps the stock Identity: unmeasured there). */
export function installZeroCopyIdentity(): void {
  wasmInternals()
  replaceKernel('Identity', zeroCopyIdentity)
}

/** Puts the stock kernels back (tests and benchmarks compare the two in one process). */
export function uninstallBlasKernels(): void {
  uninstallFusedKernels()
  for (const [name, stock] of stockKernels) {
    tf.unregisterKernel(name, 'wasm')
    tf.registerKernel(stock)
  }
  stockKernels.clear()
}

export function blasKernelsInstalled(): boolean {
  return stockKernels.has('BatchMatMul')
}
