// IDX is the format MNIST ships in (yann.lecun.com/exdb/mnist): a 4-byte magic
// (0x00 0x00 <type> <ndims>), ndims big-endian uint32 sizes, then the data.
import { gunzipSync } from 'node:zlib'
import { readFileSync } from 'node:fs'
import { VaeLabError } from '../../common/errors'

export interface IdxArray {
  dims: number[]
  data: Uint8Array
}

const UNSIGNED_BYTE = 0x08

export function parseIdx(raw: Uint8Array, file: string): IdxArray {
  const bytes = isGzip(raw) ? gunzip(raw, file) : raw
  const fail = (problem: string): never => {
    throw new VaeLabError('DATA_CORRUPT', `${file}: ${problem}`)
  }
  if (bytes.length < 4) fail(`too short to be an IDX file (${bytes.length} bytes)`)
  if (bytes[0] !== 0 || bytes[1] !== 0) {
    fail(`bad magic number 0x${hex(bytes.subarray(0, 4))}; an IDX file starts with 00 00`)
  }
  if (bytes[2] !== UNSIGNED_BYTE) {
    fail(`element type 0x${bytes[2].toString(16)} is not supported; only unsigned bytes (0x08) are`)
  }
  const ndims = bytes[3]
  if (ndims < 1 || ndims > 3) fail(`${ndims} dimensions; expected 1 (labels) or 3 (images)`)
  const headerLength = 4 + 4 * ndims
  if (bytes.length < headerLength)
    fail(`header truncated (${bytes.length} of ${headerLength} bytes)`)
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  const dims: number[] = []
  for (let i = 0; i < ndims; i++) dims.push(view.getUint32(4 + 4 * i, false))
  const expected = dims.reduce((a, b) => a * b, 1)
  const actual = bytes.length - headerLength
  if (actual < expected) {
    fail(
      `truncated: header promises ${dims.join('x')} = ${expected} bytes of data, file has ${actual}`
    )
  }
  if (actual > expected)
    fail(`${actual - expected} unexpected bytes after the data (${dims.join('x')})`)
  return { dims, data: bytes.subarray(headerLength) }
}

export function readIdxFile(file: string): IdxArray {
  let raw: Buffer
  try {
    raw = readFileSync(file)
  } catch (e) {
    const reason = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(e)
    throw new VaeLabError('NOT_FOUND', `${file}: cannot read IDX file (${reason})`, { cause: e })
  }
  return parseIdx(raw, file)
}

/** An image set and its labels, checked to agree: 28x28 images, labels 0..9, equal counts. */
export function checkImagesAndLabels(
  images: IdxArray,
  labels: IdxArray,
  imagesFile: string,
  labelsFile: string
): { count: number } {
  if (images.dims.length !== 3 || images.dims[1] !== 28 || images.dims[2] !== 28) {
    throw new VaeLabError(
      'DATA_CORRUPT',
      `${imagesFile}: expected images of shape Nx28x28, found ${images.dims.join('x')}`
    )
  }
  if (labels.dims.length !== 1) {
    throw new VaeLabError(
      'DATA_CORRUPT',
      `${labelsFile}: expected a 1-D label file, found ${labels.dims.join('x')}`
    )
  }
  if (images.dims[0] === 0) throw new VaeLabError('DATA_CORRUPT', `${imagesFile} holds no images`)
  if (images.dims[0] !== labels.dims[0]) {
    throw new VaeLabError(
      'DATA_CORRUPT',
      `${imagesFile} has ${images.dims[0]} images but ${labelsFile} has ${labels.dims[0]} labels`
    )
  }
  const bad = labels.data.findIndex((l) => l > 9)
  if (bad >= 0) {
    throw new VaeLabError(
      'DATA_CORRUPT',
      `${labelsFile}: label ${labels.data[bad]} at index ${bad} is not a digit 0-9`
    )
  }
  return { count: images.dims[0] }
}

/** Encodes an IDX unsigned-byte array; used to write fixtures and exports. */
export function encodeIdx(dims: number[], data: Uint8Array): Uint8Array {
  const header = new Uint8Array(4 + 4 * dims.length)
  const view = new DataView(header.buffer)
  header[2] = UNSIGNED_BYTE
  header[3] = dims.length
  dims.forEach((d, i) => view.setUint32(4 + 4 * i, d, false))
  const out = new Uint8Array(header.length + data.length)
  out.set(header, 0)
  out.set(data, header.length)
  return out
}

function isGzip(b: Uint8Array): boolean {
  return b.length >= 2 && b[0] === 0x1f && b[1] === 0x8b
}

function gunzip(b: Uint8Array, file: string): Uint8Array {
  try {
    return gunzipSync(b)
  } catch (e) {
    throw new VaeLabError(
      'DATA_CORRUPT',
      `${file}: gzip data is corrupt or truncated (${(e as Error).message})`,
      {
        cause: e
      }
    )
  }
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
}
