// A sweep as a Slurm job array (`vae-lab slurm submit` / `slurm status`): N array tasks, each one
// `vae-lab worker` on the shared PostgreSQL store. The script never holds the store's URI: the
// tasks read VAE_LAB_DB from the environment sbatch passes on, so no password is written to disk
// or shown by `scontrol show job`.
import { spawn } from 'node:child_process'
import { VaeLabError } from '../../common/errors'

export interface SlurmArray {
  /** Array tasks (workers). */
  tasks: number
  /** At most this many at once (Slurm's `%M`), or all. */
  concurrent?: number
}

/** `N` or `N%M`: N workers, at most M at once. */
export function parseArraySpec(text: string): SlurmArray {
  const m = /^\s*(\d+)\s*(?:%\s*(\d+))?\s*$/.exec(text)
  const tasks = m ? Number(m[1]) : NaN
  const concurrent = m?.[2] !== undefined ? Number(m[2]) : undefined
  if (!m || tasks < 1 || tasks > 10000 || (concurrent !== undefined && concurrent < 1))
    throw new VaeLabError(
      'INVALID_INPUT',
      `"${text}" is not an array size; give N workers (1-10000), or N%M for at most M at once`,
      { field: 'array' }
    )
  return { tasks, concurrent }
}

export interface SbatchOptions {
  sweep: string
  array: SlurmArray
  partition?: string
  /** Slurm's time limit, as sbatch takes it (minutes, HH:MM:SS, D-HH:MM...). */
  time?: string
  gpus?: number
  cpus?: number
  /** Folder for the per-task logs (absolute). */
  logs: string
  /** The worker's command line before its options: [node, /path/to/bin/vae-lab.js]. */
  command: string[]
  leaseSeconds: number
  idleExitSeconds: number
  /** Seconds before the time limit at which Slurm warns the worker with USR1. */
  warnSeconds: number
}

/** Single-quotes a word for bash. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`
}

/** The job's name in squeue, what `slurm status` looks for (sbatch directives take no quotes). */
export const jobName = (sweep: string) => `vae-lab:${sweep.replace(/[^A-Za-z0-9_.:-]/g, '_')}`

/** The batch script: an array of `vae-lab worker`s on the sweep, signals forwarded to them. */
export function sbatchScript(o: SbatchOptions): string {
  const { tasks, concurrent } = o.array
  const directive = (flag: string, value?: string | number) =>
    value === undefined ? [] : [`#SBATCH ${flag}=${value}`]
  const worker = [
    ...o.command,
    'worker',
    '--sweep',
    o.sweep,
    '--lease',
    String(o.leaseSeconds),
    '--idle-exit',
    String(o.idleExitSeconds)
  ]
    .map(shellQuote)
    .join(' ')
  return [
    '#!/bin/bash',
    `# VAE Lab sweep "${o.sweep}": ${tasks} workers${concurrent ? `, at most ${concurrent} at once` : ''}.`,
    '# Written by `vae-lab slurm submit`. The store comes from VAE_LAB_DB in the environment sbatch',
    '# passes on (--export=ALL); it is never written here. Give its password in PGPASSWORD or',
    '# ~/.pgpass, or in VAE_LAB_DB itself (the environment is not shown by scontrol).',
    `#SBATCH --job-name=${jobName(o.sweep)}`,
    `#SBATCH --array=0-${tasks - 1}${concurrent ? `%${concurrent}` : ''}`,
    '#SBATCH --ntasks=1',
    ...directive('--cpus-per-task', o.cpus),
    ...directive('--partition', o.partition),
    ...directive('--time', o.time),
    ...directive('--gpus', o.gpus),
    // USR1 to this script 120 s before the time limit: the worker stores its epoch (if it ends
    // soon), gives its run back with its progress and exits 0; another task continues the run.
    `#SBATCH --signal=B:USR1@${o.warnSeconds}`,
    '#SBATCH --requeue',
    '#SBATCH --open-mode=append',
    '#SBATCH --export=ALL',
    `#SBATCH --output=${shellQuote(`${o.logs}/vae-lab-%A_%a.out`)}`,
    '',
    ': "${VAE_LAB_DB:?set VAE_LAB_DB to the store, e.g. postgres://USER@HOST:5432/DB}"',
    '',
    '# The worker runs as a job step. Slurm sends USR1 to this script only (B:), which passes it to',
    '# srun and so to the worker; TERM (scancel, preemption) reaches the step from Slurm itself, and',
    '# a second TERM from here would make srun kill the step at once.',
    `srun --ntasks=1 ${worker} &`,
    'worker=$!',
    'trap \'kill -s USR1 "$worker" 2>/dev/null\' USR1',
    "trap '' TERM",
    'while true; do',
    '  wait "$worker"',
    '  status=$?',
    '  kill -0 "$worker" 2>/dev/null || break',
    'done',
    'exit "$status"',
    ''
  ].join('\n')
}

export interface CommandResult {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs a Slurm command; a missing one is BACKEND_UNAVAILABLE with what to install. */
export function slurmCommand(
  cmd: string,
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv } = {}
): Promise<CommandResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { env: options.env ?? process.env })
    let stdout = ''
    let stderr = ''
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()))
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()))
    child.on('error', (e: NodeJS.ErrnoException) =>
      reject(
        e.code === 'ENOENT'
          ? new VaeLabError(
              'BACKEND_UNAVAILABLE',
              `${cmd} is not installed here: run this on a Slurm login node (or install slurm-client)`
            )
          : e
      )
    )
    child.on('close', (code) => resolve({ code, stdout, stderr }))
    if (options.input !== undefined) child.stdin.end(options.input)
    else child.stdin.end()
  })
}

/** Submits the script (on stdin, so nothing is left on disk); returns the job id. */
export async function submitScript(script: string, env: NodeJS.ProcessEnv): Promise<string> {
  const r = await slurmCommand('sbatch', ['--parsable'], { input: script, env })
  const id = r.stdout.trim().split(';')[0]
  if (r.code !== 0 || !/^\d+$/.test(id))
    throw new VaeLabError(
      'INVALID_INPUT',
      `sbatch refused the job: ${(r.stderr || r.stdout).trim() || `exit ${r.code}`}`
    )
  return id
}

export interface SlurmTask {
  /** "JOB_TASK", or "JOB_[2-3]" for tasks still pending as one line. */
  id: string
  state: string
  time: string
  /** The node it runs on, or why it waits. */
  where: string
  name: string
}

/** The array tasks of VAE Lab jobs in squeue (of one job, or named for one sweep). */
export async function listTasks(filter: { job?: string; sweep?: string }): Promise<SlurmTask[]> {
  const args = ['-h', '-r', '-o', '%i|%T|%M|%R|%j']
  if (filter.job) args.push('-j', filter.job)
  else if (filter.sweep !== undefined) args.push('--name', jobName(filter.sweep))
  const r = await slurmCommand('squeue', args)
  if (r.code !== 0)
    throw new VaeLabError('INVALID_INPUT', `squeue failed: ${r.stderr.trim() || `exit ${r.code}`}`)
  return r.stdout
    .split('\n')
    .filter((line) => line.trim())
    .map((line) => {
      const [id, state, time, where, ...name] = line.split('|')
      return { id, state, time, where, name: name.join('|') }
    })
    .filter((t) => filter.job || filter.sweep !== undefined || t.name.startsWith('vae-lab:'))
}

/** The Slurm task in a run's worker label ("host:pid slurm 12_3" → "12_3"), or null. */
export function taskOfWorker(worker: string | null | undefined): string | null {
  return /\bslurm (\S+)/.exec(worker ?? '')?.[1] ?? null
}
