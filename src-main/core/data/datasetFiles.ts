// A dataset's IDX files are read in a worker thread whenever the workbench's event loop would
// wait on them: an import checks four files of up to 1 GiB, and a slow disk (or a file swapped for
// something odd) must not freeze every other request.
import type { DatasetInfo } from '../../common/contract'
import { runWorkerJob } from '../workerJob'

export type DatasetFilesJob =
  | { kind: 'check'; sets: { images: string; labels: string }[] }
  | { kind: 'preview'; images: string; labels: string; count: number }

/** The image count of each set, after every check readImageSet makes. */
export function checkImageSets(sets: { images: string; labels: string }[]): Promise<number[]> {
  return runWorkerJob<number[]>('core/data/datasetFilesWorker.js', {
    kind: 'check',
    sets
  } satisfies DatasetFilesJob)
}

/** The first `count` test images of a dataset (fewer if it has fewer), and their labels. */
export function previewTestImages(
  info: DatasetInfo,
  count: number
): Promise<{ images: Uint8Array; labels: Uint8Array }> {
  return runWorkerJob('core/data/datasetFilesWorker.js', {
    kind: 'preview',
    images: info.files.testImages,
    labels: info.files.testLabels,
    count
  } satisfies DatasetFilesJob)
}
