// How grey levels become Bernoulli targets (design.md section 1, issue 3):
// 'grey' uses x/255 directly; 'static' binarises once with a fixed seed;
// 'dynamic' draws a fresh binarisation for every training batch.
import { mulberry32, mulberry32Hash, type Mulberry32, type Rng } from '../train/random'
import { loadBlasAddon, type BlasAddon } from '../backend/blasKernels'
import { IMAGE_SIZE, type ImageSet } from './dataset'

export type PixelMode = 'grey' | 'dynamic' | 'static'

const STATIC_BINARISATION_SEED = 20131220 // the paper's arXiv date; fixed so every run sees the same bits

/**
 * out[o + j] = 1 if rng() * 255 < src[s + j] else 0, for j < n: one draw per pixel, in order.
 * A draw cannot change the result for black (0) and white (255) pixels, most of MNIST, so for
 * them the stream only steps its state: the same bits as drawing every pixel, 3x faster.
 */
function binariseInto(
  src: Uint8Array,
  s: number,
  out: Uint8Array | Float32Array,
  o: number,
  n: number,
  rng: Mulberry32
): void {
  // Literals and locals only: an imported constant (a property load in CommonJS) or a parameter
  // in this loop makes it 2x slower.
  const hash = mulberry32Hash
  let a = rng.state | 0 // int32 arithmetic: the hash reads the low 32 bits only
  for (let j = 0; j < n; j++) {
    a = (a + 0x6d2b79f5) | 0 // MULBERRY32_STEP
    const p = src[s + j]
    out[o + j] = p === 0 ? 0 : p === 255 ? 1 : hash(a) * 255 < p ? 1 : 0
  }
  rng.state = a
}

const isMulberry32 = (rng: Rng): rng is Mulberry32 =>
  typeof (rng as Partial<Mulberry32>).state === 'number'

// x / 255 for every byte, rounded to float32 exactly as the division stored into a Float32Array is.
const GREY = Float32Array.from({ length: 256 }, (_, i) => i / 255)

function greyRow(src: Uint8Array, s: number, out: Float32Array, o: number, n: number): void {
  for (let j = 0; j < n; j++) out[o + j] = GREY[src[s + j]]
}

export function binarise(set: ImageSet, seed: number): ImageSet {
  const images = new Uint8Array(set.images.length)
  binariseInto(set.images, 0, images, 0, images.length, mulberry32(seed))
  for (let i = 0; i < images.length; i++) images[i] *= 255
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

// Grey batches through the native add-on where it is built (whatever the backend: this is plain
// memory): 0.15 ms per 100 images in JS, most of the per-step cost outside the model.
let native: BlasAddon | null | undefined
function nativeRows(): BlasAddon | null {
  if (native === undefined) {
    const load = loadBlasAddon()
    native = load.ok ? load.addon : null
  }
  return native
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
  const images = set.images
  const addon = dynamicRng ? null : nativeRows()
  if (addon && indices instanceof Uint32Array && images instanceof Uint8Array) {
    addon.greyRows(images, indices, start, real, IMAGE_SIZE, out)
    out.fill(0, real * IMAGE_SIZE)
    return real
  }
  for (let r = 0; r < real; r++) {
    const src = indices[start + r] * IMAGE_SIZE
    const dst = r * IMAGE_SIZE
    if (dynamicRng && isMulberry32(dynamicRng)) {
      binariseInto(images, src, out, dst, IMAGE_SIZE, dynamicRng)
    } else if (dynamicRng) {
      for (let j = 0; j < IMAGE_SIZE; j++)
        out[dst + j] = dynamicRng() * 255 < images[src + j] ? 1 : 0
    } else {
      greyRow(images, src, out, dst, IMAGE_SIZE)
    }
  }
  out.fill(0, real * IMAGE_SIZE)
  return real
}
