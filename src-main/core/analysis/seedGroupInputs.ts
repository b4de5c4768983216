// Figure inputs of seed groups (issue 17): curves as mean ± sd per epoch, per-class −ELBO as
// mean ± sd, and the minimal latent dim per class from the group means, with how many seeds,
// taken alone, agree with it.
import type {
  CurvesInput,
  LossPartsInput,
  MinDimInput,
  PerDigitInput,
  RunLabel
} from '../../common/figures/figureInputs'
import { epochStats, stat, type SeedGroup } from '../../common/seedGroups'
import { minimalLatentDim } from './minimalLatentDim'

export interface GroupMemberData {
  id: number
  seed: number
  epochs: readonly { epoch: number; train: LossPartsInput; test: LossPartsInput }[]
  /** Test -ELBO per class (null where absent); null when the run has no evaluation yet. */
  perDigit: readonly (number | null)[] | null
}

const PARTS = ['nelbo', 'rec', 'kl'] as const

/** How a group is named in legends: 'latent 2 (n = 3)'. */
export function groupRunLabel(g: SeedGroup): RunLabel {
  return {
    runId: g.runIds[0],
    latentDim: g.latentDim,
    name: `${g.label} (n = ${g.runIds.length})`
  }
}

function membersOf(g: SeedGroup, byId: ReadonlyMap<number, GroupMemberData>): GroupMemberData[] {
  return g.runIds.map((id) => byId.get(id)).filter((m): m is GroupMemberData => m !== undefined)
}

export function groupCurves(
  groups: readonly SeedGroup[],
  byId: ReadonlyMap<number, GroupMemberData>
): CurvesInput | null {
  const runs = groups
    .map((g) => {
      const members = membersOf(g, byId).filter((m) => m.epochs.length)
      if (!members.length) return null
      const series = members.map((m) => m.epochs)
      const of = (split: 'train' | 'test', part: (typeof PARTS)[number]) =>
        epochStats(series, (e) => e[split][part])
      const cols = Object.fromEntries(
        (['train', 'test'] as const).flatMap((split) =>
          PARTS.map((part) => [`${split}.${part}`, of(split, part)])
        )
      )
      const epochs = cols['test.nelbo'].map(({ epoch }, i) => {
        const at = (split: 'train' | 'test', key: 'mean' | 'sd') =>
          Object.fromEntries(
            PARTS.map((part) => [part, cols[`${split}.${part}`][i].stat[key]])
          ) as unknown as LossPartsInput
        return {
          epoch,
          mean: { train: at('train', 'mean'), test: at('test', 'mean') },
          sd: { train: at('train', 'sd'), test: at('test', 'sd') }
        }
      })
      return {
        run: groupRunLabel(g),
        epochs: epochs.map((e) => ({ epoch: e.epoch, ...e.mean })),
        spread: epochs.map((e) => ({ epoch: e.epoch, ...e.sd })),
        n: members.length
      }
    })
    .filter((r) => r !== null)
  return runs.length ? { runs, showParts: true } : null
}

export function groupPerDigit(
  groups: readonly SeedGroup[],
  byId: ReadonlyMap<number, GroupMemberData>
): PerDigitInput | null {
  const runs = groups
    .map((g) => {
      const members = membersOf(g, byId).filter((m) => m.perDigit)
      if (!members.length) return null
      const stats = Array.from({ length: 10 }, (_, d) => stat(members.map((m) => m.perDigit![d])))
      return {
        run: groupRunLabel(g),
        perDigit: stats.map((s) => s?.mean ?? null),
        sd: stats.map((s) => s?.sd ?? null),
        n: members.length
      }
    })
    .filter((r) => r !== null)
  return runs.length ? { runs } : null
}

/**
 * The minimal latent dim per class from the group means; then, for each seed on its own (the
 * runs of one seed value across the groups, or of one rank where the groups' seeds differ), the
 * same question, and how many seeds give the same answer as the means.
 */
export function groupMinDim(
  groups: readonly SeedGroup[],
  byId: ReadonlyMap<number, GroupMemberData>,
  tolerance: number
): MinDimInput | null {
  const withDigits = groups
    .map((g) => ({ g, members: membersOf(g, byId).filter((m) => m.perDigit) }))
    .filter((x) => x.members.length)
  if (!withDigits.length) return null
  const rows = withDigits.map(({ g, members }) => ({
    latentDim: g.latentDim,
    label: g.label,
    perDigit: Array.from(
      { length: 10 },
      (_, d) => stat(members.map((m) => m.perDigit![d]))?.mean ?? null
    )
  }))
  const result = minimalLatentDim(rows, tolerance)
  const answer = (r: MinDimInput, d: number) => {
    const row = r.rows[d].minimalRow
    return row === null || row === undefined ? null : (r.labels?.[row] ?? String(r.dims[row]))
  }
  // Pair the seeds across groups by value where every group has it, else by rank.
  const common = [...new Set(withDigits[0].members.map((m) => m.seed))].filter((s) =>
    withDigits.every(({ members }) => members.some((m) => m.seed === s))
  )
  const pairedBy: 'seed' | 'rank' = common.length ? 'seed' : 'rank'
  const sets: GroupMemberData[][] = common.length
    ? common.map((s) => withDigits.map(({ members }) => members.find((m) => m.seed === s)!))
    : Array.from({ length: Math.min(...withDigits.map((x) => x.members.length)) }, (_, i) =>
        withDigits.map(({ members }) => [...members].sort((a, b) => a.seed - b.seed)[i])
      )
  const perSeed = sets.map((set) =>
    minimalLatentDim(
      set.map((m, k) => ({
        latentDim: rows[k].latentDim,
        label: rows[k].label,
        perDigit: m.perDigit!
      })),
      tolerance
    )
  )
  const agreement = Array.from({ length: 10 }, (_, d) => {
    const want = answer(result, d)
    if (want === null || !perSeed.length) return null
    return { agree: perSeed.filter((r) => answer(r, d) === want).length, of: perSeed.length }
  })
  return { ...result, agreement, pairedBy }
}
