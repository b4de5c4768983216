// How figure data is stored at every epoch (issue 17), within a budget per epoch of 50 KB for a
// run without a manifold and 400 KB for a 2-D run: images as uint8 grey levels, deflated where it
// pays (the 20 x 20 manifold: 314 KB raw); latent means as float16 (3 significant digits, plenty
// for a scatter and a starting point to decode); KL per dimension as float32 (a few dims).
import { deflateSync, inflateSync } from 'node:zlib'
import { VaeLabError } from '../../common/errors'
import type { EpochFigureData } from '../model/epochFigures'
import type { EncodedFigure, EpochFigureKind } from '../store/runStore'

/** Deflate is kept only when it saves at least this share of the bytes. */
const MIN_SAVING = 0.1

type Encoding = 'raw' | 'deflate'

function pack(bytes: Uint8Array): { encoding: Encoding; data: Uint8Array } {
  const packed = deflateSync(bytes, { level: 6 })
  return packed.length <= bytes.length * (1 - MIN_SAVING)
    ? { encoding: 'deflate', data: new Uint8Array(packed.buffer, packed.byteOffset, packed.length) }
    : { encoding: 'raw', data: bytes }
}

function unpack(f: EncodedFigure, what: string): Uint8Array {
  if (f.meta.encoding === 'deflate') {
    try {
      const b = inflateSync(f.data)
      return new Uint8Array(b.buffer, b.byteOffset, b.length)
    } catch (e) {
      throw new VaeLabError('DATA_CORRUPT', `${what} does not inflate: ${(e as Error).message}`)
    }
  }
  return f.data
}

// --- float16 (IEEE 754 binary16), round to nearest even ---------------------------------------

const f32 = new Float32Array(1)
const u32 = new Uint32Array(f32.buffer)

export function toFloat16Bits(x: number): number {
  f32[0] = x
  const b = u32[0]
  const sign = (b >>> 16) & 0x8000
  const exp = (b >>> 23) & 0xff
  let mant = b & 0x7fffff
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0) // Inf, NaN
  const e = exp - 127 + 15
  if (e >= 0x1f) return sign | 0x7c00 // overflow to Inf
  if (e <= 0) {
    if (e < -10) return sign // underflow to 0
    mant |= 0x800000
    const shift = 14 - e
    const half = 1 << (shift - 1)
    let m = mant >>> shift
    const rest = mant & ((1 << shift) - 1)
    if (rest > half || (rest === half && m & 1)) m++
    return sign | m
  }
  const m = mant >>> 13
  const rest = mant & 0x1fff
  const out = sign | (e << 10) | m
  // Rounding up may carry into the exponent, which is the correctly rounded result (or Inf).
  return rest > 0x1000 || (rest === 0x1000 && m & 1) ? out + 1 : out
}

export function fromFloat16Bits(h: number): number {
  const sign = h & 0x8000 ? -1 : 1
  const exp = (h >>> 10) & 0x1f
  const mant = h & 0x3ff
  if (exp === 0) return sign * mant * 2 ** -24
  if (exp === 0x1f) return mant ? NaN : sign * Infinity
  return sign * (1 + mant / 1024) * 2 ** (exp - 15)
}

function float16Bytes(values: ArrayLike<number>): Uint8Array {
  const out = new Uint16Array(values.length)
  for (let i = 0; i < values.length; i++) out[i] = toFloat16Bits(values[i])
  return new Uint8Array(out.buffer) // little-endian on every platform VAE Lab runs on
}

function float16Values(bytes: Uint8Array): Float32Array {
  const h = new Uint16Array(bytes.slice().buffer)
  const out = new Float32Array(h.length)
  for (let i = 0; i < h.length; i++) out[i] = fromFloat16Bits(h[i])
  return out
}

const float32Bytes = (v: Float32Array) => new Uint8Array(v.slice().buffer)
const float32Values = (bytes: Uint8Array) => new Float32Array(bytes.slice().buffer)

// --- rows -----------------------------------------------------------------------------------------

/**
 * Bytes the scatter set's float16 means may take at one epoch: 240 points fit up to 66 latent
 * dims; above that, fewer points per class are kept (the first of each), so that an epoch stays
 * within its 50 KB.
 */
export const SCATTER_BYTES = 32_000

/** Rows of the scatter set kept at an epoch: all, or the first k of each class. */
function scatterRows(labels: readonly number[], latentDim: number): number[] {
  const all = labels.map((_, i) => i)
  const perPoint = latentDim * 2
  if (labels.length * perPoint <= SCATTER_BYTES) return all
  const classes = new Set(labels).size || 1
  const perClass = Math.max(1, Math.floor(SCATTER_BYTES / perPoint / classes))
  const seen = new Map<number, number>()
  return all.filter((i) => {
    const n = seen.get(labels[i]) ?? 0
    seen.set(labels[i], n + 1)
    return n < perClass
  })
}

/** An epoch's figure data as the rows stored for it. */
export function encodeEpochFigures(f: EpochFigureData): EncodedFigure[] {
  const rows: EncodedFigure[] = []
  const images = new Uint8Array(f.recon.originals.length + f.recon.reconstructions.length)
  images.set(f.recon.originals, 0)
  images.set(f.recon.reconstructions, f.recon.originals.length)
  const recon = pack(images)
  rows.push({
    kind: 'recon',
    meta: {
      indices: f.recon.indices,
      labels: f.recon.labels,
      shape: [2, f.recon.labels.length, 28, 28],
      layout: 'originals then reconstructions',
      dtype: 'uint8',
      encoding: recon.encoding
    },
    data: recon.data
  })
  if (f.manifold) {
    const m = pack(f.manifold.images)
    rows.push({
      kind: 'manifold',
      meta: {
        grid: f.manifold.grid,
        spacing: f.manifold.spacing,
        xs: f.manifold.xs,
        ys: f.manifold.ys,
        shape: [f.manifold.grid * f.manifold.grid, 28, 28],
        dtype: 'uint8',
        encoding: m.encoding
      },
      data: m.data
    })
  }
  const keep = scatterRows(f.scatter.labels, f.scatter.latentDim)
  const d = f.scatter.latentDim
  const mu = new Float32Array(keep.length * d)
  keep.forEach((i, r) => mu.set(f.scatter.mu.subarray(i * d, (i + 1) * d), r * d))
  rows.push({
    kind: 'scatter',
    meta: {
      indices: keep.map((i) => f.scatter.indices[i]),
      labels: keep.map((i) => f.scatter.labels[i]),
      shape: [keep.length, d],
      dtype: 'float16',
      encoding: 'raw'
    },
    data: float16Bytes(mu)
  })
  rows.push({
    kind: 'klperdim',
    meta: { shape: [f.klPerDim.length], dtype: 'float32', encoding: 'raw' },
    data: float32Bytes(Float32Array.from(f.klPerDim))
  })
  return rows
}

/** What was stored at an epoch, decoded; a kind not stored is absent. */
export type DecodedEpochFigures = Partial<Omit<EpochFigureData, 'klPerDim'>> & {
  klPerDim?: number[]
}

export function decodeEpochFigures(
  rows: readonly EncodedFigure[],
  what = 'figure data'
): DecodedEpochFigures {
  const out: DecodedEpochFigures = {}
  for (const r of rows) {
    const bytes = unpack(r, `${what} (${r.kind})`)
    const m = r.meta
    switch (r.kind as EpochFigureKind) {
      case 'recon': {
        const half = bytes.length / 2
        out.recon = {
          indices: m.indices as number[],
          labels: m.labels as number[],
          originals: bytes.subarray(0, half),
          reconstructions: bytes.subarray(half)
        }
        break
      }
      case 'manifold':
        out.manifold = {
          grid: m.grid as number,
          spacing: m.spacing as 'icdf' | 'linear',
          xs: m.xs as number[],
          ys: m.ys as number[],
          images: bytes
        }
        break
      case 'scatter': {
        const [, latentDim] = m.shape as number[]
        out.scatter = {
          indices: m.indices as number[],
          labels: m.labels as number[],
          latentDim,
          mu: m.dtype === 'float16' ? float16Values(bytes) : float32Values(bytes)
        }
        break
      }
      case 'klperdim':
        out.klPerDim = Array.from(float32Values(bytes))
        break
    }
  }
  return out
}

/** Bytes an epoch's rows take in the database, as the budget counts them (data and meta). */
export function storedBytes(rows: readonly EncodedFigure[]): number {
  return rows.reduce((s, r) => s + r.data.length + JSON.stringify(r.meta).length, 0)
}
