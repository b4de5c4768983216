// runs list / show / delete / tag / note / rename: reading and curating the run database.
import { createInterface } from 'node:readline/promises'
import { Command, Option } from 'commander'
import {
  RUN_STATUSES,
  type FinalEvaluation,
  type IwaeReport,
  type RunStatus
} from '../../common/contract'
import {
  dbOption,
  parseRunId,
  printRuns,
  runJson,
  runsTable,
  withService,
  type Io
} from './cliSupport'
import { VaeLabError } from '../../api/runtime'

/** One readable line per stored evaluation; JSON for kinds this version does not know. */
function describeEvaluation(kind: string, result: unknown): string {
  const r = result as Partial<FinalEvaluation & IwaeReport>
  if (kind === 'final' && r.test && r.testPerDigit && r.activeUnits) {
    const digits = r.testPerDigit.map((p, d) => `${d}: ${p ? p.nelbo.toFixed(1) : '-'}`).join('  ')
    return (
      `final test -ELBO ${r.test.nelbo.toFixed(2)} (rec ${r.test.rec.toFixed(2)}, KL ${r.test.kl.toFixed(2)}); ` +
      `active units ${r.activeUnits.active}/${r.activeUnits.variances.length}\nper digit  ${digits}` +
      (r.iwae
        ? `\nIWAE bound (k=${r.iwae.k}, ${r.iwae.images} test images): -log p(x) <= ${r.iwae.nll.toFixed(2)} nats`
        : '')
    )
  }
  if (kind.startsWith('iwae/') && typeof r.nll === 'number')
    return `IWAE bound (k=${r.k}, ${r.images} test images): -log p(x) <= ${r.nll.toFixed(2)} nats`
  return `${kind}: ${JSON.stringify(result)}`
}

async function confirm(io: Io, question: string): Promise<boolean> {
  const rl = createInterface({ input: process.stdin, output: io.stderr })
  try {
    return /^y(es)?$/i.test((await rl.question(question)).trim())
  } finally {
    rl.close()
  }
}

export function registerRunsCommands(program: Command, io: Io): void {
  const runs = program
    .command('runs')
    .description('runs in the database: list, inspect, tag, annotate, rename, delete')
  runs
    .command('list')
    .description('list runs')
    .addOption(new Option('--status <status>', 'only runs with this status').choices(RUN_STATUSES))
    .option('--sweep <name>', 'only runs of this sweep')
    .option('--tag <tag>', 'only runs with this tag')
    .option('--json', 'print JSON')
    .addOption(dbOption())
    .action(
      async (f: {
        status?: RunStatus
        sweep?: string
        tag?: string
        json?: boolean
        db?: string
      }) => {
        await withService(f.db, async (service) => {
          const list = await service.api.listRuns({ status: f.status, sweep: f.sweep, tag: f.tag })
          if (!f.json && list.length === 0)
            io.stdout.write('no runs yet: try `vae-lab train --preset paper --epochs 1`\n')
          else printRuns(io, list, f.json)
        })
      }
    )
  for (const direction of ['pull', 'push'] as const) {
    const other = direction === 'pull' ? '--from <uri>' : '--to <uri>'
    runs
      .command(direction)
      .description(
        direction === 'pull'
          ? "copy finished runs from another store (a cluster's PostgreSQL) into --db, with metrics, checkpoints and figure data; pulling twice adds nothing"
          : 'copy finished runs from --db into another store; pushing twice adds nothing'
      )
      .requiredOption(
        other,
        direction === 'pull' ? 'the store to copy from' : 'the store to copy to'
      )
      .option('--sweep <name>', 'only runs of this sweep')
      .option('--json', 'print what was copied as JSON')
      .addOption(dbOption())
      .action(
        async (f: { from?: string; to?: string; sweep?: string; json?: boolean; db?: string }) => {
          await withService(f.db, async (service) => {
            const filter = f.sweep !== undefined ? { sweep: f.sweep } : {}
            const report =
              direction === 'pull'
                ? await service.pullRuns(f.from as string, filter)
                : await service.pushRuns(f.to as string, filter)
            if (f.json) {
              io.stdout.write(JSON.stringify(report, null, 2) + '\n')
              return
            }
            const n = (ids: unknown[]) => ids.length
            io.stdout.write(
              `${n(report.added)} added, ${n(report.updated)} updated, ${n(report.unchanged)} already there` +
                (report.kept.length ? `, ${n(report.kept)} kept (they moved on here)` : '') +
                '\n'
            )
            if (report.skipped.length)
              io.stdout.write(
                `${report.skipped.length} not copied yet, still ${[...new Set(report.skipped.map((r) => r.status))].join(' or ')}: ` +
                  `${report.skipped.map((r) => r.id).join(', ')}; ${direction} again when they finish\n`
              )
          })
        }
      )
  }
  runs
    .command('show')
    .description('config, backend, status, per-epoch metrics and evaluations of a run')
    .argument('<run>', 'run id')
    .option('--json', 'print JSON')
    .addOption(dbOption())
    .action(async (run: string, f: { json?: boolean; db?: string }) => {
      const id = parseRunId(run)
      await withService(f.db, async (service) => {
        const d = await service.api.getRun(id)
        if (f.json) {
          const r = d.run
          const extra = {
            config: r.config,
            backend_detail: r.backendDetail,
            code_version: r.codeVersion,
            message: r.message,
            note: r.note,
            tags: r.tags,
            priority: r.priority,
            resumes: r.resumes,
            attempts: await service.attempts(id)
          }
          const figures = await service.figureSummary(id)
          io.stdout.write(
            JSON.stringify(
              {
                ...runJson(r),
                ...extra,
                protocol: d.protocol,
                metrics: d.metrics,
                evaluations: d.evaluations,
                kl_per_dim: figures.klPerDim,
                figure_epochs: figures.figureEpochs
              },
              null,
              2
            ) + '\n'
          )
          return
        }
        io.stdout.write(runsTable([d.run]))
        io.stdout.write(`protocol: ${d.protocol}\n`)
        io.stdout.write(
          `backend: ${d.run.backendDetail ?? '-'}\ncode: ${d.run.codeVersion}\nconfig: ${JSON.stringify(d.run.config)}\n`
        )
        if (d.run.tags.length) io.stdout.write(`tags: ${d.run.tags.join(', ')}\n`)
        if (d.run.note) io.stdout.write(`note: ${d.run.note}\n`)
        if (d.run.message) io.stdout.write(`message: ${d.run.message}\n`)
        if (d.run.worker) io.stdout.write(`worker: ${d.run.worker}\n`)
        for (const a of await service.attempts(id)) {
          io.stdout.write(
            `attempt ${a.attempt}: ${a.owner}${a.worker ? ` (${a.worker})` : ''}, epochs ${a.fromEpoch + 1}-${a.toEpoch}, ${a.outcome}` +
              `${a.message ? ` (${a.message})` : ''}\n`
          )
        }
        for (const m of d.metrics) {
          io.stdout.write(
            `epoch ${String(m.epoch).padStart(3)}  train ${m.train.nelbo.toFixed(2)}  test ${m.test.nelbo.toFixed(2)} ` +
              `(rec ${m.test.rec.toFixed(2)}, KL ${m.test.kl.toFixed(2)})  ${Math.round(m.imgPerSec)} img/s\n`
          )
        }
        for (const [kind, result] of Object.entries(d.evaluations))
          io.stdout.write(describeEvaluation(kind, result) + '\n')
        const figures = await service.figureSummary(id)
        if (figures.klPerDim)
          io.stdout.write(
            `KL per latent dim (nats): ${figures.klPerDim.map((v) => v.toFixed(2)).join(' ')}\n`
          )
        if (figures.figureEpochs.length)
          io.stdout.write(
            `figure data stored at epochs ${figures.figureEpochs[0]}-${figures.figureEpochs.at(-1)} (export --epoch N, --animate)\n`
          )
        else if (d.run.epochsDone > 0)
          io.stdout.write(
            'figure data: the final figures only (stored before VAE Lab kept them at every epoch)\n'
          )
      })
    })
  runs
    .command('delete')
    .description('delete runs and everything stored with them (asks first unless --yes)')
    .argument('<runs...>', 'run ids')
    .option('--yes', 'do not ask')
    .addOption(dbOption())
    .action(async (ids: string[], f: { yes?: boolean; db?: string }) => {
      const runIds = ids.map(parseRunId)
      await withService(f.db, async (service) => {
        for (const id of runIds) await service.api.getRun(id) // unknown ids fail before anything is asked or deleted
        if (!f.yes) {
          if (!process.stdin.isTTY)
            throw new VaeLabError(
              'INVALID_INPUT',
              'add --yes to delete without a terminal to confirm on'
            )
          if (
            !(await confirm(
              io,
              `delete run${runIds.length > 1 ? 's' : ''} ${runIds.join(', ')} and all their data? [y/N] `
            ))
          ) {
            io.stdout.write('nothing deleted\n')
            return
          }
        }
        await service.api.deleteRuns(runIds)
        io.stdout.write(`deleted run${runIds.length > 1 ? 's' : ''} ${runIds.join(', ')}\n`)
      })
    })
  runs
    .command('tag')
    .description('add a tag to a run (filter with `runs list --tag`)')
    .argument('<run>', 'run id')
    .argument('<tag>', 'tag: letters, digits, _ . : -')
    .addOption(dbOption())
    .action(async (run: string, tag: string, f: { db?: string }) => {
      const id = parseRunId(run)
      await withService(f.db, (service) => service.api.tagRun(id, tag))
    })
  runs
    .command('note')
    .description("set a run's note")
    .argument('<run>', 'run id')
    .argument('<text>', 'the note')
    .addOption(dbOption())
    .action(async (run: string, text: string, f: { db?: string }) => {
      const id = parseRunId(run)
      await withService(f.db, (service) => service.api.noteRun(id, text))
    })
  runs
    .command('rename')
    .description('rename a run')
    .argument('<run>', 'run id')
    .argument('<name>', 'new name')
    .addOption(dbOption())
    .action(async (run: string, name: string, f: { db?: string }) => {
      const id = parseRunId(run)
      await withService(f.db, (service) => service.api.renameRun(id, name))
    })
}
