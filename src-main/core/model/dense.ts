import * as tf from '@tensorflow/tfjs-core'

export type Activation = 'linear' | 'tanh' | 'relu'

/** act(x @ w + b) for one dense layer; [batch, in] @ [in, out] + [out] -> [batch, out]. */
export type Dense = (
  x: tf.Tensor2D,
  w: tf.Tensor2D,
  b: tf.Tensor1D,
  activation: Activation
) => tf.Tensor2D

/** x @ w for one dense layer; [batch, in] @ [in, out] -> [batch, out]. */
export interface MatMul {
  (x: tf.Tensor2D, w: tf.Tensor2D): tf.Tensor2D
  /** The whole layer as one fused kernel, where the backend has one (webgpu). */
  dense?: Dense
}

/** act(x @ w + b): the backend's fused layer if it has one, else matMul, add and act. */
export function denseLayer(
  matMul: MatMul,
  x: tf.Tensor2D,
  w: tf.Tensor2D,
  b: tf.Tensor1D,
  activation: Activation
): tf.Tensor2D {
  if (matMul.dense) return matMul.dense(x, w, b, activation)
  const pre = tf.add(matMul(x, w), b) as tf.Tensor2D
  if (activation === 'tanh') return tf.tanh(pre)
  if (activation === 'relu') return tf.relu(pre)
  return pre
}

export const stockMatMul: MatMul = (x, w) => tf.matMul(x, w)

/**
 * matMul whose gradient transposes explicitly instead of using transposeA/transposeB.
 * On the wasm backend a transposed GEMM leaves XNNPACK for a scalar loop (about 2 vs 28
 * GFLOP/s, see design.md section 2); an explicit transpose is a cheap copy.
 */
export const transposeFreeMatMul: MatMul = tf.customGrad(
  (...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, w, save] = args as [tf.Tensor2D, tf.Tensor2D, tf.GradSaveFunc]
    save([x, w])
    return {
      value: tf.matMul(x, w),
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws] = saved as tf.Tensor2D[]
        const dy2 = dy as tf.Tensor2D
        return [tf.matMul(dy2, tf.transpose(ws)), tf.matMul(tf.transpose(xs), dy2)]
      }
    }
  }
) as unknown as MatMul
