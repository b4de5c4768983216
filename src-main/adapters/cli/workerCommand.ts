// `vae-lab worker`: a long-lived worker that claims queued runs under a lease until the queue is
// empty. The whole contract of a cluster task (Slurm array task, Kubernetes Indexed Job pod).
// SIGTERM or SIGUSR1 (Slurm's warning before a time limit, a preemption, a pod's termination):
// the run in training stores its epoch if that ends soon, goes back to the queue with its
// progress, and the worker exits 0 within a bound. SIGINT does the same and exits 130.
import { Command } from 'commander'
import type { WorkerEvent } from '../../api/service'
import { dbOption, withService, type Io } from './cliSupport'
import { EXIT_INTERRUPTED } from './exitCodes'
import { toNumber } from './parseOptions'
import { ProgressView } from './progressView'
import { VaeLabError } from '../../api/runtime'

interface WorkerFlags {
  db?: string
  lease: string
  maxRuns?: string
  idleExit: string
  sweep?: string
  retries: string
  finishEpochWithin: string
  json?: boolean
}

/** A second signal within this long is the same stop (Slurm signals the step and srun alike). */
const SAME_SIGNAL_MS = 3000
/** After a stop, the worker exits by `finish-epoch-within` plus this, whatever is left. */
const EXIT_GRACE_S = 15

function number(text: string, flag: string, min: number, integer = false): number {
  const v = toNumber(text)
  if (!Number.isFinite(v) || v < min || (integer && !Number.isInteger(v)))
    throw new VaeLabError(
      'INVALID_INPUT',
      `must be ${integer ? 'a whole number' : 'a number'} of at least ${min}`,
      { field: flag }
    )
  return v
}

export function registerWorkerCommand(program: Command, io: Io): void {
  program
    .command('worker')
    .description(
      'claim and train queued runs under a lease until the queue is empty: the command a Slurm array task or a Kubernetes pod runs'
    )
    .option('--lease <s>', 'lease length in seconds; renewed every third of it', '60')
    .option('--max-runs <n>', 'stop after claiming this many runs')
    .option(
      '--idle-exit <s>',
      'exit once nothing could be claimed for this many seconds (0: when the queue is empty)',
      '0'
    )
    .option('--sweep <name>', 'only runs of this sweep')
    .option('--retries <n>', 'a run whose worker was lost more often than this fails', '3')
    .option(
      '--finish-epoch-within <s>',
      'on SIGTERM/SIGUSR1, let the epoch in training finish if it ends within this many seconds',
      '20'
    )
    .option('--json', 'print a JSON summary of the runs it trained on exit')
    .addOption(dbOption())
    .action(async (f: WorkerFlags) => {
      const o = {
        leaseSeconds: number(f.lease, 'lease', 1),
        maxRuns: f.maxRuns === undefined ? undefined : number(f.maxRuns, 'maxRuns', 1, true),
        idleExitSeconds: number(f.idleExit, 'idleExit', 0),
        maxRetries: number(f.retries, 'retries', 0, true),
        finishEpochWithin: number(f.finishEpochWithin, 'finishEpochWithin', 0)
      }
      const stop = new AbortController()
      const urgent = new AbortController()
      let firstSignal = 0
      let interrupted = false
      const log = (line: string) => io.stderr.write(`${new Date().toISOString()} ${line}\n`)
      const onSignal = (signal: NodeJS.Signals) => {
        if (signal === 'SIGINT') interrupted = true
        if (!stop.signal.aborted) {
          firstSignal = Date.now()
          log(
            `${signal}: giving the run in training back to the queue (its epoch is kept if it ends within ${o.finishEpochWithin} s), then exiting`
          )
          stop.abort()
          // The epoch took longer than it said: stop it now, and exit whatever is left.
          setTimeout(() => urgent.abort(), o.finishEpochWithin * 1000).unref()
          setTimeout(
            () => {
              log(
                'could not give the run back in time; its lease runs out and another worker takes it'
              )
              process.exit(interrupted ? EXIT_INTERRUPTED : 0)
            },
            (o.finishEpochWithin + EXIT_GRACE_S) * 1000
          ).unref()
        } else if (Date.now() - firstSignal > SAME_SIGNAL_MS && !urgent.signal.aborted) {
          log(`${signal} again: stopping the run now`)
          urgent.abort()
        }
      }
      const signals: NodeJS.Signals[] = ['SIGTERM', 'SIGUSR1', 'SIGINT']
      for (const s of signals) process.on(s, onSignal)
      try {
        await withService(
          f.db,
          async (service) => {
            const labels = new Map<number, string>()
            const view = new ProgressView(io.stderr, labels)
            const onEvent = (e: WorkerEvent) => {
              switch (e.type) {
                case 'claimed':
                  return log(
                    `claimed run ${e.runId} (attempt ${e.attempt}${e.epochsDone ? `, after epoch ${e.epochsDone}` : ''})`
                  )
                case 'recovered':
                  return log(
                    `runs of lost workers: requeued ${e.requeued.join(', ') || '-'}; interrupted ${e.interrupted.join(', ') || '-'}; failed ${e.failed.join(', ') || '-'}`
                  )
                case 'store-error':
                  return log(`the store is unreachable, trying again: ${e.message}`)
                case 'status':
                  return log(`run ${e.runId}: ${e.status}${e.message ? ` (${e.message})` : ''}`)
                case 'batch':
                  return view.handle(e)
                case 'epoch':
                  return view.handle(e)
              }
            }
            log(
              `worker on ${service.storeLocation}: lease ${o.leaseSeconds} s${f.sweep ? `, sweep "${f.sweep}"` : ''}`
            )
            const report = await service.work(
              { ...o, sweep: f.sweep, signal: stop.signal, urgent: urgent.signal },
              onEvent
            )
            view.finish()
            log(
              `exiting (${report.reason}): ${report.runs.length} run${report.runs.length === 1 ? '' : 's'} claimed`
            )
            if (f.json) io.stdout.write(JSON.stringify(report, null, 2) + '\n')
          },
          // A worker rides out a server restart: each call reconnects for up to a lease.
          { postgres: { reconnectMs: Math.max(30_000, o.leaseSeconds * 1000) } }
        )
      } finally {
        for (const s of signals) process.removeListener(s, onSignal)
      }
      if (interrupted) io.setExit(EXIT_INTERRUPTED)
    })
}
