// Points in latent space to decode (issue 17): traversals of one dim at a time, interpolation
// between two test images' means (linear, and spherical, which keeps a path through the prior's
// typical set at the radius where Gaussian samples lie), and samples from the prior N(0, I).
// Pure: the latent explorer computes them in the renderer, exports in the figure worker.

/** Prior standard deviations each traversal sweeps, from -TRAVERSAL_SD to +TRAVERSAL_SD. */
export const TRAVERSAL_SD = 3
export const TRAVERSAL_STEPS = 11
export const INTERPOLATION_STEPS = 10
export const SAMPLE_GRID = 8
/** At most this many dims get a traversal row in a figure: those with the largest KL. */
export const TRAVERSAL_MAX_ROWS = 10

/** Evenly spaced values from -sd to +sd (the prior's standard deviation is 1). */
export function traversalValues(steps = TRAVERSAL_STEPS, sd = TRAVERSAL_SD): number[] {
  return Array.from({ length: steps }, (_, i) =>
    steps === 1 ? 0 : Number((-sd + (2 * sd * i) / (steps - 1)).toFixed(6))
  )
}

/**
 * One row per dim of `dims`: the base point (a test image's mean) with that dim set to each of
 * `values` in turn, the others kept.
 */
export function traversalPoints(
  base: readonly number[],
  dims: readonly number[],
  values: readonly number[] = traversalValues()
): number[][] {
  return dims.flatMap((d) =>
    values.map((v) => {
      const z = [...base]
      z[d] = v
      return z
    })
  )
}

/** Dims in order of decreasing KL (the most informative first), at most `max`. */
export function dimsByKl(klPerDim: readonly number[], max = TRAVERSAL_MAX_ROWS): number[] {
  return klPerDim
    .map((kl, d) => ({ kl, d }))
    .sort((a, b) => b.kl - a.kl || a.d - b.d)
    .slice(0, max)
    .map((x) => x.d)
}

/** `steps` points from a to b inclusive, on the straight line. */
export function lerp(a: readonly number[], b: readonly number[], steps = INTERPOLATION_STEPS) {
  return Array.from({ length: steps }, (_, i) => {
    const t = steps === 1 ? 0 : i / (steps - 1)
    return a.map((x, j) => (1 - t) * x + t * b[j])
  })
}

/**
 * `steps` points from a to b inclusive along the great circle through them (White, 2016,
 * "Sampling generative networks"), with the radius interpolated linearly: under a Gaussian prior
 * the midpoint of a straight line has a norm well below the typical one, spherical does not.
 * Falls back to the line when a and b are (anti)parallel or zero.
 */
export function slerp(a: readonly number[], b: readonly number[], steps = INTERPOLATION_STEPS) {
  const norm = (v: readonly number[]) => Math.sqrt(v.reduce((s, x) => s + x * x, 0))
  const na = norm(a)
  const nb = norm(b)
  if (na < 1e-9 || nb < 1e-9) return lerp(a, b, steps)
  const cos = Math.min(1, Math.max(-1, a.reduce((s, x, j) => s + x * b[j], 0) / (na * nb)))
  const omega = Math.acos(cos)
  if (omega < 1e-6 || Math.PI - omega < 1e-6) return lerp(a, b, steps)
  return Array.from({ length: steps }, (_, i) => {
    const t = steps === 1 ? 0 : i / (steps - 1)
    const ka = Math.sin((1 - t) * omega) / Math.sin(omega)
    const kb = Math.sin(t * omega) / Math.sin(omega)
    const dir = a.map((x, j) => (ka * x) / na + (kb * b[j]) / nb)
    const r = (1 - t) * na + t * nb
    const nd = norm(dir)
    return dir.map((x) => (r * x) / nd)
  })
}

/** mulberry32: small, fast, seedable (the same generator as the trainer's). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

/** `count` draws from N(0, I) in `dim` dimensions (Box–Muller), the same for the same seed. */
export function priorSamples(count: number, dim: number, seed = 0): number[][] {
  const rand = mulberry32(seed)
  const normal = () => {
    const u = Math.max(rand(), 1e-12)
    const v = rand()
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)
  }
  return Array.from({ length: count }, () => Array.from({ length: dim }, normal))
}

/** Classes the decoded figures start from by default (when the scatter set has them). */
const BASE_CLASS = 3
const PAIR_CLASSES: [number, number] = [2, 7]

/** Position in the scatter set of the traversals' default test image: its first 3, else its first. */
export function defaultBase(labels: readonly number[]): number {
  return Math.max(0, labels.indexOf(BASE_CLASS))
}

/** Positions of the interpolation's default ends: the first 2 and the first 7, else two classes. */
export function defaultPair(labels: readonly number[]): [number, number] {
  const a = labels.indexOf(PAIR_CLASSES[0])
  const b = labels.indexOf(PAIR_CLASSES[1])
  if (a >= 0 && b >= 0) return [a, b]
  const other = labels.findIndex((l) => l !== labels[0])
  return [0, other >= 0 ? other : Math.min(1, labels.length - 1)]
}
