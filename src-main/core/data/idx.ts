// IDX is the format MNIST ships in (yann.lecun.com/exdb/mnist): a 4-byte magic
// (0x00 0x00 <type> <ndims>), ndims big-endian uint32 sizes, then the data.
import fs from 'node:fs'
import { constants as zlibConstants, gunzipSync } from 'node:zlib'
import { VaeLabError } from '../../common/errors'

export interface IdxArray {
  dims: number[]
  data: Uint8Array
}

const UNSIGNED_BYTE = 0x08

/**
 * The most data one IDX file may hold: 1 GiB (EMNIST's largest set, 814,255 images, is 638 MB).
 * A header that promises more is refused before anything is read or inflated.
 */
export const MAX_IDX_BYTES = 1 << 30

interface IdxHeader {
  dims: number[]
  headerLength: number
  /** Bytes of data the dims promise. */
  expected: number
}

/** The header's dims, checked; `bytes` may be only the start of the file. */
function parseHeader(bytes: Uint8Array, file: string): IdxHeader {
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
  if (expected > MAX_IDX_BYTES)
    fail(
      `the header promises ${dims.join('x')} = ${expected} bytes of data; VAE Lab reads IDX files of up to ${MAX_IDX_BYTES} bytes`
    )
  return { dims, headerLength, expected }
}

export function parseIdx(raw: Uint8Array, file: string): IdxArray {
  const bytes = isGzip(raw) ? gunzip(raw, file) : raw
  const { dims, headerLength, expected } = parseHeader(bytes, file)
  const actual = bytes.length - headerLength
  if (actual < expected) {
    throw new VaeLabError(
      'DATA_CORRUPT',
      `${file}: truncated: header promises ${dims.join('x')} = ${expected} bytes of data, file has ${actual}`
    )
  }
  if (actual > expected)
    throw new VaeLabError(
      'DATA_CORRUPT',
      `${file}: ${actual - expected} unexpected bytes after the data (${dims.join('x')})`
    )
  return { dims, data: bytes.subarray(headerLength) }
}

const NONBLOCK = fs.constants.O_NONBLOCK ?? 0

/**
 * A regular file's bytes. Opening is non-blocking and the file is checked before it is read: a
 * FIFO would block the thread until a writer appears, and /dev/zero never ends. A raw IDX file
 * whose size disagrees with its header is refused before the rest of it is read.
 */
export function readIdxFile(file: string): IdxArray {
  let fd: number
  try {
    fd = fs.openSync(file, fs.constants.O_RDONLY | NONBLOCK)
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    const reason =
      code === 'ENOENT' ? 'no such file' : code === 'EACCES' ? 'permission denied' : String(e)
    throw new VaeLabError('NOT_FOUND', `${file}: cannot read IDX file (${reason})`, { cause: e })
  }
  try {
    const st = fs.fstatSync(fd)
    if (!st.isFile()) {
      const what = st.isDirectory()
        ? 'a directory'
        : st.isFIFO()
          ? 'a named pipe (FIFO)'
          : st.isCharacterDevice() || st.isBlockDevice()
            ? 'a device'
            : st.isSocket()
              ? 'a socket'
              : 'not a regular file'
      throw new VaeLabError(
        'INVALID_INPUT',
        `${file} is ${what}; give an IDX file (raw or .gz) that is a regular file`
      )
    }
    const head = readAt(fd, 0, Math.min(st.size, 16))
    if (!isGzip(head)) {
      const h = parseHeader(head, file)
      if (st.size - h.headerLength !== h.expected) parseIdx(head, file) // names the mismatch
    } else if (st.size > MAX_IDX_BYTES) {
      throw new VaeLabError(
        'DATA_CORRUPT',
        `${file}: ${st.size} bytes of gzip data; VAE Lab reads IDX files of up to ${MAX_IDX_BYTES} bytes`
      )
    }
    return parseIdx(readAt(fd, 0, st.size), file)
  } finally {
    fs.closeSync(fd)
  }
}

function readAt(fd: number, position: number, length: number): Buffer {
  const buf = Buffer.alloc(length)
  let done = 0
  while (done < length) {
    const n = fs.readSync(fd, buf, done, length - done, position + done)
    if (n === 0) break
    done += n
  }
  return buf.subarray(0, done)
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

/**
 * Inflates no more than the header promises: the header is read from the first few KB, and the
 * rest may not inflate past it (a 1.8 MB file can otherwise inflate to 400 MB before it is refused).
 */
function gunzip(b: Uint8Array, file: string): Uint8Array {
  const corrupt = (e: unknown) =>
    new VaeLabError(
      'DATA_CORRUPT',
      `${file}: gzip data is corrupt or truncated (${(e as Error).message})`,
      { cause: e }
    )
  let head: Uint8Array
  try {
    // 4 KB of deflate inflate to at most about 4 MB: enough for the header, bounded for a bomb.
    head = gunzipSync(b.subarray(0, 4096), {
      finishFlush: zlibConstants.Z_SYNC_FLUSH,
      maxOutputLength: 8 << 20
    })
  } catch (e) {
    throw corrupt(e)
  }
  let header: IdxHeader
  try {
    header = parseHeader(head, file)
  } catch (e) {
    // A stream cut short inside its header: that the gzip data is cut is the real problem.
    if (b.length <= 4096) {
      try {
        gunzipSync(b)
      } catch (g) {
        throw corrupt(g)
      }
    }
    throw e
  }
  const { headerLength, expected } = header
  try {
    // One byte more than promised, so that trailing data is reported as such.
    return gunzipSync(b, { maxOutputLength: headerLength + expected + 1 })
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      throw new VaeLabError(
        'DATA_CORRUPT',
        `${file}: inflates to more than its header promises (${headerLength + expected} bytes)`,
        { cause: e }
      )
    throw corrupt(e)
  }
}

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('')
}
