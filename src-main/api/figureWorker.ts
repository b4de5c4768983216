// worker_threads entry for the workbench's heavy figure work (Compare's bundle, exports), so the
// main process's event loop stays free while projections and renderers run.
import { parentPort, workerData } from 'node:worker_threads'
import { openRunStore } from '../core/store/openRunStore'
import { exportFigures } from './exportService'
import { figureBundle } from './figureBundle'
import type { FigureJob } from './figureJobs'
import { errorPayload } from '../common/validate'
import type { FigureRequest } from '../common/workbenchContract'

async function run(job: FigureJob): Promise<unknown> {
  const store = await openRunStore(job.storeUri)
  try {
    return job.kind === 'bundle'
      ? await figureBundle(store, job.request as FigureRequest)
      : await exportFigures(store, job.request)
  } finally {
    await store.close()
  }
}

run(workerData as FigureJob).then(
  (value) => parentPort?.postMessage({ ok: true, value }),
  (e: unknown) => parentPort?.postMessage({ ok: false, error: errorPayload(e) })
)
