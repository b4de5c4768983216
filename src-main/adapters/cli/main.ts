// The `vae-lab` command: a thin adapter over VaeLabService. Exit codes: 0 ok, 2 bad input or
// data, 1 unexpected, 130 interrupted (style.md section 9).
import { Command, CommanderError, Option } from 'commander'
import { BACKEND_NAMES, RUN_STATUSES, type FinalEvaluation, type IwaeReport, type RunSummary } from '../../api/contract'
import { backendReports, benchmarkBackends, PAPER_PRESET, VaeLabService, type SweepRequest } from '../../api/service'
import { isVaeLabError, VaeLabError } from '../../core/errors'
import { defaultDatabase } from '../../core/paths'
import { SqliteRunStore } from '../../core/store/sqliteRunStore'
import { EXIT_BAD_INPUT, EXIT_CODE_OF, EXIT_INTERRUPTED, EXIT_OK, EXIT_UNEXPECTED } from './exitCodes'
import { FLAG_OF, parseLatents, toNumber, trainConfigInput, type TrainFlags } from './parseOptions'
import { ProgressView } from './progressView'

interface Io {
  stdout: NodeJS.WriteStream
  stderr: NodeJS.WriteStream
}

/** Opens the service on `--db`; the store is closed when `body` settles. */
async function withService<T>(db: string | undefined, body: (s: VaeLabService) => Promise<T>): Promise<T> {
  const store = new SqliteRunStore(db ?? defaultDatabase())
  try {
    return await body(new VaeLabService(store))
  } finally {
    store.close()
  }
}

function runJson(r: RunSummary) {
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
    created_at: r.createdAt
  }
}

function table(rows: RunSummary[]): string {
  const fmt = (v: number | null, d = 2) => (v === null ? '-' : v.toFixed(d))
  const head = ['id', 'latent', 'status', 'backend', 'epochs', 'train -ELBO', 'test -ELBO', 'rec', 'KL', 'img/s', 'sweep']
  const body = rows.map((r) => [
    String(r.id),
    String(r.latent),
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
  return [head, ...body].map((row) => row.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd()).join('\n') + '\n'
}

function parseRunId(s: string): number {
  const id = toNumber(s)
  if (!Number.isInteger(id) || id < 1) throw new VaeLabError('INVALID_INPUT', `"${s}" is not a run id (a positive whole number)`, { field: 'runId' })
  return id
}

export function buildProgram(io: Io, setExit: (code: number) => void): Command {
  const program = new Command('vae-lab')
    .description('VAE Lab: train, evaluate and compare variational autoencoders (Kingma & Welling, 2013) on MNIST.')
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ writeOut: (s) => io.stdout.write(s), writeErr: (s) => io.stderr.write(s) })
    .exitOverride()
  const dbOption = () => new Option('--db <path>', `SQLite database of runs (default: ${defaultDatabase()}; or set VAE_LAB_HOME)`)

  program
    .command('train')
    .description('train one run per latent dimension, as one sweep, and log everything to the database')
    .option('--latent <dims>', 'latent dimensions, comma-separated, one run each (e.g. 2,5,10,50)')
    .addOption(new Option('--preset <name>', 'paper: MNIST, latent 2,5,10,50, 500 hidden, batch 100, Adam 1e-3, 10 epochs').choices(['paper']))
    .option('--epochs <n>', 'passes over the training set (default 10)')
    .option('--limit-train <n>', 'use only the first N training images (quick experiments)')
    .option('--limit-test <n>', 'evaluate on only the first N test images')
    .option('--hidden <n>', 'hidden units per tanh layer (default 500)')
    .option('--batch <n>', 'minibatch size M (default 100)')
    .option('--optimizer <name>', 'adam (default) or adagrad (the paper)')
    .option('--lr <x>', 'learning rate (default: adam 1e-3, adagrad 0.01)')
    .option('--weight-decay <x>', "1/2 x ||theta||^2 per image; 'prior' = the paper's N(0,I) prior (1/N)")
    .option('--beta <x>', 'weight of the KL term (beta-VAE; default 1)')
    .option('--samples <L>', 'posterior samples per datapoint (default 1)')
    .option('--pixels <mode>', 'grey (default: grey levels as Bernoulli targets), dynamic or static binarisation')
    .option('--init <scheme>', 'glorot (default; trains faster in the first epochs) or paper (weights ~ N(0, 0.01^2))')
    .option('--seed <n>', 'random seed: same seed and backend give the same numbers (default 1)')
    .option('--backend <name>', `auto (default: fastest available), ${BACKEND_NAMES.join(', ')}`)
    .option('--dataset <name>', 'mnist (default, built in) or a dataset added with `data import`')
    .option('--sweep <name>', 'name of the sweep (default: from the latent dims and the time)')
    .option('--workers <n>', 'runs trained at once (default: one per core, at most one per run)')
    .option('--json', 'print one JSON array of the runs on stdout')
    .addOption(dbOption())
    .action(async (f: TrainFlags & { sweep?: string; workers?: string; json?: boolean; db?: string }) => {
      if (!f.latent && !f.preset) throw new VaeLabError('INVALID_INPUT', 'give --latent (e.g. --latent 2,5,10,50) or --preset paper', { field: 'latentDim' })
      const latents = f.latent ? parseLatents(f.latent) : PAPER_PRESET.latents
      await withService(f.db, async (service) => {
        const base = { ...(f.preset ? PAPER_PRESET.base : {}), ...trainConfigInput(f, () => service.dataset(f.dataset ?? 'mnist').nTrain) }
        const req: SweepRequest = { base, latents, sweepName: f.sweep, workers: f.workers === undefined ? undefined : toNumber(f.workers) }
        const labels = new Map<number, string>()
        const view = new ProgressView(io.stderr, labels)
        const abort = new AbortController()
        const onSigint = () => {
          io.stderr.write('\nvae-lab: cancelling (finished epochs are kept)...\n')
          abort.abort()
        }
        process.once('SIGINT', onSigint)
        try {
          const result = await service.trainSweep(
            req,
            (e) => {
              if (!labels.has(e.runId)) labels.set(e.runId, `latent ${service.runDetails(e.runId).run.latent} (run ${e.runId})`)
              view.handle(e)
            },
            abort.signal
          )
          view.finish()
          if (f.json) io.stdout.write(JSON.stringify(result.runs.map(runJson), null, 2) + '\n')
          else io.stdout.write(`sweep ${result.sweep}\n` + table(result.runs))
          if (abort.signal.aborted) setExit(EXIT_INTERRUPTED)
          else if (result.runs.some((r) => r.status === 'failed')) setExit(EXIT_UNEXPECTED)
        } finally {
          process.removeListener('SIGINT', onSigint)
        }
      })
    })

  program
    .command('eval')
    .description('evaluate a trained run: the importance-weighted bound (Burda et al., 2015) on its test set')
    .argument('<run>', 'run id')
    .option('--iwae <k>', 'importance samples k (k = 1 is the ELBO; the paper uses 5000)', '50')
    .option('--limit-test <n>', 'use only the first N test images')
    .option('--backend <name>', 'backend to evaluate on (default auto)')
    .option('--json', 'print the result as JSON')
    .addOption(dbOption())
    .action(async (run: string, f: { iwae: string; limitTest?: string; backend?: string; json?: boolean; db?: string }) => {
      const input: Record<string, unknown> = { runId: parseRunId(run), k: toNumber(f.iwae) }
      if (f.limitTest !== undefined) input.limitTest = toNumber(f.limitTest)
      if (f.backend !== undefined) input.backend = f.backend
      await withService(f.db, async (service) => {
        const r = await service.evaluateIwae(input)
        io.stdout.write(f.json ? JSON.stringify({ run: input.runId, ...r }) + '\n' : `run ${input.runId}: IWAE bound with k=${r.k} on ${r.images} test images: -log p(x) <= ${r.nll.toFixed(2)} nats\n`)
      })
    })

  program
    .command('bench')
    .description('training throughput (images/s) of the 784-500-20 VAE, batch 100, Adam, on every available backend')
    .option('--steps <n>', 'timed steps per backend (each stops after --max-seconds)', '300')
    .option('--max-seconds <s>', 'time limit per backend', '10')
    .option('--json', 'print JSON')
    .action(async (f: { steps: string; maxSeconds: string; json?: boolean }) => {
      const steps = toNumber(f.steps)
      const maxSeconds = toNumber(f.maxSeconds)
      if (!Number.isInteger(steps) || steps < 3) throw new VaeLabError('INVALID_INPUT', '--steps: must be a whole number of at least 3')
      if (!(maxSeconds > 0)) throw new VaeLabError('INVALID_INPUT', '--max-seconds: must be a positive number')
      const entries = await benchmarkBackends({ steps, maxSeconds })
      if (f.json) io.stdout.write(JSON.stringify({ model: '784-500-20', batch: 100, optimizer: 'adam', results: entries }, null, 2) + '\n')
      else
        for (const e of entries)
          io.stdout.write(
            e.available
              ? `${e.backend.padEnd(15)} ${Math.round(e.imgPerSec ?? 0).toLocaleString('en-US').padStart(7)} img/s  ${e.variant === 'default' ? '' : `(${e.variant})`}\n`
              : `${e.backend.padEnd(15)} unavailable: ${e.detail}\n`
          )
    })

  program
    .command('backends')
    .description('which TensorFlow.js backends are available here, and how to get the missing ones')
    .option('--json', 'print JSON')
    .action(async (f: { json?: boolean }) => {
      const reports = await backendReports()
      if (f.json) io.stdout.write(JSON.stringify(reports, null, 2) + '\n')
      else for (const r of reports) io.stdout.write(`${r.available ? '✓' : '✗'} ${r.name.padEnd(15)} ${r.detail}\n`)
    })

  const data = program.command('data').description('datasets: the built-in MNIST and imported IDX files')
  data
    .command('import')
    .description('register a 28x28 IDX dataset (raw or .gz) after checking all four files')
    .requiredOption('--name <name>', 'name to use with `train --dataset`')
    .requiredOption('--train-images <file>', 'IDX images (N x 28 x 28, unsigned bytes)')
    .requiredOption('--train-labels <file>', 'IDX labels (N, digits 0-9)')
    .requiredOption('--test-images <file>', 'IDX images')
    .requiredOption('--test-labels <file>', 'IDX labels')
    .option('--json', 'print JSON')
    .addOption(dbOption())
    .action(async (f: { name: string; trainImages: string; trainLabels: string; testImages: string; testLabels: string; json?: boolean; db?: string }) => {
      await withService(f.db, async (service) => {
        const info = service.importDataset({ name: f.name, trainImages: f.trainImages, trainLabels: f.trainLabels, testImages: f.testImages, testLabels: f.testLabels })
        io.stdout.write(f.json ? JSON.stringify(info) + '\n' : `imported ${info.name}: ${info.nTrain} training and ${info.nTest} test images\n`)
      })
    })
  data
    .command('list')
    .description('list datasets')
    .option('--json', 'print JSON')
    .addOption(dbOption())
    .action(async (f: { json?: boolean; db?: string }) => {
      await withService(f.db, async (service) => {
        const list = service.listDatasets()
        if (f.json) io.stdout.write(JSON.stringify(list, null, 2) + '\n')
        else for (const d of list) io.stdout.write(`${d.name.padEnd(16)} ${d.source.padEnd(9)} ${d.nTrain} train / ${d.nTest} test  ${d.files.trainImages}\n`)
      })
    })

  const runs = program.command('runs').description('runs in the database')
  runs
    .command('list')
    .description('list runs')
    .addOption(new Option('--status <status>', 'only runs with this status').choices(RUN_STATUSES))
    .option('--sweep <name>', 'only runs of this sweep')
    .option('--tag <tag>', 'only runs with this tag')
    .option('--json', 'print JSON')
    .addOption(dbOption())
    .action(async (f: { status?: (typeof RUN_STATUSES)[number]; sweep?: string; tag?: string; json?: boolean; db?: string }) => {
      await withService(f.db, async (service) => {
        const list = service.listRuns({ status: f.status, sweep: f.sweep, tag: f.tag })
        io.stdout.write(f.json ? JSON.stringify(list.map(runJson), null, 2) + '\n' : list.length ? table(list) : 'no runs yet: try `vae-lab train --preset paper --epochs 1`\n')
      })
    })
  runs
    .command('show')
    .description('config, backend, status, per-epoch metrics and evaluations of a run')
    .argument('<run>', 'run id')
    .option('--json', 'print JSON')
    .addOption(dbOption())
    .action(async (run: string, f: { json?: boolean; db?: string }) => {
      const id = parseRunId(run)
      await withService(f.db, async (service) => {
        const d = service.runDetails(id)
        if (f.json) {
          io.stdout.write(JSON.stringify({ ...runJson(d.run), config: d.run.config, backend_detail: d.run.backendDetail, code_version: d.run.codeVersion, message: d.run.message, metrics: d.metrics, evaluations: d.evaluations }, null, 2) + '\n')
          return
        }
        io.stdout.write(table([d.run]))
        io.stdout.write(`backend: ${d.run.backendDetail ?? '-'}\ncode: ${d.run.codeVersion}\nconfig: ${JSON.stringify(d.run.config)}\n`)
        if (d.run.message) io.stdout.write(`message: ${d.run.message}\n`)
        for (const m of d.metrics) {
          io.stdout.write(`epoch ${String(m.epoch).padStart(3)}  train ${m.train.nelbo.toFixed(2)}  test ${m.test.nelbo.toFixed(2)} (rec ${m.test.rec.toFixed(2)}, KL ${m.test.kl.toFixed(2)})  ${Math.round(m.imgPerSec)} img/s\n`)
        }
        for (const [kind, result] of Object.entries(d.evaluations)) io.stdout.write(describeEvaluation(kind, result) + '\n')
      })
    })
  return program
}

/** One readable line per stored evaluation; JSON for kinds this version does not know. */
function describeEvaluation(kind: string, result: unknown): string {
  const r = result as Partial<FinalEvaluation & IwaeReport>
  if (kind === 'final' && r.test && r.testPerDigit && r.activeUnits) {
    const digits = r.testPerDigit.map((p, d) => `${d}: ${p ? p.nelbo.toFixed(1) : '-'}`).join('  ')
    return (
      `final test -ELBO ${r.test.nelbo.toFixed(2)} (rec ${r.test.rec.toFixed(2)}, KL ${r.test.kl.toFixed(2)}); ` +
      `active units ${r.activeUnits.active}/${r.activeUnits.variances.length}\nper digit  ${digits}`
    )
  }
  if (kind.startsWith('iwae/') && typeof r.nll === 'number') return `IWAE bound (k=${r.k}, ${r.images} test images): -log p(x) <= ${r.nll.toFixed(2)} nats`
  return `${kind}: ${JSON.stringify(result)}`
}

function describeError(e: VaeLabError): string {
  const flag = e.field ? (FLAG_OF[e.field] ?? `--${e.field}`) : null
  return flag ? `${flag}: ${e.message}` : e.message
}

export async function main(argv: string[], io: Io = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let exit = EXIT_OK
  const program = buildProgram(io, (code) => (exit = code))
  try {
    await program.parseAsync(argv)
    return exit
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.code === 'commander.helpDisplayed' || e.code === 'commander.version' || e.exitCode === 0) return EXIT_OK
      return EXIT_BAD_INPUT // commander already printed what was wrong
    }
    if (isVaeLabError(e)) {
      io.stderr.write(`vae-lab: ${describeError(e)}\n`)
      return EXIT_CODE_OF[e.code]
    }
    io.stderr.write(`vae-lab: unexpected error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`)
    return EXIT_UNEXPECTED
  }
}
