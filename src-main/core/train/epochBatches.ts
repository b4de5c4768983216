// One epoch's minibatches on the device: filled exactly as batch-by-batch training fills them
// (same order, same dynamic binarisation draws) and uploaded at once, so a GPU step reads its
// batch from device memory instead of waiting for a host copy.
import * as tf from '@tensorflow/tfjs-core'
import { IMAGE_SIZE, type ImageSet } from '../data/dataset'
import { fillBatch } from '../data/pixels'
import type { Rng } from './random'

/** Per tensor: WebGPU guarantees storage bindings of 128 MiB only, and a slice binds the whole chunk. */
export const MAX_CHUNK_BYTES = 64 * 1024 * 1024

export class EpochBatches {
  private readonly chunks: tf.Tensor2D[] = []
  private readonly perChunk: number

  constructor(
    set: ImageSet,
    order: ArrayLike<number>,
    batches: number,
    private readonly batchSize: number,
    dynamicRng?: Rng,
    maxChunkBytes = MAX_CHUNK_BYTES
  ) {
    const batchBytes = batchSize * IMAGE_SIZE * 4
    this.perChunk = Math.max(1, Math.floor(maxChunkBytes / batchBytes))
    // Chunks in batch order: dynamic binarisation draws from the rng in the same sequence.
    for (let first = 0; first < batches; first += this.perChunk) {
      const n = Math.min(this.perChunk, batches - first)
      const buf = new Float32Array(n * batchSize * IMAGE_SIZE)
      fillBatch(set, order, first * batchSize, buf, dynamicRng)
      this.chunks.push(tf.tensor2d(buf, [n * batchSize, IMAGE_SIZE]))
    }
  }

  /** Batch b as [batchSize, 784]; the caller disposes it (a device-side copy of one batch). */
  batch(b: number): tf.Tensor2D {
    const chunk = this.chunks[Math.floor(b / this.perChunk)]
    const row = (b % this.perChunk) * this.batchSize
    return tf.slice(chunk, [row, 0], [this.batchSize, IMAGE_SIZE])
  }

  dispose(): void {
    for (const c of this.chunks) c.dispose()
    this.chunks.length = 0
  }
}
