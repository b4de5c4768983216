/// <reference types="@webgpu/types" />
// Adam and Adagrad on the webgpu backend with one in-place WGSL dispatch per variable. tfjs's own
// update runs about ten elementwise kernels per variable, each with a fresh output buffer. These
// are subclasses of tfjs's optimisers: slots, names, getWeights/setWeights and Adam's running
// beta powers are tfjs's own, so checkpoints move freely between backends.
import * as tf from '@tensorflow/tfjs-core'
import {
  dispatchInPlace,
  flatWorkgroups,
  webGpuInternals,
  type WebGpuBackendInternals
} from './webgpuInternals'

const WORKGROUP = 64

// Same float32 operations in the same order as tfjs's AdamOptimizer.applyGradients.
const ADAM_WGSL = `
struct Params { lr : f32, beta1 : f32, beta2 : f32, oneMinusBeta1 : f32, oneMinusBeta2 : f32,
                epsilon : f32, size : u32, rowStride : u32 };
@group(0) @binding(0) var<storage, read_write> w : array<f32>;
@group(0) @binding(1) var<storage, read_write> m : array<f32>;
@group(0) @binding(2) var<storage, read_write> v : array<f32>;
@group(0) @binding(3) var<storage, read> g : array<f32>;
@group(0) @binding(4) var<storage, read> accBeta1 : array<f32>;
@group(0) @binding(5) var<storage, read> accBeta2 : array<f32>;
@group(0) @binding(6) var<uniform> p : Params;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) id : vec3<u32>) {
  let i = id.y * p.rowStride + id.x;
  if (i >= p.size) { return; }
  let gi = g[i];
  let m1 = m[i] * p.beta1 + gi * p.oneMinusBeta1;
  let v1 = v[i] * p.beta2 + (gi * gi) * p.oneMinusBeta2;
  m[i] = m1;
  v[i] = v1;
  let mHat = m1 / (1.0 - accBeta1[0]);
  let vHat = v1 / (1.0 - accBeta2[0]);
  w[i] = (mHat / (sqrt(vHat) + p.epsilon)) * (-p.lr) + w[i];
}`

// accBeta_t+1 = accBeta_t * beta, after every variable has used accBeta_t.
const POWERS_WGSL = `
struct Params { beta1 : f32, beta2 : f32 };
@group(0) @binding(0) var<storage, read_write> accBeta1 : array<f32>;
@group(0) @binding(1) var<storage, read_write> accBeta2 : array<f32>;
@group(0) @binding(2) var<uniform> p : Params;
@compute @workgroup_size(1)
fn main() {
  accBeta1[0] = accBeta1[0] * p.beta1;
  accBeta2[0] = accBeta2[0] * p.beta2;
}`

// As tfjs's AdagradOptimizer: acc += g^2; w += -lr * g / sqrt(acc + epsilon).
const ADAGRAD_WGSL = `
struct Params { lr : f32, epsilon : f32, size : u32, rowStride : u32 };
@group(0) @binding(0) var<storage, read_write> w : array<f32>;
@group(0) @binding(1) var<storage, read_write> acc : array<f32>;
@group(0) @binding(2) var<storage, read> g : array<f32>;
@group(0) @binding(3) var<uniform> p : Params;
@compute @workgroup_size(${WORKGROUP})
fn main(@builtin(global_invocation_id) id : vec3<u32>) {
  let i = id.y * p.rowStride + id.x;
  if (i >= p.size) { return; }
  let gi = g[i];
  let a = acc[i] + gi * gi;
  acc[i] = a;
  w[i] = (gi / sqrt(a + p.epsilon)) * (-p.lr) + w[i];
}`

const pipelines = new WeakMap<GPUDevice, Map<string, GPUComputePipeline>>()

function pipeline(device: GPUDevice, code: string): GPUComputePipeline {
  let byCode = pipelines.get(device)
  if (!byCode) pipelines.set(device, (byCode = new Map()))
  let p = byCode.get(code)
  if (!p) {
    p = device.createComputePipeline({
      layout: 'auto',
      compute: { module: device.createShaderModule({ code }), entryPoint: 'main' }
    })
    byCode.set(code, p)
  }
  return p
}

function uniformBuffer(device: GPUDevice, words: ArrayBuffer): GPUBuffer {
  const size = Math.ceil(words.byteLength / 16) * 16
  const buffer = device.createBuffer({
    size,
    usage: GPUBufferUsage.UNIFORM | GPUBufferUsage.COPY_DST
  })
  device.queue.writeBuffer(buffer, 0, words)
  return buffer
}

/** Floats then u32s, as the WGSL Params structs above lay them out. */
function params(floats: number[], uints: number[] = []): ArrayBuffer {
  const buf = new ArrayBuffer((floats.length + uints.length) * 4)
  new Float32Array(buf, 0, floats.length).set(floats)
  new Uint32Array(buf, floats.length * 4, uints.length).set(uints)
  return buf
}

/**
 * Writing in place is only safe while no other tensor shares the variable's data (tf.clone and
 * reshape share on webgpu); gives the variable a private copy if needed.
 */
function ensureExclusive(backend: WebGpuBackendInternals, v: tf.Variable): void {
  if (backend.refCount(v.dataId) <= 1) return
  const copy = tf.tidy(() => tf.add(v, tf.scalar(0)))
  v.assign(copy)
  copy.dispose()
}

type NamedGradients = tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[]

function gradientList(grads: NamedGradients): { name: string; tensor: tf.Tensor | undefined }[] {
  return Array.isArray(grads)
    ? grads
    : Object.keys(grads).map((name) => ({ name, tensor: grads[name] }))
}

function checkGradient(kind: string, name: string, value: tf.Variable, grad: tf.Tensor): void {
  if (value.dtype !== 'float32' || grad.dtype !== 'float32' || grad.size !== value.size)
    throw new Error(`webgpu ${kind}: ${name} needs a float32 gradient of its own size`)
}

interface Slot {
  originalName: string
  variable: tf.Variable
}

/** tfjs's AdamOptimizer fields this class updates (private in its typings, present at run time). */
interface AdamState {
  accBeta1: tf.Variable
  accBeta2: tf.Variable
  accumulatedFirstMoment: Slot[]
  accumulatedSecondMoment: Slot[]
}

export class WebGpuAdam extends tf.AdamOptimizer {
  private uniforms: GPUBuffer[] = []
  private powersUniform: GPUBuffer | null = null

  constructor(learningRate: number, beta1 = 0.9, beta2 = 0.999, epsilon?: number) {
    super(learningRate, beta1, beta2, epsilon)
    const s = this.state()
    if (!(s.accBeta1 instanceof tf.Variable) || !Array.isArray(s.accumulatedFirstMoment))
      throw new Error(
        'this @tensorflow/tfjs-core AdamOptimizer has no accBeta1/accumulatedFirstMoment'
      )
  }

  private state(): AdamState {
    return this as unknown as AdamState
  }

  override applyGradients(variableGradients: NamedGradients): void {
    const backend = webGpuInternals()
    const device = backend.device
    const s = this.state()
    const adam = pipeline(device, ADAM_WGSL)
    gradientList(variableGradients).forEach(({ name, tensor: grad }, i) => {
      const value = tf.engine().registeredVariables[name]
      if (!value) throw new Error(`no variable named ${name}`)
      // Slots as tfjs creates them, so getWeights/setWeights and checkpoints are the same.
      s.accumulatedFirstMoment[i] ??= {
        originalName: `${name}/m`,
        variable: tf.tidy(() => tf.zerosLike(value).variable(false))
      }
      s.accumulatedSecondMoment[i] ??= {
        originalName: `${name}/v`,
        variable: tf.tidy(() => tf.zerosLike(value).variable(false))
      }
      if (grad == null) return
      checkGradient('adam', name, value, grad)
      const m = s.accumulatedFirstMoment[i].variable
      const v = s.accumulatedSecondMoment[i].variable
      for (const t of [value, m, v]) ensureExclusive(backend, t)
      const groups = flatWorkgroups(value.size, WORKGROUP)
      this.uniforms[i] ??= uniformBuffer(
        device,
        params(
          [this.learningRate, this.beta1, this.beta2, 1 - this.beta1, 1 - this.beta2, this.epsilon],
          [value.size, groups[0] * WORKGROUP]
        )
      )
      dispatchInPlace(
        backend,
        adam,
        [value, m, v],
        [grad, s.accBeta1, s.accBeta2],
        this.uniforms[i],
        groups
      )
    })
    ensureExclusive(backend, s.accBeta1)
    ensureExclusive(backend, s.accBeta2)
    this.powersUniform ??= uniformBuffer(device, params([this.beta1, this.beta2]))
    dispatchInPlace(
      backend,
      pipeline(device, POWERS_WGSL),
      [s.accBeta1, s.accBeta2],
      [],
      this.powersUniform,
      [1, 1]
    )
    this.incrementIterations()
  }

  override dispose(): void {
    for (const u of this.uniforms) u?.destroy()
    this.powersUniform?.destroy()
    this.uniforms = []
    this.powersUniform = null
    super.dispose()
  }
}

interface AdagradState {
  initialAccumulatorValue: number
  accumulatedGrads: Slot[]
}

export class WebGpuAdagrad extends tf.AdagradOptimizer {
  private uniforms: GPUBuffer[] = []

  constructor(learningRate: number, initialAccumulatorValue = 0.1) {
    super(learningRate, initialAccumulatorValue)
    if (!Array.isArray(this.state().accumulatedGrads))
      throw new Error('this @tensorflow/tfjs-core AdagradOptimizer has no accumulatedGrads')
  }

  private state(): AdagradState {
    return this as unknown as AdagradState
  }

  override applyGradients(variableGradients: NamedGradients): void {
    const backend = webGpuInternals()
    const device = backend.device
    const s = this.state()
    const adagrad = pipeline(device, ADAGRAD_WGSL)
    const epsilon = tf.backend().epsilon()
    gradientList(variableGradients).forEach(({ name, tensor: grad }, i) => {
      const value = tf.engine().registeredVariables[name]
      if (!value) throw new Error(`no variable named ${name}`)
      s.accumulatedGrads[i] ??= {
        originalName: `${name}/accumulator`,
        variable: tf.tidy(() => tf.fill(value.shape, s.initialAccumulatorValue).variable(false))
      }
      if (grad == null) return
      checkGradient('adagrad', name, value, grad)
      const acc = s.accumulatedGrads[i].variable
      for (const t of [value, acc]) ensureExclusive(backend, t)
      const groups = flatWorkgroups(value.size, WORKGROUP)
      this.uniforms[i] ??= uniformBuffer(
        device,
        params([this.learningRate, epsilon], [value.size, groups[0] * WORKGROUP])
      )
      dispatchInPlace(backend, adagrad, [value, acc], [grad], this.uniforms[i], groups)
    })
    this.incrementIterations()
  }

  override dispose(): void {
    for (const u of this.uniforms) u?.destroy()
    this.uniforms = []
    super.dispose()
  }
}

export interface WebGpuOptimizerConfig {
  kind: 'adam' | 'adagrad'
  learningRate: number
  /** Adagrad's starting accumulator (tfjs default 0.1). */
  initialAccumulatorValue?: number
}

/** Adam or Adagrad as tf.train.adam(lr) / tf.train.adagrad(lr, initial) would be, fused on the GPU. */
export function createWebGpuOptimizer(config: WebGpuOptimizerConfig): tf.Optimizer {
  webGpuInternals()
  return config.kind === 'adam'
    ? new WebGpuAdam(config.learningRate)
    : new WebGpuAdagrad(config.learningRate, config.initialAccumulatorValue)
}
