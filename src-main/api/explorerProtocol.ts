// Messages between the service and the latent explorer's long-lived worker (explorerWorker.ts).
import type { ErrorPayload } from '../common/validate'

export type ExplorerRequest =
  | { id: number; op: 'info'; runId: number; key: string }
  | { id: number; op: 'decode'; runId: number; key: string; z: Float32Array; rows: number }
  | { id: number; op: 'forget'; runId: number }

export type ExplorerAnswer =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; error: ErrorPayload }

export interface ExplorerJob {
  /** RunStore.uri: the worker opens the store itself, through the registry. */
  storeUri: string
}
