// Custom WGSL kernels for the webgpu backend, registered with tfjs like the BLAS add-on's kernels
// are for wasm. A dense layer act(x @ W + b) is one dispatch forward instead of three (matMul, add,
// activation), and at most three backward (dX, dW, db, with the activation's derivative applied
// while the operands load) instead of about seven. On a GPU at these sizes each dispatch costs more than its
// arithmetic, so the count is what matters.
import * as tf from '@tensorflow/tfjs-core'
import type { Activation, Dense, MatMul } from '../model/dense'
import { webGpuInternals, type WebGpuBackendInternals, type WebGpuProgram } from './webgpuInternals'

export const DENSE_KERNEL = 'VaeLabDense'
export const DENSE_GRAD_KERNEL = 'VaeLabDenseGrad'

const TILE = 32 // output tile per workgroup (TILE x TILE), and the k-slice held in shared memory
const THREADS = 8 // 8 x 8 threads, each computing 4 x 4 outputs

/** f(v) in WGSL; tanh in the overflow-free form tfjs-backend-webgpu uses too. */
function activationWgsl(a: Activation): string {
  switch (a) {
    case 'linear':
      return 'return v;'
    case 'relu':
      return 'return max(v, 0.0);'
    case 'tanh':
      return 'let e = exp(-2.0 * abs(v)); return sign(v) * (1.0 - e) / (1.0 + e);'
  }
}

/** f'(v) written in terms of y = f(v), which is what the backward pass has. */
function derivativeWgsl(a: Activation): string {
  switch (a) {
    case 'linear':
      return 'return 1.0;'
    case 'relu':
      return 'return select(0.0, 1.0, y > 0.0);'
    case 'tanh':
      return 'return 1.0 - y * y;'
  }
}

export interface GemmOptions {
  transA: boolean
  transB: boolean
  bias: boolean
  activation: Activation
  /** Which operand is scaled by f'(Y) elementwise as it loads (Y has that operand's stored shape). */
  scaled: 'none' | 'a' | 'b'
  scaledBy: Activation
}

/**
 * C = act(op(A) @ op(B) + bias), op = optional transpose, with A or B optionally scaled by f'(Y).
 * Sizes come from tfjs's uniforms (aShape, bShape), so one pipeline serves every shape.
 */
export class GemmProgram implements WebGpuProgram {
  outputShape: number[]
  shaderKey: string
  dispatchLayout = { x: [1], y: [0] }
  dispatch: [number, number, number]
  variableNames: string[]
  workgroupSize: [number, number, number] = [THREADS, THREADS, 1]

  constructor(
    m: number,
    n: number,
    readonly o: GemmOptions
  ) {
    this.outputShape = [m, n]
    this.dispatch = [Math.ceil(n / TILE), Math.ceil(m / TILE), 1]
    this.variableNames = [
      'A',
      'B',
      ...(o.bias ? ['bias'] : []),
      ...(o.scaled !== 'none' ? ['Y'] : [])
    ]
    this.shaderKey = `vaeLabGemm_${o.transA}_${o.transB}_${o.bias}_${o.activation}_${o.scaled}_${o.scaledBy}`
  }

  getUserCode(): string {
    const { transA, transB, bias, activation, scaled, scaledBy } = this.o
    const per = TILE / THREADS // each thread: `per` rows x `per` adjacent columns (one vec4)
    const loads = (TILE * TILE) / (THREADS * THREADS)
    const epilogue = (c: number) =>
      `if (col + ${c} < dimN) { result[row * dimN + col + ${c}] = activate(v[${c}]${bias ? ` + bias[col + ${c}]` : ''}); }`
    return `
      const TILE = ${TILE};
      var<workgroup> tileA : array<array<vec4<f32>, ${TILE / 4}>, ${TILE}>; // [m][k / 4]
      var<workgroup> tileB : array<array<vec4<f32>, ${TILE / 4}>, ${TILE}>; // [k][n / 4]

      fn activate(v : f32) -> f32 { ${activationWgsl(activation)} }
      fn derivative(y : f32) -> f32 { ${derivativeWgsl(scaledBy)} }

      fn readA(row : i32, k : i32, dimM : i32, dimK : i32) -> f32 {
        let i = ${transA ? 'k * dimM + row' : 'row * dimK + k'};
        return A[i]${scaled === 'a' ? ' * derivative(Y[i])' : ''};
      }
      fn readB(k : i32, col : i32, dimK : i32, dimN : i32) -> f32 {
        let i = ${transB ? 'col * dimK + k' : 'k * dimN + col'};
        return B[i]${scaled === 'b' ? ' * derivative(Y[i])' : ''};
      }
      // Zero outside the matrix: edge tiles only (whole tiles inside use readA/readB directly).
      fn loadA(row : i32, k : i32, dimM : i32, dimK : i32) -> f32 {
        if (row >= dimM || k >= dimK) { return 0.0; }
        return readA(row, k, dimM, dimK);
      }
      fn loadB(k : i32, col : i32, dimK : i32, dimN : i32) -> f32 {
        if (k >= dimK || col >= dimN) { return 0.0; }
        return readB(k, col, dimK, dimN);
      }

      fn main() {
        let dimM = ${transA ? 'uniforms.aShape.y' : 'uniforms.aShape.x'};
        let dimK = ${transA ? 'uniforms.aShape.x' : 'uniforms.aShape.y'};
        let dimN = ${transB ? 'uniforms.bShape.x' : 'uniforms.bShape.y'};
        let lx = i32(localId.x);
        let ly = i32(localId.y);
        let li = i32(localIndex);
        let tileRow = i32(workgroupId.y) * TILE;
        let tileCol = i32(workgroupId.x) * TILE;
        var acc : array<vec4<f32>, ${per}>;
        for (var i = 0; i < ${per}; i = i + 1) { acc[i] = vec4<f32>(0.0); }
        for (var kt = 0; kt < dimK; kt = kt + TILE) {
          // Each thread fills ${loads / 4} vec4 slots of each tile (4 adjacent k for A, 4 adjacent n for B).
          let aInside = tileRow + TILE <= dimM && kt + TILE <= dimK;
          let bInside = kt + TILE <= dimK && tileCol + TILE <= dimN;
          for (var e = 0; e < ${loads / 4}; e = e + 1) {
            let slot = li + e * ${THREADS * THREADS};
            let r = slot / ${TILE / 4};
            let k4 = slot % ${TILE / 4};
            let k = kt + 4 * k4;
            let row = tileRow + r;
            if (aInside) {
              tileA[r][k4] = vec4<f32>(readA(row, k, dimM, dimK), readA(row, k + 1, dimM, dimK),
                readA(row, k + 2, dimM, dimK), readA(row, k + 3, dimM, dimK));
            } else {
              tileA[r][k4] = vec4<f32>(loadA(row, k, dimM, dimK), loadA(row, k + 1, dimM, dimK),
                loadA(row, k + 2, dimM, dimK), loadA(row, k + 3, dimM, dimK));
            }
            let c = tileCol + 4 * k4;
            let kb = kt + r;
            if (bInside) {
              tileB[r][k4] = vec4<f32>(readB(kb, c, dimK, dimN), readB(kb, c + 1, dimK, dimN),
                readB(kb, c + 2, dimK, dimN), readB(kb, c + 3, dimK, dimN));
            } else {
              tileB[r][k4] = vec4<f32>(loadB(kb, c, dimK, dimN), loadB(kb, c + 1, dimK, dimN),
                loadB(kb, c + 2, dimK, dimN), loadB(kb, c + 3, dimK, dimN));
            }
          }
          workgroupBarrier();
          for (var k4 = 0; k4 < ${TILE / 4}; k4 = k4 + 1) {
            let b0 = tileB[4 * k4][lx];
            let b1 = tileB[4 * k4 + 1][lx];
            let b2 = tileB[4 * k4 + 2][lx];
            let b3 = tileB[4 * k4 + 3][lx];
            for (var i = 0; i < ${per}; i = i + 1) {
              let a = tileA[ly * ${per} + i][k4];
              acc[i] = fma(vec4<f32>(a.x), b0, acc[i]);
              acc[i] = fma(vec4<f32>(a.y), b1, acc[i]);
              acc[i] = fma(vec4<f32>(a.z), b2, acc[i]);
              acc[i] = fma(vec4<f32>(a.w), b3, acc[i]);
            }
          }
          workgroupBarrier();
        }
        let col = tileCol + lx * 4;
        for (var i = 0; i < ${per}; i = i + 1) {
          let row = tileRow + ly * ${per} + i;
          if (row < dimM) {
            let v = acc[i];
            ${[0, 1, 2, 3].map(epilogue).join(' ')}
          }
        }
      }
    `
  }
}

/** db[n] = sum over rows of G[m, n] * f'(Y[m, n]): the bias gradient, one dispatch. */
export class ColumnSumProgram implements WebGpuProgram {
  outputShape: number[]
  shaderKey: string
  dispatchLayout = { x: [0] }
  dispatch: [number, number, number]
  variableNames: string[]
  workgroupSize: [number, number, number] = [16, 16, 1]

  constructor(
    n: number,
    readonly scaledBy: Activation
  ) {
    this.outputShape = [n]
    this.dispatch = [Math.ceil(n / 16), 1, 1]
    this.variableNames = scaledBy === 'linear' ? ['G'] : ['G', 'Y']
    this.shaderKey = `vaeLabColumnSum_${scaledBy}`
  }

  getUserCode(): string {
    const scaled = this.scaledBy !== 'linear'
    return `
      var<workgroup> partial : array<f32, 256>;
      fn derivative(y : f32) -> f32 { ${derivativeWgsl(this.scaledBy)} }
      // A one-dimensional layout: tfjs passes the flat invocation index, unused here.
      fn main(index : i32) {
        let dimM = uniforms.gShape.x;
        let dimN = uniforms.gShape.y;
        let lx = i32(localId.x);
        let ly = i32(localId.y);
        let col = i32(workgroupId.x) * 16 + lx;
        var s = 0.0;
        if (col < dimN) {
          for (var row = ly; row < dimM; row = row + 16) {
            let i = row * dimN + col;
            s = s + G[i]${scaled ? ' * derivative(Y[i])' : ''};
          }
        }
        partial[ly * 16 + lx] = s;
        workgroupBarrier();
        for (var stride = 8; stride > 0; stride = stride / 2) {
          if (ly < stride) { partial[ly * 16 + lx] = partial[ly * 16 + lx] + partial[(ly + stride) * 16 + lx]; }
          workgroupBarrier();
        }
        if (ly == 0 && col < dimN) { result[col] = partial[lx]; }
      }
    `
  }
}

type Inputs = Record<string, tf.TensorInfo | undefined>

function need(inputs: Inputs, name: string): tf.TensorInfo {
  const t = inputs[name]
  if (!t) throw new Error(`${DENSE_KERNEL}: input ${name} is missing`)
  if (t.dtype !== 'float32') throw new Error(`${DENSE_KERNEL}: ${name} must be float32`)
  return t
}

function checkDense(x: tf.TensorInfo, w: tf.TensorInfo, b: tf.TensorInfo | undefined): void {
  if (x.shape.length !== 2 || w.shape.length !== 2 || x.shape[1] !== w.shape[0])
    throw new Error(`${DENSE_KERNEL}: x ${x.shape} and w ${w.shape} do not make a dense layer`)
  if (b && (b.shape.length !== 1 || b.shape[0] !== w.shape[1]))
    throw new Error(`${DENSE_KERNEL}: bias ${b.shape} does not match w ${w.shape}`)
}

/** Forward: y = act(x @ w + b). Inputs x [batch, in], w [in, out], b [out] (optional). */
function denseKernel(args: {
  inputs: tf.NamedTensorInfoMap
  backend: tf.KernelBackend
  attrs?: tf.NamedAttrMap
}): tf.TensorInfo {
  const inputs = args.inputs as Inputs
  const activation = (args.attrs?.activation ?? 'linear') as Activation
  const x = need(inputs, 'x')
  const w = need(inputs, 'w')
  const b = inputs.b
  checkDense(x, w, b)
  const backend = webGpuInternals(args.backend)
  const program = new GemmProgram(x.shape[0], w.shape[1], {
    transA: false,
    transB: false,
    bias: b != null,
    activation,
    scaled: 'none',
    scaledBy: 'linear'
  })
  return backend.runWebGPUProgram(program, b ? [x, w, b] : [x, w], 'float32')
}

export type DenseGradPart = 'x' | 'w' | 'b'

/**
 * One gradient of denseKernel, with g = dy * f'(y): dx = g @ w^T, dw = x^T @ g, db = sum_rows g.
 * Separate parts, because tfjs asks only for those on the path to the variables: the first
 * layer's dx (its input is the data) is never computed.
 */
function denseGradKernel(args: {
  inputs: tf.NamedTensorInfoMap
  backend: tf.KernelBackend
  attrs?: tf.NamedAttrMap
}): tf.TensorInfo {
  const inputs = args.inputs as Inputs
  const activation = (args.attrs?.activation ?? 'linear') as Activation
  const part = args.attrs?.part as DenseGradPart
  const dy = need(inputs, 'dy')
  const x = need(inputs, 'x')
  const w = need(inputs, 'w')
  const y = activation === 'linear' ? undefined : need(inputs, 'y')
  checkDense(x, w, undefined)
  const backend: WebGpuBackendInternals = webGpuInternals(args.backend)
  const scaled = y ? [y] : []
  const common = { bias: false, activation: 'linear' as const, scaledBy: activation }
  switch (part) {
    case 'x':
      return backend.runWebGPUProgram(
        new GemmProgram(x.shape[0], x.shape[1], {
          ...common,
          transA: false,
          transB: true,
          scaled: y ? 'a' : 'none'
        }),
        [dy, w, ...scaled],
        'float32'
      )
    case 'w':
      return backend.runWebGPUProgram(
        new GemmProgram(w.shape[0], w.shape[1], {
          ...common,
          transA: true,
          transB: false,
          scaled: y ? 'b' : 'none'
        }),
        [x, dy, ...scaled],
        'float32'
      )
    case 'b':
      return backend.runWebGPUProgram(
        new ColumnSumProgram(w.shape[1], activation),
        [dy, ...scaled],
        'float32'
      )
    default:
      throw new Error(`${DENSE_GRAD_KERNEL}: part must be x, w or b, not ${String(part)}`)
  }
}

const KERNELS: tf.KernelConfig[] = [
  { kernelName: DENSE_KERNEL, backendName: 'webgpu', kernelFunc: denseKernel as tf.KernelFunc },
  {
    kernelName: DENSE_GRAD_KERNEL,
    backendName: 'webgpu',
    kernelFunc: denseGradKernel as unknown as tf.KernelFunc
  }
]

/**
 * tfjs's Sum gradient multiplies dy by ones(x.shape) built on the host: for the reconstruction
 * sum over pixels that is a [batch, 784] upload every step. Broadcasting dy on the device gives
 * the same values (times one is exact) with nothing uploaded.
 */
const SUM_GRADIENT: tf.GradConfig = {
  kernelName: 'Sum',
  inputsToSave: ['x'],
  gradFunc: (dy, saved, attrs) => {
    const [x] = saved
    const expanded = x.shape.slice()
    for (const axis of tf.util.parseAxisParam(attrs.axis as number | number[], x.shape))
      expanded[axis] = 1
    return { x: () => tf.broadcastTo(tf.reshape(dy as tf.Tensor, expanded), x.shape) }
  }
}

/**
 * Registers the kernels with tfjs for the webgpu backend (idempotent), and the device-side Sum
 * gradient: gradients are registered per tf instance, that is per worker thread, and give the
 * same numbers on every backend.
 */
export function installWebGpuKernels(): void {
  for (const k of KERNELS) if (!tf.getKernel(k.kernelName, 'webgpu')) tf.registerKernel(k)
  tf.registerGradient(DENSE_GRADIENT)
  tf.registerGradient(SUM_GRADIENT)
}

export function webGpuKernelsInstalled(): boolean {
  return KERNELS.every((k) => tf.getKernel(k.kernelName, 'webgpu') != null)
}

/** The forward kernel's gradient, one lazily computed part per input. */
const DENSE_GRADIENT: tf.GradConfig = {
  kernelName: DENSE_KERNEL,
  inputsToSave: ['x', 'w'],
  outputsToSave: [true], // tanh and relu derivatives come cheapest from the output
  gradFunc: (dy, saved, attrs) => {
    const [x, w, y] = saved
    const activation = attrs.activation as Activation
    const inputs: tf.NamedTensorMap = { dy: dy as tf.Tensor, x, w, y }
    const part = (p: DenseGradPart) => () =>
      tf.engine().runKernel(DENSE_GRAD_KERNEL, inputs, { activation, part: p }) as tf.Tensor
    return { x: part('x'), w: part('w'), b: part('b') }
  }
}

/** act(x @ w + b) with the fused kernels; needs installWebGpuKernels() and the webgpu backend. */
export const webGpuDense: Dense = (x, w, b, activation) =>
  tf.engine().runKernel(DENSE_KERNEL, { x, w, b }, { activation }) as tf.Tensor2D

/** The dense-layer ops of the webgpu backend: stock matMul (its transposes are free) and the fused layer. */
export const webGpuMatMul: MatMul = Object.assign(
  (x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D => tf.matMul(x, w),
  { dense: webGpuDense }
)
