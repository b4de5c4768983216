// `vae-lab slurm submit` / `slurm status`: a queued sweep trained by a Slurm job array of
// `vae-lab worker`s on the shared PostgreSQL store.
import { Command } from 'commander'
import { slurmScript, type SlurmSubmitInput } from '../../api/slurmService'
import { dbOption, withService, type Io } from './cliSupport'
import { toNumber } from './parseOptions'

interface SubmitFlags {
  sweep?: string
  array: string
  partition?: string
  time?: string
  gpus?: string
  cpus?: string
  lease: string
  idleExit: string
  logs: string
  dryRun?: boolean
  db?: string
}

export function registerSlurmCommands(program: Command, io: Io): void {
  const slurm = program
    .command('slurm')
    .description('train a queued sweep on a Slurm cluster, as a job array of `vae-lab worker`s')
  slurm
    .command('submit')
    .description(
      'submit a job array of N workers for a queued sweep (the store comes from --db or VAE_LAB_DB and reaches the tasks through their environment)'
    )
    .requiredOption('--sweep <name>', 'the queued sweep to train')
    .requiredOption('--array <n>', 'workers: N, or N%M for at most M at once')
    .option('--partition <p>', 'the partition to run in')
    .option('--time <t>', "each task's time limit (minutes, HH:MM:SS, D-HH:MM:SS)")
    .option('--gpus <g>', 'GPUs per task')
    .option('--cpus <c>', 'CPUs per task')
    .option('--lease <s>', "the workers' lease in seconds", '60')
    .option('--idle-exit <s>', 'a worker exits once nothing could be claimed this long', '60')
    .option('--logs <dir>', 'per-task logs (vae-lab-JOB_TASK.out)', 'slurm-logs')
    .option('--dry-run', 'print the sbatch script and submit nothing')
    .addOption(dbOption())
    .action(async (f: SubmitFlags) => {
      const input: SlurmSubmitInput = {
        sweep: f.sweep ?? '',
        array: f.array,
        partition: f.partition,
        time: f.time,
        gpus: f.gpus === undefined ? undefined : toNumber(f.gpus),
        cpus: f.cpus === undefined ? undefined : toNumber(f.cpus),
        leaseSeconds: toNumber(f.lease),
        idleExitSeconds: toNumber(f.idleExit),
        logs: f.logs
      }
      if (f.dryRun) {
        io.stdout.write(slurmScript(input))
        return
      }
      await withService(f.db, async (service) => {
        const { jobId, queued } = await service.slurmSubmit(input)
        io.stderr.write(
          `submitted job ${jobId}: ${f.array} workers for sweep "${input.sweep}" (${queued} runs queued); ` +
            `\`vae-lab slurm status --job ${jobId}\` shows them\n`
        )
        io.stdout.write(`${jobId}\n`)
      })
    })
  slurm
    .command('status')
    .description("VAE Lab's Slurm array tasks beside the runs they hold")
    .option('--job <id>', 'only this job')
    .option('--sweep <name>', "only this sweep's job and runs")
    .option('--json', 'print JSON')
    .addOption(dbOption())
    .action(async (f: { job?: string; sweep?: string; json?: boolean; db?: string }) => {
      await withService(f.db, async (service) => {
        const status = await service.slurmStatus({ job: f.job, sweep: f.sweep })
        if (f.json) {
          io.stdout.write(
            JSON.stringify(
              {
                tasks: status.tasks.map((t) => ({
                  task: t.id,
                  state: t.state,
                  time: t.time,
                  where: t.where,
                  runs: t.runs.map((r) => ({ id: r.id, name: r.name, epochs: r.epochsDone }))
                })),
                elsewhere: status.elsewhere.map((r) => ({ id: r.id, worker: r.worker })),
                runs: status.counts
              },
              null,
              2
            ) + '\n'
          )
          return
        }
        if (status.tasks.length === 0) io.stdout.write('no VAE Lab tasks in squeue\n')
        for (const t of status.tasks) {
          const runs = t.runs.length
            ? t.runs
                .map(
                  (r) =>
                    `run ${r.id} (${r.name ?? `latent ${r.latent}`}, epoch ${r.epochsDone}/${r.epochs})`
                )
                .join(', ')
            : '-'
          io.stdout.write(
            `${t.id.padEnd(12)} ${t.state.padEnd(10)} ${t.time.padStart(8)}  ${t.where.padEnd(12)} ${runs}\n`
          )
        }
        for (const r of status.elsewhere)
          io.stdout.write(`run ${r.id} is running on ${r.worker ?? 'an unknown worker'}\n`)
        const counts = Object.entries(status.counts)
        if (counts.length)
          io.stdout.write(`runs: ${counts.map(([s, n]) => `${n} ${s}`).join(', ')}\n`)
      })
    })
}
