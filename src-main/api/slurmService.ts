// `vae-lab slurm submit` and `slurm status`: a queued sweep as a Slurm job array of workers on the
// shared store, and the array's tasks beside the runs they hold.
import fs from 'node:fs'
import path from 'node:path'
import type { RunSummary } from '../common/contract'
import { VaeLabError } from '../common/errors'
import {
  listTasks,
  parseArraySpec,
  sbatchScript,
  submitScript,
  taskOfWorker,
  type SlurmTask
} from '../core/queue/slurmJob'
import type { RunStore } from '../core/store/runStore'
import { repoRoot } from '../core/version'

export interface SlurmSubmitInput {
  sweep: string
  /** `N` or `N%M`. */
  array: string
  partition?: string
  time?: string
  gpus?: number
  cpus?: number
  leaseSeconds?: number
  idleExitSeconds?: number
  /** Per-task logs go here (default ./slurm-logs). */
  logs?: string
}

const positive = (v: number | undefined, what: string, flag: string, min = 1) => {
  if (v !== undefined && !(Number.isFinite(v) && v >= min))
    throw new VaeLabError('INVALID_INPUT', `${what} must be a number of at least ${min}`, {
      field: flag
    })
  return v
}

/** The sbatch script for `input` (nothing is opened or submitted). */
export function slurmScript(input: SlurmSubmitInput): string {
  if (!/^\S.{0,99}$/.test(input.sweep))
    throw new VaeLabError('INVALID_INPUT', 'give the sweep to train with --sweep NAME', {
      field: 'sweep'
    })
  const gpus = positive(input.gpus, 'gpus', 'gpus')
  const cpus = positive(input.cpus, 'cpus', 'cpus')
  if (
    (gpus !== undefined && !Number.isInteger(gpus)) ||
    (cpus !== undefined && !Number.isInteger(cpus))
  )
    throw new VaeLabError('INVALID_INPUT', '--gpus and --cpus take whole numbers')
  const lease = positive(input.leaseSeconds ?? 60, 'the lease', 'lease') as number
  const idle = positive(input.idleExitSeconds ?? 60, 'idle-exit', 'idleExit', 0) as number
  if (input.time !== undefined && !/^[0-9:-]+$/.test(input.time))
    throw new VaeLabError(
      'INVALID_INPUT',
      `"${input.time}" is not a Slurm time limit (minutes, HH:MM:SS or D-HH:MM:SS)`,
      { field: 'time' }
    )
  if (input.partition !== undefined && !/^[A-Za-z0-9_.,-]+$/.test(input.partition))
    throw new VaeLabError('INVALID_INPUT', `"${input.partition}" is not a partition name`, {
      field: 'partition'
    })
  return sbatchScript({
    sweep: input.sweep,
    array: parseArraySpec(input.array),
    partition: input.partition,
    time: input.time,
    gpus,
    cpus,
    logs: path.resolve(input.logs ?? 'slurm-logs'),
    command: [process.execPath, path.join(repoRoot(), 'bin', 'vae-lab.js')],
    leaseSeconds: lease,
    idleExitSeconds: idle,
    warnSeconds: 120
  })
}

/**
 * Submits the sweep's array: the store is open (so its schema is migrated before any task starts)
 * and must be a database server, and the sweep must have runs waiting. The tasks get the store's
 * URI in their environment, not in the script.
 */
export async function submitSlurm(
  store: RunStore,
  input: SlurmSubmitInput
): Promise<{ jobId: string; script: string; queued: number }> {
  const script = slurmScript(input)
  if (store.backend !== 'postgres')
    throw new VaeLabError(
      'INVALID_INPUT',
      `${store.location} is a SQLite file: Slurm tasks on other nodes need a database server. ` +
        'Give --db postgres://USER@HOST:PORT/DB (or VAE_LAB_DB); never put SQLite on a shared filesystem'
    )
  const runs = await store.listRuns({ sweep: input.sweep })
  if (runs.length === 0)
    throw new VaeLabError(
      'NOT_FOUND',
      `there is no sweep "${input.sweep}" in ${store.location}; queue it first (vae-lab train ... --sweep NAME --detach)`,
      { field: 'sweep' }
    )
  const queued = runs.filter((r) => r.status === 'queued').length
  if (queued === 0)
    throw new VaeLabError(
      'INVALID_INPUT',
      `sweep "${input.sweep}" has no queued runs (${summarise(runs)}); nothing to submit`
    )
  fs.mkdirSync(path.resolve(input.logs ?? 'slurm-logs'), { recursive: true })
  const jobId = await submitScript(script, { ...process.env, VAE_LAB_DB: store.uri })
  return { jobId, script, queued }
}

function summarise(runs: RunSummary[]): string {
  const counts = new Map<string, number>()
  for (const r of runs) counts.set(r.status, (counts.get(r.status) ?? 0) + 1)
  return [...counts].map(([s, n]) => `${n} ${s}`).join(', ')
}

export interface SlurmStatus {
  tasks: (SlurmTask & { runs: RunSummary[] })[]
  /** Runs held by tasks no longer in squeue, or by workers outside Slurm. */
  elsewhere: RunSummary[]
  /** The sweep's runs by status, when a sweep was named. */
  counts: Record<string, number>
}

/** The array's tasks (squeue) beside the runs they hold (the store's worker labels). */
export async function slurmStatus(
  store: RunStore,
  filter: { job?: string; sweep?: string }
): Promise<SlurmStatus> {
  if (filter.job !== undefined && !/^\d+$/.test(filter.job))
    throw new VaeLabError('INVALID_INPUT', `"${filter.job}" is not a Slurm job id`, {
      field: 'job'
    })
  const tasks = await listTasks(filter)
  const runs = await store.listRuns(filter.sweep !== undefined ? { sweep: filter.sweep } : {})
  const running = runs.filter((r) => r.status === 'running')
  const held = new Set<number>()
  const withRuns = tasks.map((t) => {
    const mine = running.filter((r) => taskOfWorker(r.worker) === t.id)
    mine.forEach((r) => held.add(r.id))
    return { ...t, runs: mine }
  })
  const counts: Record<string, number> = {}
  for (const r of runs) counts[r.status] = (counts[r.status] ?? 0) + 1
  return { tasks: withRuns, elsewhere: running.filter((r) => !held.has(r.id)), counts }
}
