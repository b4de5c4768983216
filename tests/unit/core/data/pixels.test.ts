import { describe, expect, it } from 'vitest'
import { loadBlasAddon } from '../../../../src-main/core/backend/blasKernels'
import type { ImageSet } from '../../../../src-main/core/data/dataset'
import { binarise, fillBatch } from '../../../../src-main/core/data/pixels'
import { mulberry32, range } from '../../../../src-main/core/train/random'

// Every byte value, with runs of black and white as in MNIST (the fast paths skip their hashes).
function mixedSet(count: number): ImageSet {
  const rng = mulberry32(42)
  const images = new Uint8Array(count * 784)
  for (let i = 0; i < images.length; i++) {
    const u = rng()
    images[i] = u < 0.6 ? 0 : u < 0.7 ? 255 : Math.floor(rng() * 256)
  }
  return { images, labels: new Uint8Array(count), count }
}

describe('pixels', () => {
  const set = mixedSet(30)
  const order = Uint32Array.from(range(30)).reverse()

  it('fills grey batches with x / 255 as float32, zero-padding rows past the end', () => {
    const out = new Float32Array(8 * 784).fill(7)
    expect(fillBatch(set, order, 25, out)).toBe(5)
    for (let r = 0; r < 5; r++)
      for (let j = 0; j < 784; j++)
        expect(out[r * 784 + j]).toBe(Math.fround(set.images[order[25 + r] * 784 + j] / 255))
    expect(out.subarray(5 * 784).every((v) => v === 0)).toBe(true)
  })

  it('gives the same grey batch through the native add-on (Uint32Array indices) as in JS', () => {
    const viaNative = new Float32Array(12 * 784)
    const viaJs = new Float32Array(12 * 784)
    fillBatch(set, order, 3, viaNative)
    fillBatch(set, Array.from(order), 3, viaJs) // a plain array always takes the JS loop
    expect(viaNative).toEqual(viaJs)
  })

  const blas = loadBlasAddon()
  it.skipIf(!blas.ok)('the native gather refuses an index past the last image', () => {
    if (!blas.ok) return
    const out = new Float32Array(784)
    expect(() => blas.addon.greyRows(set.images, Uint32Array.of(30), 0, 1, 784, out)).toThrow(
      'greyRows: an index past the last image'
    )
    expect(() => blas.addon.greyRows(set.images, Uint32Array.of(0), 0, 2, 784, out)).toThrow(
      /greyRows: rows outside/
    )
  })

  it('binarises dynamically with one draw per pixel, exactly as drawing rng() for each', () => {
    const fast = mulberry32(9)
    const plain = mulberry32(9)
    const out = new Float32Array(10 * 784)
    for (let start = 0; start < 30; start += 10) {
      fillBatch(set, order, start, out, fast)
      for (let r = 0; r < 10; r++) {
        const src = order[start + r] * 784
        for (let j = 0; j < 784; j++)
          expect(out[r * 784 + j]).toBe(plain() * 255 < set.images[src + j] ? 1 : 0)
      }
    }
    // The stream continues where a pixel-by-pixel one would be.
    expect(fast()).toBe(plain())
  })

  it('binarises a whole set once with the same bits as a draw per pixel', () => {
    const rng = mulberry32(20131220)
    const expected = set.images.map((p) => (rng() * 255 < p ? 255 : 0))
    expect(binarise(set, 20131220).images).toEqual(expected)
  })
})
