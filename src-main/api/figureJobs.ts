// Main-thread side of the api's short-lived workers (Compare's figures, exports, IWAE): one worker
// per request, answering once with {ok, value|error}, optionally reporting {progress} before.
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

type Answer =
  | { ok: true; value: unknown }
  | { ok: false; error: ErrorPayload }
  | { ok?: undefined; progress: unknown }

/**
 * Runs the compiled worker `script` (relative to out/node) on `data`; aborting `signal`
 * terminates it and rejects (CANCELLED). `onProgress` hears the worker's {progress} messages.
 */
export function runWorkerJob<T>(
  script: string,
  data: unknown,
  o: { signal?: AbortSignal; onProgress?: (p: unknown) => void } = {}
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const worker = new Worker(compiledScript(script), { workerData: data })
    let answered = false
    o.signal?.addEventListener(
      'abort',
      () => {
        if (answered) return
        answered = true
        void worker.terminate()
        reject(new VaeLabError('CANCELLED', 'replaced by a newer request'))
      },
      { once: true }
    )
    worker.on('message', (a: Answer) => {
      if (a.ok === undefined) return o.onProgress?.(a.progress)
      if (answered) return
      answered = true
      void worker.terminate()
      if (a.ok) resolve(a.value as T)
      else reject(errorFromPayload(a.error))
    })
    worker.once('error', (e) => {
      answered = true
      reject(new VaeLabError('INTERNAL', `the worker crashed: ${e.message}`, { cause: e }))
    })
    worker.once('exit', (code) => {
      if (!answered)
        reject(new VaeLabError('INTERNAL', `the worker exited with code ${code} before answering`))
    })
  })
}

/** Runs `job` in a fresh figure worker; aborting `signal` terminates the worker and rejects. */
export function runFigureJob<T>(job: FigureJob, signal?: AbortSignal): Promise<T> {
  return runWorkerJob<T>('api/figureWorker.js', job, { signal })
}
