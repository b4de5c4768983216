// worker_threads entry for datasetFiles.ts: reads and checks IDX files off the main thread.
import { parentPort, workerData } from 'node:worker_threads'
import { errorPayload } from '../../common/validate'
import { IMAGE_SIZE, readImageSet } from './dataset'
import type { DatasetFilesJob } from './datasetFiles'

function run(job: DatasetFilesJob): unknown {
  if (job.kind === 'check') return job.sets.map((s) => readImageSet(s.images, s.labels).count)
  const set = readImageSet(job.images, job.labels)
  const n = Math.min(job.count, set.count)
  return { images: set.images.slice(0, n * IMAGE_SIZE), labels: set.labels.slice(0, n) }
}

try {
  parentPort?.postMessage({ ok: true, value: run(workerData as DatasetFilesJob) })
} catch (e) {
  parentPort?.postMessage({ ok: false, error: errorPayload(e) })
}
