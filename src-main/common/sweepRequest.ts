// A sweep request and every rule about it, once: the New sweep form, the api (IPC, HTTP) and the
// CLI all validate with SweepRequestSchema, whose output is the sweep's runs, each config valid.
import { z } from 'zod'
import { TrainConfigSchema, type TrainConfig, type TrainConfigInput } from './contract'
import { expandGrid, gridSize, MAX_SWEEP_RUNS, type GridCombo, type SweepGrid } from './sweepGrid'

// The grid's fields, how a grid expands (k to IWAE runs, hidden sizes to MLP runs) and its limit.
export {
  expandGrid,
  gridSize,
  GRID_FIELDS,
  MAX_SWEEP_RUNS,
  type GridField,
  type SweepGrid
} from './sweepGrid'

export const SweepNameSchema = z
  .string({ error: 'a sweep name is 1-100 characters and does not start with a space' })
  .regex(/^\S.{0,99}$/, {
    error: 'a sweep name is 1-100 characters and does not start with a space'
  })

// Values are checked per run by TrainConfigSchema, so a bad one gets that field's own message.
const gridValues = (atLeastOne: string) =>
  z
    .array(z.unknown(), { error: 'grid values must be a list' })
    .min(1, { error: atLeastOne })
    .max(100, { error: 'at most 100 values per field' })

const SweepGridSchema = z.strictObject(
  {
    latentDim: gridValues('give at least one latent dimension, e.g. --latent 2,5,10,50'),
    beta: gridValues('give at least one beta').optional(),
    lr: gridValues('give at least one learning rate').optional(),
    seed: gridValues('give at least one seed').optional(),
    hidden: gridValues('give at least one hidden size').optional(),
    arch: gridValues('give at least one architecture').optional(),
    objective: gridValues('give at least one objective').optional(),
    k: gridValues('give at least one k').optional()
  },
  {
    error: (issue) =>
      issue.code === 'unrecognized_keys'
        ? `cannot vary ${issue.keys.join(', ')} in a sweep`
        : issue.code === 'invalid_type'
          ? 'the grid is an object of lists, e.g. { latentDim: [2, 5] }'
          : undefined
  }
)

export interface SweepRun {
  config: TrainConfig
  /** The grid's values for this run, by field. */
  combo: GridCombo
}

export const SweepRequestSchema = z
  .strictObject({
    /** Settings shared by every run; the grid's fields override them per run. */
    base: z.record(z.string(), z.unknown(), { error: 'base is an object of settings' }),
    grid: SweepGridSchema,
    sweepName: SweepNameSchema.optional()
  })
  .transform((req, ctx) => {
    // Multiplied first: the combinations are made only once their number is known to be small.
    const size = gridSize(req.grid as SweepGrid)
    if (size > MAX_SWEEP_RUNS) {
      const factors = Object.entries(req.grid)
        .map(([field, values]) => `${values?.length ?? 0} ${field}`)
        .join(' x ')
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: `the grid has ${factors} = ${size.toLocaleString('en-US')} combinations; at most ${MAX_SWEEP_RUNS} runs per sweep: give fewer values`
      })
      return z.NEVER
    }
    const combos = expandGrid(req.grid as SweepGrid)
    const runs: SweepRun[] = []
    for (const combo of combos) {
      // An issue names the config field (latentDim, batchSize, ...), wherever the value came from.
      // A preset's k (Burda et al.'s) must not reach the ELBO runs of a sweep over objectives.
      const elbo = (combo.objective ?? req.base.objective ?? 'elbo') === 'elbo'
      const base = elbo && combo.k === undefined ? { ...req.base, k: undefined } : req.base
      const parsed = TrainConfigSchema.safeParse({ ...base, ...combo })
      if (!parsed.success) {
        const issue = parsed.error.issues[0]
        ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message })
        return z.NEVER
      }
      runs.push({ config: parsed.data, combo })
    }
    return {
      grid: req.grid as SweepGrid & { latentDim: number[] },
      sweepName: req.sweepName,
      runs
    }
  })

export interface SweepRequestInput {
  /** Settings shared by every run; the grid's fields override them per run. */
  base: Partial<TrainConfigInput> | Record<string, unknown>
  grid: SweepGrid
  sweepName?: string
}
export type SweepRequest = z.output<typeof SweepRequestSchema>
