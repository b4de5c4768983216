import * as tf from '@tensorflow/tfjs-core'

/** x @ w for one dense layer; [batch, in] @ [in, out] -> [batch, out]. */
export type MatMul = (x: tf.Tensor2D, w: tf.Tensor2D) => tf.Tensor2D

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
