// eval, bench, backends, data and db: evaluation, the machine, datasets and the database file.
import { Command } from 'commander'
import {
  backendReports,
  BENCHMARK_MODELS,
  benchmarkBackends,
  VaeLabService
} from '../../api/service'
import { dbOption, parseRunId, withService, type Io } from './cliSupport'
import { toNumber } from './parseOptions'
import { openRunStore, VaeLabError } from '../../api/runtime'

export function registerToolCommands(program: Command, io: Io): void {
  program
    .command('eval')
    .description(
      'evaluate a trained run: the importance-weighted bound (Burda et al., 2015) on its test set'
    )
    .argument('<run>', 'run id')
    .option('--iwae <k>', 'importance samples k (k = 1 is the ELBO; the paper uses 5000)', '50')
    .option('--limit-test <n>', 'use only the first N test images')
    .option('--backend <name>', 'backend to evaluate on (default auto)')
    .option('--json', 'print the result as JSON')
    .addOption(dbOption())
    .action(
      async (
        run: string,
        f: { iwae: string; limitTest?: string; backend?: string; json?: boolean; db?: string }
      ) => {
        const input: Record<string, unknown> = { runId: parseRunId(run), k: toNumber(f.iwae) }
        if (f.limitTest !== undefined) input.limitTest = toNumber(f.limitTest)
        if (f.backend !== undefined) input.backend = f.backend
        await withService(f.db, async (service) => {
          const r = await service.evaluateIwae(input).catch((e: unknown) => {
            // The request's k is this command's --iwae (train's --k is another option).
            if (e instanceof VaeLabError && e.field === 'k')
              throw new VaeLabError(e.code, e.message, { field: 'iwae' })
            throw e
          })
          io.stdout.write(
            f.json
              ? JSON.stringify({ run: input.runId, ...r }) + '\n'
              : `run ${input.runId}: IWAE bound with k=${r.k} on ${r.images} test images: -log p(x) <= ${r.nll.toFixed(2)} nats\n`
          )
        })
      }
    )

  program
    .command('bench')
    .description(
      'training throughput (images/s) of the 784-500-20 VAE, batch 100, Adam, on every available backend'
    )
    .option('--steps <n>', 'timed steps per backend (each stops after --max-seconds)', '300')
    .option('--max-seconds <s>', 'time limit per backend', '10')
    .option(
      '--models <names>',
      `models to time, comma-separated: ${Object.keys(BENCHMARK_MODELS).join(', ')} (default: default, the paper's)`,
      'default'
    )
    .option('--json', 'print JSON')
    .action(async (f: { steps: string; maxSeconds: string; models: string; json?: boolean }) => {
      const steps = toNumber(f.steps)
      const maxSeconds = toNumber(f.maxSeconds)
      if (!Number.isInteger(steps) || steps < 3)
        throw new VaeLabError('INVALID_INPUT', '--steps: must be a whole number of at least 3')
      if (!(maxSeconds > 0))
        throw new VaeLabError('INVALID_INPUT', '--max-seconds: must be a positive number')
      const models = f.models.split(',').map((m) => m.trim())
      const unknown = models.filter((m) => !(m in BENCHMARK_MODELS))
      if (unknown.length || !models.length)
        throw new VaeLabError(
          'INVALID_INPUT',
          `--models: unknown model ${unknown.join(', ')}; choose from ${Object.keys(BENCHMARK_MODELS).join(', ')}`
        )
      const entries = await benchmarkBackends(
        { steps, maxSeconds },
        models as (keyof typeof BENCHMARK_MODELS)[]
      )
      if (f.json) {
        io.stdout.write(
          JSON.stringify(
            { model: '784-500-20', batch: 100, optimizer: 'adam', results: entries },
            null,
            2
          ) + '\n'
        )
        return
      }
      for (const e of entries) {
        io.stdout.write(
          e.available
            ? `${e.backend.padEnd(15)} ${Math.round(e.imgPerSec ?? 0)
                .toLocaleString('en-US')
                .padStart(7)} img/s  ${e.variant === 'default' ? '' : `(${e.variant})`}\n`
            : `${e.backend.padEnd(15)} unavailable: ${e.detail}\n`
        )
      }
    })

  program
    .command('backends')
    .description('which TensorFlow.js backends are available here, and how to get the missing ones')
    .option('--json', 'print JSON')
    .action(async (f: { json?: boolean }) => {
      const reports = await backendReports()
      if (f.json) io.stdout.write(JSON.stringify(reports, null, 2) + '\n')
      else
        for (const r of reports) {
          io.stdout.write(`${r.available ? '✓' : '✗'} ${r.name.padEnd(15)} ${r.detail}\n`)
          if (r.adapter)
            io.stdout.write(
              `  ${''.padEnd(15)} adapter: vendor ${r.adapter.vendor}, architecture ${r.adapter.architecture || '-'}, ${r.adapter.description || r.adapter.device}${r.adapter.software ? ' (software)' : ''}\n`
            )
          if (r.auto) io.stdout.write(`  ${''.padEnd(15)} ${r.auto}\n`)
        }
    })

  const data = program
    .command('data')
    .description('datasets: the built-in MNIST and imported IDX files')
  data
    .command('import')
    .description('register a 28x28 IDX dataset (raw or .gz) after checking all four files')
    .requiredOption('--name <name>', 'name to use with `train --dataset`')
    .requiredOption('--train-images <file>', 'IDX images (N x 28 x 28, unsigned bytes)')
    .requiredOption('--train-labels <file>', 'IDX labels (N, digits 0-9)')
    .requiredOption('--test-images <file>', 'IDX images')
    .requiredOption('--test-labels <file>', 'IDX labels')
    .option(
      '--classes <names>',
      'ten class names for labels 0-9, comma-separated (default: Fashion-MNIST\'s for a name like "fashion", else the digits)'
    )
    .option('--json', 'print JSON')
    .addOption(dbOption())
    .action(
      async (f: {
        name: string
        trainImages: string
        trainLabels: string
        testImages: string
        testLabels: string
        classes?: string
        json?: boolean
        db?: string
      }) => {
        await withService(f.db, async (service) => {
          const { name, trainImages, trainLabels, testImages, testLabels } = f
          const info = await service.api.importDataset({
            name,
            trainImages,
            trainLabels,
            testImages,
            testLabels,
            ...(f.classes !== undefined
              ? { classNames: f.classes.split(',').map((c) => c.trim()) }
              : {})
          })
          io.stdout.write(
            f.json
              ? JSON.stringify(info) + '\n'
              : `imported ${info.name}: ${info.nTrain} training and ${info.nTest} test images; classes ${info.classNames.join(', ')}\n`
          )
        })
      }
    )
  data
    .command('list')
    .description('list datasets')
    .option('--json', 'print JSON')
    .addOption(dbOption())
    .action(async (f: { json?: boolean; db?: string }) => {
      await withService(f.db, async (service) => {
        const list = await service.api.listDatasets()
        if (f.json) io.stdout.write(JSON.stringify(list, null, 2) + '\n')
        else
          for (const d of list)
            io.stdout.write(
              `${d.name.padEnd(16)} ${d.source.padEnd(9)} ${d.nTrain} train / ${d.nTest} test  ${d.files.trainImages}\n`
            )
      })
    })

  const db = program.command('db').description('the database file: check it, back it up')
  db.command('check')
    .description('run SQLite integrity_check on the database')
    .option('--json', 'print JSON')
    .addOption(dbOption())
    .action(async (f: { json?: boolean; db?: string }) => {
      // check and backup read a database: a typo in --db must not create an empty one and call it ok.
      // Not withService: marking dead processes' runs interrupted first may be what the damage breaks.
      const report = async () => {
        const store = await openRunStore(f.db, { mustExist: true })
        try {
          return await new VaeLabService(store).checkDatabase()
        } finally {
          await store.close().catch(() => {})
        }
      }
      const r = await report().catch((e: unknown) => {
        // Damage that already stops the file from opening is a finding too.
        if (
          e instanceof VaeLabError &&
          (e.code === 'DATA_CORRUPT' || e.code === 'DATABASE_DAMAGED')
        )
          return { file: f.db ?? 'the database', ok: false, problems: [e.message], runs: null }
        throw e
      })
      io.stdout.write(
        f.json
          ? JSON.stringify(r) + '\n'
          : r.ok
            ? `${r.file}: ok (${r.runs} runs)\n`
            : `${r.file}: damaged:\n${r.problems.join('\n')}\n`
      )
      // Damage found is the check's answer, not a failure to run it: exit 1, no stack trace.
      if (!r.ok) io.setExit(1)
    })
  db.command('backup')
    .description('write a consistent copy of the database, safe while runs are training')
    .argument('<path>', 'where to write the copy')
    .option('--force', 'replace an existing file at PATH')
    .addOption(dbOption())
    .action(async (file: string, f: { db?: string; force?: boolean }) => {
      await withService(
        f.db,
        async (service) => {
          await service.backupDatabase(file, f.force === true)
          io.stdout.write(`backed up to ${file}\n`)
        },
        { mustExist: true }
      )
    })
}
