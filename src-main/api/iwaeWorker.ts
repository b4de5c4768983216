// worker_threads entry for an IWAE evaluation asked for from the UI: the bound takes seconds to
// minutes at large k, and the main process must keep serving the UI and training meanwhile.
import { parentPort, workerData } from 'node:worker_threads'
import type { IwaeRequest } from '../common/contract'
import { errorPayload } from '../common/validate'
import { openRunStore } from '../core/store/openRunStore'
import { evaluateRunIwae } from './iwaeEvaluation'

interface IwaeJob {
  storeUri: string
  request: IwaeRequest
}

async function run(job: IwaeJob) {
  const store = await openRunStore(job.storeUri)
  try {
    return await evaluateRunIwae(store, job.request, {
      slices: 20,
      onProgress: (done, total) => parentPort?.postMessage({ progress: { done, total } })
    })
  } finally {
    await store.close()
  }
}

run(workerData as IwaeJob).then(
  (value) => parentPort?.postMessage({ ok: true, value }),
  (e: unknown) => parentPort?.postMessage({ ok: false, error: errorPayload(e) })
)
