// An animated PNG (APNG, the W3C PNG spec's animation chunks) from PNG frames, for `vae-lab export
// --animate`: a figure over the epochs of training. Lossless, so digit pixels stay sharp (a GIF's
// 256-colour palette would dither the colour figures), and browsers play it; a viewer without
// APNG support shows the first frame. Frames must share their size and pixel format.
import { crc32 } from 'node:zlib'
import { VaeLabError } from '../../../common/errors'

const SIGNATURE = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])

interface Chunk {
  type: string
  data: Uint8Array
}

function readChunks(png: Uint8Array): Chunk[] {
  for (let i = 0; i < 8; i++)
    if (png[i] !== SIGNATURE[i]) throw new VaeLabError('INTERNAL', 'a frame is not a PNG')
  const view = new DataView(png.buffer, png.byteOffset, png.byteLength)
  const chunks: Chunk[] = []
  for (let at = 8; at + 12 <= png.length; ) {
    const length = view.getUint32(at)
    const type = String.fromCharCode(...png.subarray(at + 4, at + 8))
    chunks.push({ type, data: png.subarray(at + 8, at + 8 + length) })
    at += 12 + length
    if (type === 'IEND') break
  }
  return chunks
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length)
  const view = new DataView(out.buffer)
  view.setUint32(0, data.length)
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i)
  out.set(data, 8)
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)))
  return out
}

function u32s(...values: number[]): Uint8Array {
  const out = new Uint8Array(values.length * 4)
  const view = new DataView(out.buffer)
  values.forEach((v, i) => view.setUint32(i * 4, v))
  return out
}

export interface ApngOptions {
  /** Milliseconds each frame shows. */
  frameMs: number
  /** Milliseconds the last frame shows before the loop starts again. */
  lastMs?: number
}

/** The frames (complete PNG files) as one looping APNG. */
export function assembleApng(frames: readonly Uint8Array[], o: ApngOptions): Uint8Array {
  if (!frames.length) throw new VaeLabError('INTERNAL', 'an animation needs at least one frame')
  const parsed = frames.map(readChunks)
  const ihdr = parsed[0].find((c) => c.type === 'IHDR')
  if (!ihdr) throw new VaeLabError('INTERNAL', 'a frame has no IHDR chunk')
  const header = Buffer.from(ihdr.data).toString('hex')
  parsed.forEach((p, i) => {
    const h = p.find((c) => c.type === 'IHDR')
    if (!h || Buffer.from(h.data).toString('hex') !== header)
      throw new VaeLabError(
        'INTERNAL',
        `frame ${i + 1} differs in size or pixel format from frame 1`
      )
  })
  const view = new DataView(ihdr.data.buffer, ihdr.data.byteOffset, ihdr.data.byteLength)
  const width = view.getUint32(0)
  const height = view.getUint32(4)
  const parts: Uint8Array[] = [SIGNATURE, chunk('IHDR', ihdr.data)]
  parts.push(chunk('acTL', u32s(frames.length, 0))) // 0 plays: loop forever
  let seq = 0
  parsed.forEach((p, i) => {
    const ms = i === frames.length - 1 ? (o.lastMs ?? o.frameMs) : o.frameMs
    const fctl = new Uint8Array(26)
    const f = new DataView(fctl.buffer)
    f.setUint32(0, seq++)
    f.setUint32(4, width)
    f.setUint32(8, height)
    f.setUint32(12, 0) // x offset
    f.setUint32(16, 0) // y offset
    f.setUint16(20, Math.min(65535, Math.round(ms))) // delay numerator
    f.setUint16(22, 1000) // delay denominator: milliseconds
    fctl[24] = 0 // dispose: none (the next frame covers it whole)
    fctl[25] = 0 // blend: source
    parts.push(chunk('fcTL', fctl))
    for (const c of p.filter((c) => c.type === 'IDAT')) {
      if (i === 0) parts.push(chunk('IDAT', c.data))
      else {
        const data = new Uint8Array(4 + c.data.length)
        new DataView(data.buffer).setUint32(0, seq++)
        data.set(c.data, 4)
        parts.push(chunk('fdAT', data))
      }
    }
  })
  parts.push(chunk('IEND', new Uint8Array(0)))
  const out = new Uint8Array(parts.reduce((s, p) => s + p.length, 0))
  let at = 0
  for (const p of parts) {
    out.set(p, at)
    at += p.length
  }
  return out
}
