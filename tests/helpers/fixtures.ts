import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { encodeIdx } from '../../src-main/core/data/idx'
import type { ImageSet } from '../../src-main/core/data/dataset'
import { mulberry32 } from '../../src-main/core/train/random'

export function tempDir(prefix = 'vae-lab-test-'): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), prefix))
}

/** A small synthetic digit-like set: a bright block whose position depends on the label. */
export function syntheticSet(count: number, seed = 1): ImageSet {
  const rng = mulberry32(seed)
  const images = new Uint8Array(count * 784)
  const labels = new Uint8Array(count)
  for (let i = 0; i < count; i++) {
    const label = Math.floor(rng() * 10)
    labels[i] = label
    const r0 = 2 + (label % 5) * 5
    const c0 = 2 + Math.floor(label / 5) * 12
    for (let r = r0; r < r0 + 8; r++)
      for (let c = c0; c < c0 + 10; c++)
        images[i * 784 + r * 28 + c] = 128 + Math.floor(rng() * 127)
  }
  return { images, labels, count }
}

/** Writes an image set as the four IDX files of a dataset (optionally gzip-compressed). */
export function writeIdxDataset(dir: string, train: ImageSet, test: ImageSet, gzip = false) {
  const write = (name: string, bytes: Uint8Array) => {
    const file = path.join(dir, name + (gzip ? '.gz' : ''))
    fs.writeFileSync(file, gzip ? gzipSync(bytes) : bytes)
    return file
  }
  return {
    trainImages: write('train-images-idx3-ubyte', encodeIdx([train.count, 28, 28], train.images)),
    trainLabels: write('train-labels-idx1-ubyte', encodeIdx([train.count], train.labels)),
    testImages: write('t10k-images-idx3-ubyte', encodeIdx([test.count, 28, 28], test.images)),
    testLabels: write('t10k-labels-idx1-ubyte', encodeIdx([test.count], test.labels))
  }
}
