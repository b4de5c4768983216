// A dataset decoded once per process for every training worker (issue 14): its bytes live on
// SharedArrayBuffers, which postMessage shares instead of copying, so each worker of the pool reads
// the same memory (MNIST is 55 MB; a copy per worker used to cost its decode time and its RSS).
import fs from 'node:fs/promises'
import type { DatasetInfo } from '../../common/contract'
import { loadDataset, type Dataset, type ImageSet } from './dataset'

function shared(set: ImageSet): ImageSet {
  const images = new Uint8Array(new SharedArrayBuffer(set.images.byteLength))
  images.set(set.images)
  const labels = new Uint8Array(new SharedArrayBuffer(set.labels.byteLength))
  labels.set(set.labels)
  return { images, labels, count: set.count }
}

/** Reads and checks a dataset's files (as loadDataset) into shared memory. */
export function loadSharedDataset(info: DatasetInfo): Dataset {
  const data = loadDataset(info)
  return { name: data.name, train: shared(data.train), test: shared(data.test) }
}

/** Whether every array of the dataset is shared memory (the pool's contract with its workers). */
export function isSharedDataset(data: Dataset): boolean {
  return [data.train, data.test].every(
    (s) =>
      s.images.buffer instanceof SharedArrayBuffer && s.labels.buffer instanceof SharedArrayBuffer
  )
}

/**
 * What identifies a dataset's decoded bytes: its files, their sizes and modification times, so a
 * dataset imported again under the same name, or a file replaced in place, is read afresh.
 */
export async function datasetKey(info: DatasetInfo): Promise<string> {
  const files = [
    info.files.trainImages,
    info.files.trainLabels,
    info.files.testImages,
    info.files.testLabels
  ]
  const stamps = await Promise.all(
    files.map(async (f) => {
      try {
        const s = await fs.stat(f)
        return `${f}:${s.size}:${s.mtimeMs}`
      } catch {
        return `${f}:missing` // the worker's read reports what is wrong with it
      }
    })
  )
  return `${info.name}\n${stamps.join('\n')}`
}
