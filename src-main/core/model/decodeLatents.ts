// Decoder means of latent points as grey bytes: the latent explorer (a decode per drag event),
// traversals, interpolations and prior samples. Rows go through the decoder in a few fixed shapes
// (1, 16, then chunks of 128), so a long-lived explorer does not grow the wasm heap with every new
// batch shape (pitfalls.md §1).
import * as tf from '@tensorflow/tfjs-core'
import type { LatentModel } from './latentModel'

const CHUNK = 128

const shapeFor = (rows: number) => (rows <= 1 ? 1 : rows <= 16 ? 16 : CHUNK)

/** `z` holds `rows` points of `m.latentDim` values, row-major; returns rows x 784 bytes. */
export async function decodeLatents(
  m: LatentModel,
  z: Float32Array,
  rows: number
): Promise<Uint8Array> {
  const d = m.latentDim
  if (z.length !== rows * d) throw new RangeError(`expected ${rows} x ${d} latent values`)
  let out: Uint8Array | null = null
  for (let start = 0; start < rows; start += CHUNK) {
    const real = Math.min(CHUNK, rows - start)
    const shape = shapeFor(real)
    const buf = new Float32Array(shape * d)
    buf.set(z.subarray(start * d, (start + real) * d))
    const t = tf.tidy(() => tf.sigmoid(m.decode(tf.tensor2d(buf, [shape, d]))))
    const values = await t.data()
    t.dispose()
    const pixels = values.length / shape
    out ??= new Uint8Array(rows * pixels)
    for (let i = 0; i < real * pixels; i++)
      out[start * pixels + i] = Math.round(Math.min(1, Math.max(0, values[i])) * 255)
  }
  return out ?? new Uint8Array(0)
}

/** Points as one row-major Float32Array. */
export function packPoints(points: readonly (readonly number[])[], dim: number): Float32Array {
  const z = new Float32Array(points.length * dim)
  points.forEach((p, i) => {
    for (let j = 0; j < dim; j++) z[i * dim + j] = p[j] ?? 0
  })
  return z
}
