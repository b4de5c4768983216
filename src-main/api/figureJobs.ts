// Main-thread side of the api's short-lived workers (Compare's figures, exports, IWAE): one worker
// per request, answering once with {ok, value|error}, optionally reporting {progress} before.
import { runWorkerJob } from '../core/workerJob'

export { runWorkerJob }

export interface FigureJob {
  kind: 'bundle' | 'export'
  /** RunStore.uri: the worker opens the store itself, through the registry. */
  storeUri: string
  request: unknown
}

/** Runs `job` in a fresh figure worker; aborting `signal` terminates the worker and rejects. */
export function runFigureJob<T>(job: FigureJob, signal?: AbortSignal): Promise<T> {
  return runWorkerJob<T>('api/figureWorker.js', job, { signal })
}
