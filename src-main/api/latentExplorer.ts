// Main-thread side of the latent explorer (issue 17): one long-lived worker per service, started
// at the first request, that keeps the explored runs' decoders loaded. A request names the run's
// state (status and epochs), so the worker reloads the weights when a run trained on.
import { Worker } from 'node:worker_threads'
import { VaeLabError } from '../common/errors'
import { errorFromPayload } from '../common/validate'
import type { DecodedImages, ExplorerInfo } from '../common/workbenchContract'
import { compiledScript } from '../core/compiledScript'
import { packPoints } from '../core/model/decodeLatents'
import type { RunRecord } from '../core/store/runStore'
import type { ExplorerAnswer, ExplorerJob, ExplorerRequest } from './explorerProtocol'

type Pending = { resolve(v: unknown): void; reject(e: Error): void }
type Body = ExplorerRequest extends infer R
  ? R extends { id: number }
    ? Omit<R, 'id'>
    : never
  : never

/** What identifies a run's weights: they change when it trains on or finishes. */
export const weightsKey = (r: Pick<RunRecord, 'status' | 'epochsDone'>) =>
  `${r.status}:${r.epochsDone}`

export class LatentExplorer {
  private worker: Worker | null = null
  private next = 0
  private readonly pending = new Map<number, Pending>()

  constructor(private readonly storeUri: string) {}

  info(run: RunRecord): Promise<ExplorerInfo> {
    return this.ask({ op: 'info', runId: run.id, key: weightsKey(run) }) as Promise<ExplorerInfo>
  }

  decode(run: RunRecord, points: readonly (readonly number[])[]): Promise<DecodedImages> {
    if (points.some((p) => p.length !== run.latent))
      throw new VaeLabError(
        'INVALID_INPUT',
        `run ${run.id}'s latent space has ${run.latent} dimensions: give ${run.latent} values per point`,
        { field: 'points' }
      )
    const z = packPoints(points, run.latent)
    return this.ask({ op: 'decode', runId: run.id, key: weightsKey(run), z, rows: points.length }, [
      z.buffer as ArrayBuffer
    ]) as Promise<DecodedImages>
  }

  /** Drops a run's decoder (deleted runs). */
  forget(runId: number): void {
    if (this.worker) void this.ask({ op: 'forget', runId }).catch(() => {})
  }

  async close(): Promise<void> {
    const w = this.worker
    this.worker = null
    if (w) await w.terminate()
  }

  private start(): Worker {
    const w = new Worker(compiledScript('api/explorerWorker.js'), {
      workerData: { storeUri: this.storeUri } satisfies ExplorerJob
    })
    // It must not keep a CLI or a finished test alive.
    w.unref()
    w.on('message', (a: ExplorerAnswer) => {
      const p = this.pending.get(a.id)
      if (!p) return
      this.pending.delete(a.id)
      if (a.ok) p.resolve(a.value)
      else p.reject(errorFromPayload(a.error))
    })
    const fail = (why: string) => {
      if (this.worker === w) this.worker = null
      for (const p of this.pending.values()) p.reject(new VaeLabError('INTERNAL', why))
      this.pending.clear()
    }
    w.on('error', (e) => fail(`the latent explorer's worker crashed: ${e.message}`))
    w.on('exit', (code) => fail(`the latent explorer's worker exited with code ${code}`))
    return w
  }

  private ask(body: Body, transfer: ArrayBuffer[] = []): Promise<unknown> {
    this.worker ??= this.start()
    const id = ++this.next
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject })
      this.worker!.postMessage({ ...body, id }, transfer)
    })
  }
}
