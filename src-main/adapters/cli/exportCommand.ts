// `vae-lab export`: figures of runs as PNG, SVG or PDF, or a full report. A thin adapter over
// exportFigures; errors name the flag the user typed, and exit 2 through main's handler.
import { Command, Option } from 'commander'
import {
  EXPORT_FIGURES,
  EXPORT_FORMATS,
  MANIFOLD_SPACINGS,
  PROJECTION_METHODS,
  type ExportResult
} from '../../common/exportContract'
import { dbOption, withService, type Io } from './cliSupport'
import { toNumber } from './parseOptions'
import { isVaeLabError, VaeLabError } from '../../api/runtime'

interface ExportFlags {
  runs?: string
  sweep?: string
  figures?: string
  format: string
  scale: string
  out: string
  report?: boolean
  manifoldGrid: string
  manifoldRange: string
  projection: string
  tolerance: string
  knn: string
  manifoldSpacing?: string
  manifoldFit?: boolean
  json?: boolean
  db?: string
  groupSeeds?: boolean
  epoch?: string
  animate?: boolean
}

/** Request field -> the flag that sets it, so a validation error names what the user typed. */
const EXPORT_FLAG_OF: Record<string, string> = {
  runIds: '--runs',
  sweep: '--sweep',
  figures: '--figures',
  format: '--format',
  scale: '--scale',
  outDir: '--out',
  manifoldGrid: '--manifold-grid',
  manifoldRange: '--manifold-range',
  manifoldSpacing: '--manifold-spacing',
  manifoldFit: '--manifold-fit',
  projection: '--projection',
  tolerance: '--tolerance',
  k: '--knn',
  groupSeeds: '--group-seeds',
  epoch: '--epoch',
  animate: '--animate'
}

const list = (s: string) => s.split(',').map((p) => p.trim())

/** The CLI's strings as an export request; numbers that do not parse become NaN for the contract to reject. */
function exportRequest(f: ExportFlags): Record<string, unknown> {
  const req: Record<string, unknown> = {
    format: f.format,
    scale: toNumber(f.scale),
    outDir: f.out,
    report: Boolean(f.report),
    manifoldGrid: toNumber(f.manifoldGrid),
    manifoldRange: list(f.manifoldRange).map(toNumber),
    // A range given means an even lattice over it; otherwise the paper's quantile lattice.
    manifoldSpacing: f.manifoldSpacing ?? (f.manifoldRange !== '-3,3' ? 'linear' : 'icdf'),
    manifoldFit: Boolean(f.manifoldFit),
    projection: f.projection,
    tolerance: toNumber(f.tolerance),
    k: toNumber(f.knn)
  }
  if (f.groupSeeds) req.groupSeeds = true
  if (f.animate) req.animate = true
  if (f.epoch !== undefined) req.epoch = toNumber(f.epoch)
  if (f.runs !== undefined) req.runIds = list(f.runs).map(toNumber)
  if (f.sweep !== undefined) req.sweep = f.sweep
  if (f.figures !== undefined) req.figures = list(f.figures)
  return req
}

function summary(r: ExportResult): string {
  const lines = [
    `wrote ${r.files.length} file${r.files.length === 1 ? '' : 's'} to ${r.outDir} in ${r.seconds.toFixed(1)} s`
  ]
  for (const f of r.files) lines.push(`  ${f}`)
  for (const s of r.skipped) lines.push(`note: ${s}`)
  return lines.join('\n') + '\n'
}

export function registerExportCommand(program: Command, io: Io): void {
  program
    .command('export')
    .description(
      'export figures of runs (PNG, SVG or PDF), or a report: one PDF, SVG and PNG per figure, metrics as CSV and JSON, configs'
    )
    .option('--runs <ids>', 'run ids, comma-separated, in the order to show them (e.g. 1,2,3,4)')
    .option('--sweep <name>', 'all runs of a sweep, by latent dim (instead of --runs)')
    .option(
      '--figures <list>',
      `comma-separated: ${EXPORT_FIGURES.join(',')} (a report draws all that apply)`
    )
    .addOption(
      new Option('--format <format>', 'file format of each figure')
        .choices(EXPORT_FORMATS)
        .default('png')
    )
    .option('--scale <x>', 'PNG pixels per CSS pixel (2 = about 192 dpi at the figure size)', '2')
    .requiredOption(
      '--out <dir>',
      'output directory (created; relative to here; existing files of the same name are replaced)'
    )
    .option(
      '--report',
      'the full report: report.pdf, figures/* in --format, metrics.json, runs.csv, epochs.csv, mindim.csv, configs/'
    )
    .option(
      '--manifold-grid <n>',
      'manifold grid size (the stored one is 20; others are decoded from the weights)',
      '20'
    )
    .option(
      '--manifold-range <lo,hi>',
      'manifold range of z1 and z2, evenly spaced (implies --manifold-spacing linear)',
      '-3,3'
    )
    .addOption(
      new Option(
        '--manifold-spacing <how>',
        "icdf: the paper's Gaussian quantiles (default); linear: even over --manifold-range"
      ).choices(MANIFOLD_SPACINGS)
    )
    .option('--manifold-fit', 'an even lattice over where the test latent means lie')
    .addOption(
      new Option('--projection <method>', 'projection of latent means for dims > 2')
        .choices(PROJECTION_METHODS)
        .default('pca')
    )
    .option(
      '--tolerance <nats>',
      'minimal latent dim: within this many nats of the best dim per digit',
      '1'
    )
    .option('--knn <k>', 'neighbours of the k-NN separability score', '5')
    .option(
      '--group-seeds',
      'runs that differ only in seed as one group: curves with a ± 1 sd band, per-class bars with error bars, the minimal latent dim from the group means'
    )
    .option(
      '--epoch <n>',
      'the per-epoch figures (recon, manifold, scatter, kl-per-dim) as they were after epoch N; per-class figures from its metrics'
    )
    .option(
      '--animate',
      'each per-epoch figure over all epochs, as an animated PNG (NAME-animated.png)'
    )
    .option('--json', 'print the result (files written, runs, skipped figures) as JSON')
    .addOption(dbOption())
    .action(async (f: ExportFlags) => {
      try {
        const progress = io.stderr.isTTY
          ? (p: { message: string }) => io.stderr.write(`  ${p.message}\n`)
          : undefined
        const result = await withService(f.db, (service) =>
          service.exportHere(exportRequest(f), progress)
        )
        io.stdout.write(f.json ? JSON.stringify(result, null, 2) + '\n' : summary(result))
      } catch (e) {
        // Name the flag here: main's table of flags covers `train`, not this command.
        if (isVaeLabError(e) && e.field) {
          const flag = EXPORT_FLAG_OF[e.field.split('.')[0]] ?? `--${e.field}`
          throw new VaeLabError(e.code, `${flag}: ${e.message}`, { cause: e })
        }
        throw e
      }
    })
}
