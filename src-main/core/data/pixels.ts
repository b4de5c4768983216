// How grey levels become Bernoulli targets (design.md section 1, issue 3):
// 'grey' uses x/255 directly; 'static' binarises once with a fixed seed;
// 'dynamic' draws a fresh binarisation for every training batch.
import { mulberry32, type Rng } from '../train/random'
import { IMAGE_SIZE, type ImageSet } from './dataset'

export type PixelMode = 'grey' | 'dynamic' | 'static'

const STATIC_BINARISATION_SEED = 20131220 // the paper's arXiv date; fixed so every run sees the same bits

export function binarise(set: ImageSet, seed: number): ImageSet {
  const rng = mulberry32(seed)
  const images = new Uint8Array(set.images.length)
  for (let i = 0; i < images.length; i++) images[i] = rng() * 255 < set.images[i] ? 255 : 0
  return { ...set, images }
}

/** The image bytes training batches are drawn from. */
export function trainingImages(set: ImageSet, mode: PixelMode): ImageSet {
  return mode === 'static' ? binarise(set, STATIC_BINARISATION_SEED) : set
}

/** Test targets: binarised once with a fixed seed in both binary modes, so evaluations compare. */
export function evaluationImages(set: ImageSet, mode: PixelMode): ImageSet {
  return mode === 'grey' ? set : binarise(set, STATIC_BINARISATION_SEED + 1)
}

/**
 * Fills `out` ([rows, 784]) with the images at `indices[start..start+rows)`; rows past the end
 * are zero padding, which keeps tensor shapes fixed (the wasm heap never shrinks: pitfalls.md §1).
 */
export function fillBatch(
  set: ImageSet,
  indices: ArrayLike<number>,
  start: number,
  out: Float32Array,
  dynamicRng?: Rng
): number {
  const rows = out.length / IMAGE_SIZE
  const real = Math.max(0, Math.min(rows, indices.length - start))
  for (let r = 0; r < real; r++) {
    const src = indices[start + r] * IMAGE_SIZE
    const dst = r * IMAGE_SIZE
    if (dynamicRng) {
      for (let j = 0; j < IMAGE_SIZE; j++)
        out[dst + j] = dynamicRng() * 255 < set.images[src + j] ? 1 : 0
    } else {
      for (let j = 0; j < IMAGE_SIZE; j++) out[dst + j] = set.images[src + j] / 255
    }
  }
  out.fill(0, real * IMAGE_SIZE)
  return real
}
