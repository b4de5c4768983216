// A small seeded PRNG for data order, binarisation and fixed figure samples: mulberry32
// is enough for shuffling and is identical on every backend, unlike Math.random.
export type Rng = () => number

/** mulberry32 with its 32-bit state exposed: a draw adds MULBERRY32_STEP to it, then hashes it. */
export interface Mulberry32 extends Rng {
  state: number
}

export const MULBERRY32_STEP = 0x6d2b79f5

/** The draw in [0, 1) for the state a draw has just stepped to. */
export function mulberry32Hash(state: number): number {
  let t = state
  t = Math.imul(t ^ (t >>> 15), t | 1)
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

export function mulberry32(seed: number): Mulberry32 {
  let a = seed >>> 0
  const rng = () => {
    a = (a + MULBERRY32_STEP) >>> 0
    return mulberry32Hash(a)
  }
  // Hot loops (pixels.ts) step the state inline and skip the hash where the draw cannot matter.
  return Object.defineProperty(rng, 'state', {
    get: () => a,
    set: (v: number) => {
      a = v >>> 0
    }
  }) as Mulberry32
}

/** Fisher-Yates in place. */
export function shuffleInPlace(a: Uint32Array, rng: Rng): Uint32Array {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1))
    const t = a[i]
    a[i] = a[j]
    a[j] = t
  }
  return a
}

export function range(n: number): Uint32Array {
  const a = new Uint32Array(n)
  for (let i = 0; i < n; i++) a[i] = i
  return a
}

/** A seed for step `step` of stream `stream`, so every random draw of a run is reproducible. */
export function deriveSeed(seed: number, stream: number, step: number): number {
  // Math.imul keeps the 32-bit products exact; a plain * loses bits above 2^53 for large seeds.
  const rng = mulberry32(Math.imul(seed, 0x9e3779b1) ^ Math.imul(stream, 0x85ebca6b) ^ step)
  return Math.floor(rng() * 2 ** 31)
}
