// What every `vae-lab` command shares: the service on --db, run tables and JSON, run ids,
// live progress with Ctrl-C, and the --db option itself.
import { Option } from 'commander'
import type { ProgressEvent, RunSummary } from '../../common/contract'
import { VaeLabService } from '../../api/service'
import { EXIT_INTERRUPTED, EXIT_UNEXPECTED } from './exitCodes'
import { toNumber } from './parseOptions'
import { ProgressView } from './progressView'
import { defaultDatabase, openRunStore, VaeLabError, type OpenOptions } from '../../api/runtime'

export interface Io {
  stdout: NodeJS.WriteStream
  stderr: NodeJS.WriteStream
  /** Sets the process exit code for outcomes that are not errors (a failed run, Ctrl-C). */
  setExit(code: number): void
}

export const dbOption = () =>
  new Option(
    '--db <uri>',
    `the run store: a SQLite file (PATH or sqlite:PATH) or postgres://USER:PASSWORD@HOST:PORT/DB (default: $VAE_LAB_DB, else ${defaultDatabase()}; or set VAE_LAB_HOME)`
  )

/** Opens the service on `--db` (else VAE_LAB_DB, else the default); the store is closed when `body` settles. */
export async function withService<T>(
  db: string | undefined,
  body: (s: VaeLabService) => Promise<T> | T,
  options?: OpenOptions
): Promise<T> {
  const store = await openRunStore(db, options)
  try {
    const service = new VaeLabService(store)
    await service.ready() // runs of killed processes are marked interrupted before anything else
    return await body(service)
  } finally {
    await store.close()
  }
}

/** The stable JSON shape of a run (documented in README). */
export function runJson(r: RunSummary) {
  return {
    id: r.id,
    name: r.name,
    sweep: r.sweep,
    latent: r.latent,
    status: r.status,
    dataset: r.dataset,
    backend: r.backend,
    epochs: r.epochsDone,
    epochs_planned: r.epochs,
    train_nelbo: r.trainNelbo,
    test_nelbo: r.testNelbo,
    test_rec: r.testRec,
    test_kl: r.testKl,
    img_per_s: r.imgPerSec,
    created_at: r.createdAt,
    worker: r.worker ?? null
  }
}

export function runsTable(rows: RunSummary[]): string {
  const fmt = (v: number | null, d = 2) => (v === null ? '-' : v.toFixed(d))
  const head = [
    'id',
    'name',
    'status',
    'backend',
    'epochs',
    'train -ELBO',
    'test -ELBO',
    'rec',
    'KL',
    'img/s',
    'sweep'
  ]
  const body = rows.map((r) => [
    String(r.id),
    r.name ?? `latent ${r.latent}`,
    r.status,
    r.backend ?? '-',
    `${r.epochsDone}/${r.epochs}`,
    fmt(r.trainNelbo),
    fmt(r.testNelbo),
    fmt(r.testRec),
    fmt(r.testKl),
    r.imgPerSec === null ? '-' : Math.round(r.imgPerSec).toString(),
    r.sweep ?? '-'
  ])
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i].length)))
  return (
    [head, ...body]
      .map((row) =>
        row
          .map((c, i) => c.padEnd(widths[i]))
          .join('  ')
          .trimEnd()
      )
      .join('\n') + '\n'
  )
}

export function parseRunId(s: string): number {
  const id = toNumber(s)
  if (!Number.isInteger(id) || id < 1)
    throw new VaeLabError('INVALID_INPUT', `"${s}" is not a run id (a positive whole number)`, {
      field: 'runId'
    })
  return id
}

export function parseWorkers(s: string | undefined): number | undefined {
  return s === undefined ? undefined : toNumber(s)
}

/**
 * Runs `body` with live progress on stderr and Ctrl-C wired to cancel it: finished epochs are
 * kept, and the command exits 130 (or 1 if a run failed).
 */
export async function withProgress<T extends { status: string }[]>(
  service: VaeLabService,
  io: Io,
  body: (onEvent: (e: ProgressEvent) => void, signal: AbortSignal) => Promise<T>
): Promise<T> {
  const labels = new Map<number, string>()
  const view = new ProgressView(io.stderr, labels)
  const abort = new AbortController()
  const onSigint = () => {
    io.stderr.write(
      '\nvae-lab: cancelling (finished epochs are kept; `vae-lab resume RUN` continues a run)...\n'
    )
    abort.abort()
  }
  process.once('SIGINT', onSigint)
  try {
    // A run's first event waits for its label (one read of the run); later ones keep their order.
    const waiting = new Map<number, ProgressEvent[]>()
    const lookups: Promise<void>[] = []
    const result = await body((e) => {
      if (labels.has(e.runId)) return view.handle(e)
      const queued = waiting.get(e.runId)
      if (queued) return void queued.push(e)
      waiting.set(e.runId, [e])
      lookups.push(
        service.api.getRun(e.runId).then(
          ({ run }) => {
            labels.set(e.runId, `${run.name ?? `latent ${run.latent}`} (run ${e.runId})`)
            for (const pending of waiting.get(e.runId) ?? []) view.handle(pending)
            waiting.delete(e.runId)
          },
          () => {
            labels.set(e.runId, `run ${e.runId}`)
            for (const pending of waiting.get(e.runId) ?? []) view.handle(pending)
            waiting.delete(e.runId)
          }
        )
      )
    }, abort.signal)
    await Promise.all(lookups)
    view.finish()
    if (abort.signal.aborted) io.setExit(EXIT_INTERRUPTED)
    else if (result.some((r) => r.status === 'failed')) io.setExit(EXIT_UNEXPECTED)
    return result
  } finally {
    process.removeListener('SIGINT', onSigint)
  }
}

export function printRuns(
  io: Io,
  runs: RunSummary[],
  json: boolean | undefined,
  heading?: string
): void {
  if (json) io.stdout.write(JSON.stringify(runs.map(runJson), null, 2) + '\n')
  else
    io.stdout.write((heading ? heading + '\n' : '') + (runs.length ? runsTable(runs) : 'no runs\n'))
}
