// A sweep request and every rule about it, once: the New sweep form, the api (IPC, HTTP) and the
// CLI all validate with SweepRequestSchema, whose output is the sweep's runs, each config valid.
import { z } from 'zod'
import { TrainConfigSchema, type TrainConfig, type TrainConfigInput } from './contract'

/** Config fields a sweep may vary over; every combination of their values becomes one run. */
export const GRID_FIELDS = ['latentDim', 'beta', 'lr', 'seed', 'hidden'] as const
export type GridField = (typeof GRID_FIELDS)[number]
export type SweepGrid = Partial<Record<GridField, number[]>>

/** At most this many runs (grid combinations) per sweep. */
export const MAX_SWEEP_RUNS = 1000

/** How many runs the grid makes: the product of its list lengths, computed before any expansion. */
export function gridSize(grid: Partial<Record<string, readonly unknown[]>>): number {
  return Object.values(grid).reduce((n, values) => n * (values?.length ?? 0), 1)
}

/**
 * Every combination of the grid's values, in the order the fields were given. Refuses a grid of
 * more than `max` combinations before making any: five fields of 100 values are 10^10 objects.
 */
export function expandGrid<V>(
  grid: Partial<Record<string, V[]>>,
  max = MAX_SWEEP_RUNS
): Record<string, V>[] {
  const size = gridSize(grid)
  if (size > max) throw new RangeError(`the grid has ${size} combinations; at most ${max}`)
  return Object.entries(grid).reduce<Record<string, V>[]>(
    (combos, [field, values]) =>
      combos.flatMap((c) => (values ?? []).map((v) => ({ ...c, [field]: v }))),
    [{}]
  )
}

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
    hidden: gridValues('give at least one hidden size').optional()
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
  combo: Partial<Record<GridField, number>>
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
    const size = gridSize(req.grid)
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
    const combos = expandGrid(req.grid)
    const runs: SweepRun[] = []
    for (const combo of combos) {
      // An issue names the config field (latentDim, batchSize, ...), wherever the value came from.
      const parsed = TrainConfigSchema.safeParse({ ...req.base, ...combo })
      if (!parsed.success) {
        const issue = parsed.error.issues[0]
        ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message })
        return z.NEVER
      }
      runs.push({ config: parsed.data, combo: combo as SweepRun['combo'] })
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
