// Ops the model's equations are written with, computed by one fused kernel where the backend
// registers one (wasm-blas: fusedKernels.ts) and by their stock-op formula everywhere else. The
// formula stays in the model code as the reference the kernel is tested against; the kernel
// saves the dispatches, temporaries and tape entries of its 4-20 stock ops (issue 14).
import * as tf from '@tensorflow/tfjs-core'

/**
 * Kernel names; each has a registered gradient (fusedKernels.ts) wherever it is registered. (Dense
 * layers take the other route: the backend's MatMul.dense, see model/dense.ts.)
 */
export const FUSED_KERNELS = {
  /** Per-row Bernoulli -log p(x | logits): inputs logits, x [M, N]; output [M]. */
  bernoulliRec: 'VaeLabBernoulliRec',
  /** Per-row KL(N(mu, exp(logVar)) || N(0, I)): inputs mu, logVar [M, N]; output [M]. */
  gaussianKl: 'VaeLabGaussianKl',
  /** mu + exp(logVar / 2) eps: inputs mu, logVar, eps of one shape. */
  reparameterize: 'VaeLabReparameterize'
} as const

export type FusedKernelName = (typeof FUSED_KERNELS)[keyof typeof FUSED_KERNELS]

/** Whether the active backend computes `name` as one fused kernel. */
export function hasFusedKernel(name: FusedKernelName): boolean {
  return tf.getKernel(name, tf.getBackend()) !== undefined
}

const float2d = (t: tf.Tensor) => t.rank === 2 && t.dtype === 'float32'

/** Shapes the fused kernels take; anything else (broadcasting, other dtypes) uses the formula. */
export const FUSED_SHAPES: Record<FusedKernelName, (inputs: tf.NamedTensorMap) => boolean> = {
  [FUSED_KERNELS.bernoulliRec]: ({ logits, x }) =>
    float2d(logits) && float2d(x) && tf.util.arraysEqual(logits.shape, x.shape),
  [FUSED_KERNELS.gaussianKl]: ({ mu, logVar }) =>
    float2d(mu) && float2d(logVar) && tf.util.arraysEqual(mu.shape, logVar.shape),
  [FUSED_KERNELS.reparameterize]: ({ mu, logVar, eps }) =>
    [mu, logVar, eps].every((t) => t.dtype === 'float32') &&
    tf.util.arraysEqual(mu.shape, logVar.shape) &&
    tf.util.arraysEqual(mu.shape, eps.shape)
}

/**
 * The value of `formula` (stock ops: the paper's equation), computed by the backend's fused kernel
 * `name` when it has one and the inputs fit it. Gradients follow: the kernel's registered gradient,
 * or stock autodiff through the formula.
 */
export function fused<T extends tf.Tensor>(
  name: FusedKernelName,
  inputs: tf.NamedTensorMap,
  attrs: tf.NamedAttrMap,
  formula: () => T
): T {
  if (!hasFusedKernel(name) || !FUSED_SHAPES[name](inputs)) return formula()
  return tf.engine().runKernel(name, inputs, attrs) as T
}
