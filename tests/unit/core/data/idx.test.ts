import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from 'vitest'
import {
  checkImagesAndLabels,
  encodeIdx,
  parseIdx,
  readIdxFile
} from '../../../../src-main/core/data/idx'
import { VaeLabError } from '../../../../src-main/common/errors'
import { tempDir } from '../../../helpers/fixtures'

const COMPILED_IDX = path.resolve(__dirname, '../../../../out/node/core/data/idx.js')

/** Runs `code` with `idx` = the compiled module in a child Node, killed after 10 s. */
function inChild(code: string) {
  return spawnSync(
    process.execPath,
    ['-e', `const idx = require(${JSON.stringify(COMPILED_IDX)});\n${code}`],
    { encoding: 'utf8', timeout: 10_000 }
  )
}

const images = (n: number) =>
  encodeIdx(
    [n, 28, 28],
    new Uint8Array(n * 784).map((_, i) => i % 256)
  )
const labels = (values: number[]) => encodeIdx([values.length], Uint8Array.from(values))

function corrupt(fn: () => unknown): VaeLabError {
  try {
    fn()
  } catch (e) {
    expect(e).toBeInstanceOf(VaeLabError)
    return e as VaeLabError
  }
  throw new Error('expected a VaeLabError')
}

describe('parseIdx', () => {
  it('reads dims and data of a raw IDX file', () => {
    const parsed = parseIdx(images(3), 'x.idx')
    expect(parsed.dims).toEqual([3, 28, 28])
    expect(parsed.data.length).toBe(3 * 784)
    expect(parsed.data[785]).toBe(785 % 256)
  })

  it('reads gzip-compressed IDX the same as raw', () => {
    const raw = parseIdx(labels([1, 2, 3]), 'l')
    const gz = parseIdx(gzipSync(labels([1, 2, 3])), 'l.gz')
    expect(gz.dims).toEqual(raw.dims)
    expect(Array.from(gz.data)).toEqual([1, 2, 3])
  })

  it('names the file and the problem for a bad magic number', () => {
    const bytes = images(1)
    bytes[0] = 0x50
    const e = corrupt(() => parseIdx(bytes, 'mnist/train-images'))
    expect(e.code).toBe('DATA_CORRUPT')
    expect(e.message).toMatch(/^mnist\/train-images: bad magic number 0x50/)
  })

  it('rejects a truncated file with the promised and actual sizes', () => {
    const bytes = images(2).subarray(0, 16 + 784 + 100)
    const e = corrupt(() => parseIdx(bytes, 'f'))
    expect(e.message).toContain(
      'truncated: header promises 2x28x28 = 1568 bytes of data, file has 884'
    )
  })

  it('rejects a truncated header, trailing bytes, non-byte element types and bad dimension counts', () => {
    expect(corrupt(() => parseIdx(images(1).subarray(0, 10), 'f')).message).toMatch(
      /header truncated/
    )
    expect(corrupt(() => parseIdx(new Uint8Array([...labels([1]), 9]), 'f')).message).toMatch(
      /1 unexpected bytes/
    )
    const floats = labels([1])
    floats[2] = 0x0d
    expect(corrupt(() => parseIdx(floats, 'f')).message).toMatch(
      /element type 0xd is not supported/
    )
    const fourDims = labels([1])
    fourDims[3] = 4
    expect(corrupt(() => parseIdx(fourDims, 'f')).message).toMatch(/4 dimensions/)
    expect(corrupt(() => parseIdx(new Uint8Array([0, 0]), 'f')).message).toMatch(/too short/)
  })

  it('reports corrupt gzip data instead of crashing', () => {
    const gz = gzipSync(images(2))
    const e = corrupt(() => parseIdx(gz.subarray(0, gz.length - 20), 'f.gz'))
    expect(e.code).toBe('DATA_CORRUPT')
    expect(e.message).toMatch(/^f\.gz: gzip data is corrupt or truncated/)
  })
})

describe('readIdxFile', () => {
  it('says which file is missing', () => {
    const e = corrupt(() => readIdxFile('/nonexistent/t10k-images-idx3-ubyte'))
    expect(e.code).toBe('NOT_FOUND')
    expect(e.message).toBe(
      '/nonexistent/t10k-images-idx3-ubyte: cannot read IDX file (no such file)'
    )
  })

  it('refuses a named pipe or a device at once, without blocking on it (issue 12, finding 3)', () => {
    // In a child process with a time limit: the old readFileSync blocked the thread until a
    // writer appeared, which would hang this test runner.
    const dir = tempDir()
    const fifo = path.join(dir, 'images.fifo')
    const made = spawnSync('mkfifo', [fifo])
    const targets = [...(made.status === 0 ? [fifo] : []), '/dev/zero', dir].filter((f) =>
      fs.existsSync(f)
    )
    expect(targets.length).toBeGreaterThan(1)
    for (const target of targets) {
      const r = inChild(`
        try { idx.readIdxFile(${JSON.stringify(target)}); console.log('read') }
        catch (e) { console.log(e.code + ': ' + e.message) }`)
      expect(r.status, `${target} within 10 s`).toBe(0)
      expect(r.stdout).toMatch(
        /^INVALID_INPUT: .* is a (named pipe \(FIFO\)|device|directory); give an IDX file/
      )
    }
  })

  it('inflates a gzip bomb no further than its header promises (issue 12, finding 3)', () => {
    // 10 images in the header, then 400 MB of zeros in 400 gzip members (about 0.5 MB on disk).
    const file = path.join(tempDir(), 'bomb-images.gz')
    const member = gzipSync(new Uint8Array(1 << 20))
    fs.writeFileSync(
      file,
      Buffer.concat([
        gzipSync(encodeIdx([10, 28, 28], new Uint8Array(7840))),
        ...Array(400).fill(member)
      ])
    )
    expect(fs.statSync(file).size).toBeLessThan(2e6)
    const r = inChild(`
      const before = process.memoryUsage().rss
      try { idx.readIdxFile(${JSON.stringify(file)}); console.log('read') }
      catch (e) { console.log(e.code + ': ' + e.message) }
      console.log(Math.round((process.resourceUsage().maxRSS * 1024 - before) / 1e6))`)
    const [message, grewMb] = r.stdout.trim().split('\n')
    expect(message).toMatch(
      /^DATA_CORRUPT: .*inflates to more than its header promises \(7856 bytes\)/
    )
    expect(Number(grewMb)).toBeLessThan(100)
  })

  it('refuses a header that promises more than 1 GiB before reading the data', () => {
    const file = path.join(tempDir(), 'huge-images')
    fs.writeFileSync(file, encodeIdx([2_000_000, 28, 28], new Uint8Array(0)))
    const e = corrupt(() => readIdxFile(file))
    expect(e.code).toBe('DATA_CORRUPT')
    expect(e.message).toMatch(
      /promises 2000000x28x28 = 1568000000 bytes of data; VAE Lab reads IDX files of up to 1073741824 bytes/
    )
  })

  it('reads a file from disk', () => {
    const file = path.join(tempDir(), 'labels.gz')
    fs.writeFileSync(file, gzipSync(labels([7, 0])))
    expect(Array.from(readIdxFile(file).data)).toEqual([7, 0])
  })
})

describe('checkImagesAndLabels', () => {
  const imgs = parseIdx(images(3), 'i')
  it('accepts agreeing images and labels', () => {
    expect(checkImagesAndLabels(imgs, parseIdx(labels([0, 9, 4]), 'l'), 'i', 'l')).toEqual({
      count: 3
    })
  })
  it('rejects count mismatches, labels above 9 and images that are not 28x28', () => {
    expect(
      corrupt(() => checkImagesAndLabels(imgs, parseIdx(labels([0, 1]), 'l'), 'i', 'l')).message
    ).toBe('i has 3 images but l has 2 labels')
    expect(
      corrupt(() => checkImagesAndLabels(imgs, parseIdx(labels([0, 12, 1]), 'l'), 'i', 'l')).message
    ).toMatch(/label 12 at index 1 is not a digit/)
    const small = parseIdx(encodeIdx([1, 14, 14], new Uint8Array(196)), 's')
    expect(
      corrupt(() => checkImagesAndLabels(small, parseIdx(labels([1]), 'l'), 's', 'l')).message
    ).toMatch(/expected images of shape Nx28x28, found 1x14x14/)
  })
})
