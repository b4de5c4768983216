// One short-lived worker thread per job, for work that must not block the main event loop (Compare's
// figures, exports, IWAE, reading a dataset's files): one worker per request, answering once with
// {ok, value|error}, optionally reporting {progress} before. In core, so that core/data can use it.
import { Worker } from 'node:worker_threads'
import { VaeLabError } from '../common/errors'
import { errorFromPayload, type ErrorPayload } from '../common/validate'
import { compiledScript } from './compiledScript'

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
