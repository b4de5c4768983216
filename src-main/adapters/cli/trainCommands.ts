// train, resume and queue: everything that makes runs train.
import { Command, Option } from 'commander'
import { BACKEND_NAMES, TrainConfigSchema } from '../../common/contract'
import { SWEEP_PRESETS, type SweepPreset, type SweepRequestInput } from '../../api/service'
import {
  dbOption,
  parseRunId,
  parseWorkers,
  printRuns,
  withProgress,
  withService,
  type Io
} from './cliSupport'
import { sweepInput, toNumber, type TrainFlags } from './parseOptions'
import { builtinMnistInfo, VaeLabError } from '../../api/runtime'
import { validate } from '../../common/validate'
import { SweepRequestSchema } from '../../common/sweepRequest'

const DEFAULT_INIT = TrainConfigSchema.parse({ latentDim: 2 }).init

type TrainOptions = TrainFlags & {
  sweep?: string
  workers?: string
  detach?: boolean
  json?: boolean
  db?: string
}

export function registerTrainCommands(program: Command, io: Io): void {
  program
    .command('train')
    .description(
      'train a sweep: one run per combination of the listed values (e.g. --latent 2,5,10,50), logged to the database'
    )
    .option('--latent <dims>', 'latent dimensions, comma-separated, one run each (e.g. 2,5,10,50)')
    .addOption(
      new Option(
        '--preset <name>',
        'paper: Kingma & Welling as published (Adagrad 0.02, N(0, 0.01^2) init, the prior as weight decay, 1,667 epochs); ' +
          'modern: Adam 1e-3, 10 epochs (both MNIST, latent 2,5,10,50, 500 hidden, batch 100); ' +
          'burda: Burda et al. (2015), 784-200-200-50 tanh, dynamic binarisation, batch 20, ' +
          'IWAE k=5 (--objective, --k change it), evaluated at k=5000 (options given override the preset)'
      ).choices(Object.keys(SWEEP_PRESETS))
    )
    .option('--epochs <n>', 'passes over the training set (default 10)')
    .option('--limit-train <n>', 'use only the first N training images (quick experiments)')
    .option('--limit-test <n>', 'evaluate on only the first N test images')
    .option(
      '--hidden <sizes>',
      'tanh layers of the MLP encoder, mirrored in the decoder (default 500): 200,200 is two layers of 200; ' +
        'a slash separates networks to sweep over, e.g. 500/200,200'
    )
    .option(
      '--arch <name>',
      "mlp (default: the paper's tanh MLPs) or conv (the CNN of TensorFlow's CVAE tutorial, 28x28 images); mlp,conv makes a sweep"
    )
    .option(
      '--objective <name>',
      'elbo (default, the paper) or iwae (Burda et al. 2015); elbo,iwae makes a sweep'
    )
    .option(
      '--k <K>',
      'importance samples of --objective iwae (default 5; k=1 is the ELBO); a list makes a sweep (its IWAE runs)'
    )
    .option(
      '--eval-iwae <K>',
      'after training, also the K-sample IWAE bound on the test set (Burda et al.: 5000)'
    )
    .option('--batch <n>', 'minibatch size M (default 100)')
    .option('--optimizer <name>', 'adam (default) or adagrad (the paper)')
    .option('--lr <x>', 'learning rate (default: adam 1e-3, adagrad 0.01); a list makes a sweep')
    .option(
      '--weight-decay <x>',
      "1/2 x ||theta||^2 per image; 'prior' = the paper's N(0,I) prior (1/N)"
    )
    .option('--beta <x>', 'weight of the KL term (beta-VAE; default 1); a list makes a sweep')
    .option('--samples <L>', 'posterior samples per datapoint (default 1)')
    .option(
      '--pixels <mode>',
      'grey (default: grey levels as Bernoulli targets), dynamic or static binarisation'
    )
    .option(
      '--init <scheme>',
      `torch (PyTorch nn.Linear's default: W, b ~ U(+-1/sqrt(fan_in))), glorot (Glorot-uniform, b = 0) or paper (N(0, 0.01^2)); default ${DEFAULT_INIT}`
    )
    .option(
      '--seed <n>',
      'random seed: same seed and backend give the same numbers (default 1); a list makes a sweep'
    )
    .option('--backend <name>', `auto (default: fastest available), ${BACKEND_NAMES.join(', ')}`)
    .option('--dataset <name>', 'mnist (default, built in) or a dataset added with `data import`')
    .option('--sweep <name>', 'name of the sweep (default: from the latent dims and the time)')
    .option('--workers <n>', 'runs trained at once (default: one per core)')
    .option('--detach', 'only queue the runs and print their ids; `vae-lab queue run` trains them')
    .option('--json', 'print one JSON array of the runs on stdout')
    .addOption(dbOption())
    .addHelpText(
      'after',
      `
Sweeps: --latent, --beta, --lr, --seed, --k, --arch and --objective take comma-separated values;
--hidden takes networks separated by slashes, each a comma-separated list of its layers. The sweep
has one run per combination; --k applies to the IWAE runs of a sweep that also varies --objective.

Examples:
  vae-lab train --latent 10 --hidden 200,200                    one run, two tanh layers of 200
  vae-lab train --latent 10 --hidden 500/200,200                two runs: 500, and 200-200
  vae-lab train --latent 10 --objective elbo,iwae --k 1,5,50    four runs: ELBO, IWAE k = 1, 5, 50
  vae-lab train --latent 10 --arch conv                         the convolutional VAE
  vae-lab train --preset burda --epochs 100                     Burda et al.'s MNIST model, k=5000 eval
`
    )
    .action(async (f: TrainOptions) => {
      if (!f.latent && !f.preset)
        throw new VaeLabError(
          'INVALID_INPUT',
          'give --latent (e.g. --latent 2,5,10,50) or --preset paper|modern|burda',
          { field: 'latentDim' }
        )
      const preset: Pick<SweepPreset, 'grid' | 'base' | 'weightDecayPrior'> = f.preset
        ? SWEEP_PRESETS[f.preset as SweepPreset['id']]
        : { grid: { latentDim: [] }, base: {}, weightDecayPrior: false }
      // The paper preset's weight decay is the prior, unless --weight-decay says otherwise.
      const weightDecay = f.weightDecay ?? (preset.weightDecayPrior ? 'prior' : undefined)
      const request = (nTrain: number): SweepRequestInput => {
        const parsed = sweepInput({ ...f, weightDecay }, () => nTrain)
        return {
          base: { ...preset.base, ...parsed.base },
          grid: { ...preset.grid, ...parsed.grid },
          sweepName: f.sweep
        }
      }
      // Every option is checked before the database is opened, so a mistyped one leaves no file
      // behind; any N checks 'prior' the same (it only scales 1 / N).
      validate(SweepRequestSchema, request(builtinMnistInfo().nTrain))
      const workers = parseWorkers(f.workers)
      await withService(f.db, async (service) => {
        // Only weight decay 'prior' needs the dataset's size (1 / N per image).
        const nTrain =
          weightDecay === 'prior' ? (await service.dataset(f.dataset ?? 'mnist')).nTrain : 0
        const req = request(nTrain)
        if (f.detach) {
          const queued = await service.api.queueSweep(req)
          printRuns(
            io,
            await service.api.listRuns({ sweep: queued.sweep }),
            f.json,
            `queued sweep ${queued.sweep}; \`vae-lab queue run\` trains it`
          )
          return
        }
        let sweep = ''
        const runs = await withProgress(service, io, async (onEvent, signal) => {
          const result = await service.trainSweep(req, onEvent, { workers, signal })
          sweep = result.sweep
          return result.runs
        })
        printRuns(io, runs, f.json, `sweep ${sweep}`)
      })
    })

  program
    .command('resume')
    .description(
      'continue an interrupted, cancelled or failed run from its latest checkpoint; its new epochs append to its history'
    )
    .argument('<run>', 'run id')
    .option('--json', 'print the run as JSON')
    .addOption(dbOption())
    .action(async (run: string, f: { json?: boolean; db?: string }) => {
      const id = parseRunId(run)
      await withService(f.db, async (service) => {
        const runs = await withProgress(service, io, async (onEvent, signal) => [
          await service.resumeHere(id, onEvent, { signal })
        ])
        printRuns(io, runs, f.json)
      })
    })

  const queue = program
    .command('queue')
    .description('the queue of runs waiting to train (it survives restarts)')
  queue
    .command('list', { isDefault: true })
    .description('running and queued runs, in the order they train')
    .option('--json', 'print JSON')
    .addOption(dbOption())
    .action(async (f: { json?: boolean; db?: string }) => {
      await withService(f.db, async (service) => printRuns(io, await service.queue(), f.json))
    })
  queue
    .command('run')
    .description('train queued runs (highest priority first) until the queue is empty')
    .option('--workers <n>', 'runs trained at once (default: one per core)')
    .option('--json', 'print the runs trained as JSON')
    .addOption(dbOption())
    .action(async (f: { workers?: string; json?: boolean; db?: string }) => {
      await withService(f.db, async (service) => {
        const runs = await withProgress(service, io, (onEvent, signal) =>
          service.trainQueued(onEvent, { workers: parseWorkers(f.workers), signal })
        )
        printRuns(io, runs, f.json, runs.length ? undefined : 'the queue is empty')
      })
    })
  queue
    .command('cancel')
    .description('cancel a queued run, or ask the process training a running run to stop it')
    .argument('<run>', 'run id')
    .addOption(dbOption())
    .action(async (run: string, f: { db?: string }) => {
      const id = parseRunId(run)
      await withService(f.db, async (service) => {
        const what = await service.api.cancelRun(id)
        io.stdout.write(
          what === 'cancelled'
            ? `run ${id} cancelled\n`
            : `run ${id}: cancel requested; it stops within a second\n`
        )
      })
    })
  queue
    .command('priority')
    .description('re-prioritise a run: higher numbers train first (default 0)')
    .argument('<run>', 'run id')
    .argument('<priority>', 'whole number')
    .addOption(dbOption())
    .action(async (run: string, priority: string, f: { db?: string }) => {
      const id = parseRunId(run)
      await withService(f.db, async (service) => {
        await service.api.setPriority(id, toNumber(priority))
        io.stdout.write(`run ${id}: priority ${toNumber(priority)}\n`)
      })
    })
}
