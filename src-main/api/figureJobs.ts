// Main-thread side of the figure worker: one short-lived worker per request.
import { Worker } from 'node:worker_threads'
import { compiledScript } from '../core/compiledScript'
import { VaeLabError } from '../common/errors'
import { errorFromPayload, type ErrorPayload } from '../common/validate'

export interface FigureJob {
  kind: 'bundle' | 'export'
  /** RunStore.uri: the worker opens the store itself, through the registry. */
  storeUri: string
  request: unknown
}

type Answer = { ok: true; value: unknown } | { ok: false; error: ErrorPayload }

/** Runs `job` in a fresh worker; aborting `signal` terminates the worker and rejects (CANCELLED). */
export function runFigureJob<T>(job: FigureJob, signal?: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const worker = new Worker(compiledScript('api/figureWorker.js'), { workerData: job })
    let answered = false
    signal?.addEventListener(
      'abort',
      () => {
        if (answered) return
        answered = true
        void worker.terminate()
        reject(new VaeLabError('CANCELLED', 'replaced by a newer request'))
      },
      { once: true }
    )
    worker.once('message', (a: Answer) => {
      answered = true
      void worker.terminate()
      if (a.ok) resolve(a.value as T)
      else reject(errorFromPayload(a.error))
    })
    worker.once('error', (e) =>
      reject(new VaeLabError('INTERNAL', `the figure worker crashed: ${e.message}`, { cause: e }))
    )
    worker.once('exit', (code) => {
      if (!answered)
        reject(
          new VaeLabError('INTERNAL', `the figure worker exited with code ${code} before answering`)
        )
    })
  })
}
