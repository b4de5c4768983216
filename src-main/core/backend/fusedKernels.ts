// The fused kernels of fusedOps.ts for the wasm backend with the native add-on, and their
// gradients. Each forward or backward pass is one native call on the tensors' memory in the wasm
// heap; the dense layer's GEMMs are OpenBLAS sgemm with the bias and tanh applied in its output
// pass. Gradients are registered once per process (tfjs keys them by kernel name only); the
// kernels are registered for 'wasm' while the BLAS kernels are installed.
import * as tf from '@tensorflow/tfjs-core'
import type { Activation, Dense, MatMul } from '../model/dense'
import type { BlasAddon } from './blasKernels'
import { FUSED_KERNELS } from './fusedOps'
import { heapRange, wasmInternals, type WasmBackendInternals } from './wasmHeap'

const ACTIVATIONS = { linear: 0, tanh: 1 } as const // the add-on's codes

/** The dense layer's kernels (x W + b; tanh(x W + b), whose gradient needs the output saved). */
export const DENSE_KERNELS = { linear: 'VaeLabBlasDense', tanh: 'VaeLabBlasDenseTanh' } as const

/** Backward kernels; only the gradients below call them. */
const GRAD_KERNELS = {
  biasGrad: 'VaeLabBiasGrad',
  tanhBiasGrad: 'VaeLabTanhBiasGrad',
  bernoulliRecGrad: 'VaeLabBernoulliRecGrad',
  gaussianKlGrad: 'VaeLabGaussianKlGrad',
  reparameterizeGrad: 'VaeLabReparameterizeGrad'
} as const

type Inputs = Record<string, tf.TensorInfo>

/**
 * A kernel: allocate the outputs, then read every offset and the heap (after the allocations,
 * which may grow and replace the heap) and run the native pass.
 */
function kernel(
  outputs: (inputs: Inputs, attrs: tf.NamedAttrMap | undefined) => number[][],
  run: (
    heap: Uint8Array,
    offsets: number[],
    inputs: Inputs,
    attrs: tf.NamedAttrMap | undefined
  ) => void,
  order: string[]
): tf.KernelFunc {
  return ({ inputs, backend, attrs }) => {
    const b = backend as WasmBackendInternals
    const ins = inputs as Inputs
    const outs = outputs(ins, attrs).map((shape) => b.makeOutput(shape, 'float32'))
    const offsets = [
      ...order.map((name) => heapRange(b, ins[name], size(ins[name].shape))),
      ...outs.map((o) => heapRange(b, o, size(o.shape)))
    ]
    run(b.wasm.HEAPU8, offsets, ins, attrs)
    return outs.length === 1 ? outs[0] : outs
  }
}

const denseKernel = (addon: BlasAddon, act: number) =>
  kernel(
    ({ x, W }) => [[x.shape[0], W.shape[1]]],
    (heap, [x, w, b, y], { x: xi, W }) =>
      addon.dense(heap, xi.shape[0], W.shape[1], W.shape[0], x, w, b, y, act),
    ['x', 'W', 'b']
  )

function kernelConfigs(addon: BlasAddon): tf.KernelConfig[] {
  const configs: Record<string, tf.KernelFunc> = {
    [DENSE_KERNELS.linear]: denseKernel(addon, ACTIVATIONS.linear),
    [DENSE_KERNELS.tanh]: denseKernel(addon, ACTIVATIONS.tanh),
    [GRAD_KERNELS.tanhBiasGrad]: kernel(
      ({ dy }) => [dy.shape, [dy.shape[1]]],
      (heap, [dy, y, dpre, db], { dy: d }) =>
        addon.denseGrad(heap, ACTIVATIONS.tanh, d.shape[0], d.shape[1], dy, y, dpre, db),
      ['dy', 'y']
    ),
    [GRAD_KERNELS.biasGrad]: kernel(
      ({ dy }) => [[dy.shape[1]]],
      (heap, [dy, db], { dy: d }) =>
        addon.denseGrad(heap, ACTIVATIONS.linear, d.shape[0], d.shape[1], dy, dy, dy, db),
      ['dy']
    ),
    [FUSED_KERNELS.bernoulliRec]: kernel(
      ({ logits }) => [[logits.shape[0]]],
      (heap, [l, x, out], { logits }) =>
        addon.bernoulli(heap, logits.shape[0], logits.shape[1], l, x, out),
      ['logits', 'x']
    ),
    [GRAD_KERNELS.bernoulliRecGrad]: kernel(
      ({ logits }) => [logits.shape],
      (heap, [l, x, dy, dl], { logits }) =>
        addon.bernoulliGrad(heap, logits.shape[0], logits.shape[1], l, x, dy, dl),
      ['logits', 'x', 'dy']
    ),
    [FUSED_KERNELS.gaussianKl]: kernel(
      ({ mu }) => [[mu.shape[0]]],
      (heap, [mu, lv, out], { mu: m }) =>
        addon.gaussianKl(heap, m.shape[0], m.shape[1], mu, lv, out),
      ['mu', 'logVar']
    ),
    [GRAD_KERNELS.gaussianKlGrad]: kernel(
      ({ mu }) => [mu.shape, mu.shape],
      (heap, [mu, lv, dy, dmu, dlv], { mu: m }) =>
        addon.gaussianKlGrad(heap, m.shape[0], m.shape[1], mu, lv, dy, dmu, dlv),
      ['mu', 'logVar', 'dy']
    ),
    [FUSED_KERNELS.reparameterize]: kernel(
      ({ mu }) => [mu.shape],
      (heap, [mu, lv, eps, z], { mu: m }) =>
        addon.reparameterize(heap, size(m.shape), mu, lv, eps, z),
      ['mu', 'logVar', 'eps']
    ),
    [GRAD_KERNELS.reparameterizeGrad]: kernel(
      ({ dy }) => [dy.shape, dy.shape],
      (heap, [lv, eps, dy, dlv, deps], { dy: d }) =>
        addon.reparameterizeGrad(heap, size(d.shape), lv, eps, dy, dlv, deps),
      ['logVar', 'eps', 'dy']
    )
  }
  return Object.entries(configs).map(([kernelName, kernelFunc]) => ({
    kernelName,
    backendName: 'wasm',
    kernelFunc
  }))
}

const size = (shape: readonly number[]) => shape.reduce((a, b) => a * b, 1)

const run = (name: string, inputs: tf.NamedTensorMap, attrs: tf.NamedAttrMap = {}) =>
  tf.engine().runKernel(name, inputs, attrs)

/** Input gradients of x W + b given the gradient at the pre-activation. */
const denseGradients = (x: tf.Tensor, W: tf.Tensor, dpre: tf.Tensor, db: tf.Tensor) => ({
  x: () => tf.matMul(dpre, W, false, true),
  W: () => tf.matMul(x, dpre, true, false),
  b: () => db
})

const GRADIENTS: tf.GradConfig[] = [
  {
    // dx = dy W^T and dW = x^T dy (sgemm with transposes: free on BLAS), db = column sums of dy.
    kernelName: DENSE_KERNELS.linear,
    inputsToSave: ['x', 'W'],
    gradFunc: (dy, [x, W]) => {
      const d = dy as tf.Tensor2D
      const db = run(GRAD_KERNELS.biasGrad, { dy: d }) as tf.Tensor1D
      return denseGradients(x, W, d, db)
    }
  },
  {
    // The same through tanh, whose derivative 1 - y^2 needs the output y.
    kernelName: DENSE_KERNELS.tanh,
    inputsToSave: ['x', 'W'],
    outputsToSave: [true],
    gradFunc: (dy, [x, W, y]) => {
      const [dpre, db] = run(GRAD_KERNELS.tanhBiasGrad, { dy: dy as tf.Tensor, y }) as [
        tf.Tensor2D,
        tf.Tensor1D
      ]
      return denseGradients(x, W, dpre, db)
    }
  },
  {
    // d/dl = sigmoid(l) - x (the stock formula's subgradient at l = 0 exactly is -x instead).
    kernelName: FUSED_KERNELS.bernoulliRec,
    inputsToSave: ['logits', 'x'],
    gradFunc: (dy, [logits, x]) => ({
      logits: () =>
        run(GRAD_KERNELS.bernoulliRecGrad, { logits, x, dy: dy as tf.Tensor }) as tf.Tensor,
      x: () => tf.mul(tf.neg(logits), tf.reshape(dy as tf.Tensor, [-1, 1]))
    })
  },
  {
    kernelName: FUSED_KERNELS.gaussianKl,
    inputsToSave: ['mu', 'logVar'],
    gradFunc: (dy, [mu, logVar]) => {
      const [dmu, dlv] = run(GRAD_KERNELS.gaussianKlGrad, {
        mu,
        logVar,
        dy: dy as tf.Tensor
      }) as tf.Tensor[]
      return { mu: () => dmu, logVar: () => dlv }
    }
  },
  {
    kernelName: FUSED_KERNELS.reparameterize,
    inputsToSave: ['logVar', 'eps'],
    gradFunc: (dy, [logVar, eps]) => {
      const dz = dy as tf.Tensor
      const [dlv, deps] = run(GRAD_KERNELS.reparameterizeGrad, {
        logVar,
        eps,
        dy: dz
      }) as tf.Tensor[]
      // dz/dmu is the identity: mu's gradient is dz itself (backprop only ever adds to it).
      return { mu: () => dz, logVar: () => dlv, eps: () => deps }
    }
  }
]

const isFloat2d = (t: tf.Tensor) => t.rank === 2 && t.dtype === 'float32'

/**
 * act(x W + b) as one fused kernel (sgemm with the bias and activation in its output pass) while
 * the kernels are installed and the inputs fit them; otherwise (relu, other shapes, another
 * backend) as stock matMul, add and activation.
 */
export const blasDense: Dense = (x, W, b, activation: Activation) => {
  const kernel = activation === 'relu' ? undefined : DENSE_KERNELS[activation]
  if (
    kernel &&
    tf.getKernel(kernel, tf.getBackend()) &&
    isFloat2d(x) &&
    isFloat2d(W) &&
    b.rank === 1 &&
    b.dtype === 'float32' &&
    x.shape[1] === W.shape[0] &&
    b.shape[0] === W.shape[1]
  )
    return tf.engine().runKernel(kernel, { x, W, b }) as tf.Tensor2D
  const pre = tf.add(tf.matMul(x, W), b) as tf.Tensor2D
  return activation === 'tanh' ? tf.tanh(pre) : activation === 'relu' ? tf.relu(pre) : pre
}

/** wasm-blas's dense-layer ops: stock matMul (BLAS makes its transposes free) and the fused layer. */
export const blasMatMul: MatMul = Object.assign(
  (x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D => tf.matMul(x, w),
  { dense: blasDense }
)

let gradientsRegistered = false
const installed: string[] = []

/** Registers the fused kernels for the wasm backend (idempotent); uninstallFusedKernels undoes it. */
export function installFusedKernels(addon: BlasAddon): void {
  wasmInternals()
  if (!gradientsRegistered) {
    for (const g of GRADIENTS) tf.registerGradient(g)
    gradientsRegistered = true
  }
  if (installed.length) return
  for (const config of kernelConfigs(addon)) {
    tf.registerKernel(config)
    installed.push(config.kernelName)
  }
}

export function uninstallFusedKernels(): void {
  for (const name of installed.splice(0)) tf.unregisterKernel(name, 'wasm')
}

export function fusedKernelsInstalled(): boolean {
  return installed.length > 0
}
