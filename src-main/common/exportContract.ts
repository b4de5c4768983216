// The export request (CLI `vae-lab export`, and the UI's export buttons): validated here, at the
// boundary, before anything is read or written. zod only, like contract.ts: the renderer shares it.
import { z } from 'zod'

export const EXPORT_FIGURES = [
  'recon',
  'manifold',
  'scatter',
  'curves',
  'perdigit',
  'mindim',
  'projection',
  // Issue 17: decoded from the weights (latent traversals, interpolation, prior samples), KL per
  // latent dimension, and the hyperparameters of the runs in parallel coordinates.
  'traversal',
  'interpolation',
  'samples',
  'kl-per-dim',
  'parallel'
] as const
export type ExportFigure = (typeof EXPORT_FIGURES)[number]
/**
 * A report's figures: the paper's and the run comparison's. Issue 17's (decoded views, KL per
 * dim, parallel coordinates) are one per run or need a sweep: asked for by name with --figures.
 */
export const REPORT_FIGURES = [
  'recon',
  'manifold',
  'scatter',
  'curves',
  'perdigit',
  'mindim',
  'projection'
] as const satisfies readonly ExportFigure[]
export const EXPORT_FORMATS = ['png', 'svg', 'pdf'] as const
export const PROJECTION_METHODS = ['pca', 'umap', 'tsne'] as const
/** How the manifold's grid is spaced: the paper's Gaussian quantiles, or evenly in z. */
export const MANIFOLD_SPACINGS = ['icdf', 'linear'] as const
/** Figures stored at every epoch: `--epoch N` draws them as they were then, `--animate` over all. */
export const EPOCH_FIGURES = ['recon', 'manifold', 'scatter', 'kl-per-dim'] as const
/** Figures decoded from the weights: drawn from the final (else latest) checkpoint only. */
export const DECODED_FIGURES = ['traversal', 'interpolation', 'samples'] as const
export type ManifoldSpacing = (typeof MANIFOLD_SPACINGS)[number]

const finite = (what: string) =>
  z
    .number({ error: `${what} must be a number` })
    .refine((v) => Number.isFinite(v), { error: `${what} must be a finite number` })

export const ExportRequestSchema = z
  .object({
    /** Runs to compare, in this order; or `sweep` for all runs of a sweep. */
    runIds: z
      .array(
        z
          .number({ error: 'run ids must be numbers' })
          .int({ error: 'run ids must be whole numbers' })
          .min(1, { error: 'run ids must be at least 1' }),
        { error: 'runs must be a list of run ids' }
      )
      .min(1, { error: 'give at least one run id' })
      .max(64, { error: 'at most 64 runs in one export' })
      .optional(),
    sweep: z.string().min(1, { error: 'sweep name must not be empty' }).optional(),
    /** Figures to draw; a report draws every figure that applies. */
    figures: z
      .array(
        z.enum(EXPORT_FIGURES, { error: `figures must be among: ${EXPORT_FIGURES.join(', ')}` })
      )
      .min(1, { error: `give at least one figure: ${EXPORT_FIGURES.join(', ')}` })
      .optional(),
    format: z.enum(EXPORT_FORMATS, { error: 'format must be png, svg or pdf' }).default('png'),
    /** Device pixels per CSS pixel of PNG output (2 = retina / ~192 dpi). */
    scale: finite('scale')
      .refine((v) => v >= 0.5 && v <= 8, { error: 'scale must be from 0.5 to 8' })
      .default(2),
    outDir: z
      .string({ error: 'give an output directory' })
      .min(1, { error: 'give an output directory' }),
    /** One PDF with every figure, SVG and PNG of each, metrics as CSV and JSON, each run's config. */
    report: z.boolean().default(false),
    manifoldGrid: z
      .number({ error: 'manifold grid must be a number' })
      .int({ error: 'manifold grid must be a whole number' })
      .min(2, { error: 'manifold grid must be at least 2' })
      .max(40, { error: 'manifold grid must be at most 40' })
      .default(20),
    manifoldRange: z
      .tuple([finite('manifold range start'), finite('manifold range end')], {
        error: 'manifold range must be two numbers, e.g. -3,3'
      })
      .refine(([lo, hi]) => lo < hi, {
        error: 'manifold range: the first number must be below the second, e.g. -3,3'
      })
      .default([-3, 3]),
    manifoldSpacing: z
      .enum(MANIFOLD_SPACINGS, { error: 'manifold spacing must be icdf or linear' })
      .default('icdf'),
    manifoldFit: z.boolean({ error: 'manifold fit is true or false' }).default(false),
    projection: z
      .enum(PROJECTION_METHODS, { error: 'projection must be pca, umap or tsne' })
      .default('pca'),
    /** Replace files of the same name in outDir; false: refuse, naming them (the UI then asks). */
    overwrite: z.boolean({ error: 'overwrite is true or false' }).default(true),
    /** Nats within the best per-digit -ELBO for the minimal latent dim. */
    tolerance: finite('tolerance')
      .refine((v) => v >= 0, { error: 'tolerance must be >= 0 nats' })
      .default(1),
    /** Draw curves, per-class bars and the minimal latent dim of seed groups as mean ± sd. */
    groupSeeds: z.boolean({ error: 'group-seeds is true or false' }).default(false),
    /** Draw the per-epoch figures (and curves, per-class bars, min-dim) as they were at this epoch. */
    epoch: z
      .number({ error: 'epoch must be a whole number' })
      .int({ error: 'epoch must be a whole number' })
      .min(1, { error: 'epoch must be at least 1' })
      .optional(),
    /** Each per-epoch figure as an animation over its epochs (APNG), instead of a still. */
    animate: z.boolean({ error: 'animate is true or false' }).default(false),
    /** Neighbours of the k-NN separability score. */
    k: z
      .number()
      .int({ error: 'k must be a whole number' })
      .min(1, { error: 'k must be at least 1' })
      .max(50, { error: 'k must be at most 50' })
      .default(5)
  })
  .strict()
  .refine((r) => (r.runIds === undefined) !== (r.sweep === undefined), {
    error: 'give either run ids or a sweep name (not both)',
    path: ['runIds']
  })
  .refine((r) => r.report || r.figures !== undefined, {
    error: `give the figures to export (${EXPORT_FIGURES.join(',')}) or ask for a report`,
    path: ['figures']
  })
  .refine((r) => !(r.animate && r.epoch !== undefined), {
    error: 'an animation shows every epoch: give --animate or --epoch, not both',
    path: ['animate']
  })
  .refine((r) => !(r.animate && r.report), {
    error: 'a report has still figures: give --animate without --report',
    path: ['animate']
  })
  .refine(
    (r) =>
      !r.animate ||
      (r.figures ?? []).every((f) => (EPOCH_FIGURES as readonly string[]).includes(f)),
    {
      error: `only the figures stored at every epoch animate (${EPOCH_FIGURES.join(', ')}); leave the others out of --figures`,
      path: ['figures']
    }
  )
  .refine((r) => !(r.animate && r.format !== 'png'), {
    error: 'an animation is written as an animated PNG (APNG): use --format png',
    path: ['format']
  })

export type ExportRequestInput = z.input<typeof ExportRequestSchema>
export type ExportRequest = z.output<typeof ExportRequestSchema>

export interface ExportResult {
  outDir: string
  /** Paths relative to outDir, in the order written. */
  files: string[]
  runIds: number[]
  /** Figures asked for that could not be drawn for these runs, with why (e.g. no 2-D run for a manifold). */
  skipped: string[]
  seconds: number
}

export type ExportProgress = { stage: 'collect' | 'analyse' | 'render' | 'write'; message: string }
