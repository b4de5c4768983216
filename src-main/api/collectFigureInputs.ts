// Reads what the figures need from the run store (stored figure data, metrics, evaluations) and
// runs the analyses, giving plain FigureInputs that the pure builders draw. Only a manifold at a
// grid or range other than the stored one touches tfjs: it is decoded again from the weights.
import type { EpochMetrics, FinalEvaluation } from '../common/contract'
import type { ExportFigure, ExportRequest } from '../common/exportContract'
import { knnAccuracy } from '../core/analysis/knnAccuracy'
import { minimalLatentDim } from '../core/analysis/minimalLatentDim'
import { pca } from '../core/analysis/pca'
import { project2d } from '../core/analysis/project2d'
import { initBackend, selectBackend } from '../core/backend/backends'
import { VaeLabError } from '../common/errors'
import {
  IMAGE_PIXELS,
  type ManifoldInput,
  type RunLabel,
  type ScatterPanel
} from '../common/figures/figureInputs'
import type { FigureInputs } from '../common/figures/figureSpecs'
import { decodeLattice, MANIFOLD_GRID, MANIFOLD_RANGE } from '../core/model/figureData'
import {
  fitRanges,
  linearLattice,
  outsideShare,
  quantileLattice
} from '../common/figures/manifoldLattice'
import { classNamesFor } from '../common/classNames'
import { resolveDataset } from './iwaeEvaluation'
import { createVaeParams, disposeParams, INPUT_DIM } from '../core/model/vae'
import type { RunRecord, RunStore, StoredFigure } from '../core/store/runStore'
import { assignParams } from '../core/train/checkpoint'

export interface CollectedRun {
  record: RunRecord
  label: RunLabel
  metrics: EpochMetrics[]
  final: FinalEvaluation | null
  /** Test -ELBO per digit: the final evaluation's, else the last epoch's. */
  perDigit: (number | null)[] | null
}

export interface Separability {
  runId: number
  latentDim: number
  method: ExportRequest['projection']
  k: number
  latent: number
  projected: number
}

export interface Collected {
  runs: CollectedRun[]
  inputs: FigureInputs
  separability: Separability[]
  /** Figures (or runs of a figure) left out, with why. */
  skipped: string[]
}

type Options = Pick<
  ExportRequest,
  'manifoldGrid' | 'manifoldRange' | 'projection' | 'tolerance' | 'k'
> &
  Partial<Pick<ExportRequest, 'manifoldSpacing' | 'manifoldFit'>> & {
    figures: ReadonlySet<ExportFigure>
    /** Explicitly asked (not a report): a figure that cannot be drawn for any run is an error. */
    strict: boolean
    onProgress?: (message: string) => void
  }

/**
 * Each run by its current name (a rename shows in every figure), 'latent 2' for an unnamed one;
 * '· #7' is added where two selected runs would read the same.
 */
export function runLabels(runs: readonly Pick<RunRecord, 'id' | 'latent' | 'name'>[]): RunLabel[] {
  const base = runs.map((r) => r.name?.trim() || `latent ${r.latent}`)
  const count = new Map<string, number>()
  for (const b of base) count.set(b, (count.get(b) ?? 0) + 1)
  return runs.map((r, i) => ({
    runId: r.id,
    latentDim: r.latent,
    name: (count.get(base[i]) ?? 0) > 1 ? `${base[i]} · #${r.id}` : base[i]
  }))
}

export async function collectFigureInputs(
  store: RunStore,
  records: readonly RunRecord[],
  o: Options
): Promise<Collected> {
  const labels = runLabels(records)
  const runs: CollectedRun[] = []
  for (const [i, record] of records.entries()) {
    const metrics = await store.epochMetrics(record.id)
    const final =
      ((await store.evaluations(record.id)).final as FinalEvaluation | undefined) ?? null
    const perDigitParts = final?.testPerDigit ?? metrics.at(-1)?.testPerDigit ?? null
    runs.push({
      record,
      label: labels[i],
      metrics,
      final,
      perDigit: perDigitParts ? perDigitParts.map((p) => (p ? p.nelbo : null)) : null
    })
  }
  const datasets = [...new Set(runs.map((r) => r.record.dataset))]
  const classes = datasets.length === 1 ? await classesOf(store, datasets[0]) : null
  // Per-class figures of runs on different datasets would put unlike classes side by side.
  const mixed = datasets.length > 1
  const mixedWhy = `the runs are on different datasets (${datasets.join(', ')}); compare runs of one dataset`
  const figures = new Map<number, ReturnType<typeof byKind>>()
  for (const r of runs) figures.set(r.record.id, byKind(await store.figures(r.record.id)))
  const skipped: string[] = []
  const inputs: FigureInputs = classes ? { classes } : { datasets }
  if (mixed)
    for (const f of ['scatter', 'projection', 'perdigit', 'mindim'] as const)
      if (o.figures.has(f)) skipped.push(`${f}: ${mixedWhy}`)
  const separability: Separability[] = []
  const missing = (what: string, rs: CollectedRun[]) =>
    rs.map((r) => `run ${r.record.id} (${r.record.status})`).join(', ') +
    ` ha${rs.length > 1 ? 've' : 's'} no ${what}`
  const none = (figure: ExportFigure, why: string) => {
    if (o.strict)
      throw new VaeLabError(
        'NOT_FOUND',
        `cannot draw ${figure}: ${why}; only finished runs have figure data (\`vae-lab runs list\`)`
      )
    skipped.push(`${figure}: ${why}`)
  }

  if (o.figures.has('recon')) {
    const withRecon = runs.filter((r) => figures.get(r.record.id)?.recon)
    const lacking = runs.filter((r) => !figures.get(r.record.id)?.recon)
    if (!withRecon.length) none('recon', missing('reconstructions stored', lacking))
    else {
      const ref = figures.get(withRecon[0].record.id)!.recon!
      const refIndices = JSON.stringify(ref.meta.indices)
      const same = withRecon.filter(
        (r) => JSON.stringify(figures.get(r.record.id)!.recon!.meta.indices) === refIndices
      )
      const other = withRecon.filter((r) => !same.includes(r))
      if (lacking.length) skipped.push(`recon: ${missing('reconstructions stored', lacking)}`)
      if (other.length)
        skipped.push(
          `recon: runs ${other.map((r) => r.record.id).join(', ')} reconstructed other test images (another dataset or --limit-test) than run ${withRecon[0].record.id}`
        )
      const cols = (ref.meta.labels as number[]).length
      inputs.recon = {
        labels: ref.meta.labels as number[],
        originals: ref.data.subarray(0, cols * IMAGE_PIXELS),
        rows: same.map((r) => ({
          run: r.label,
          images: figures
            .get(r.record.id)!
            .recon!.data.subarray(cols * IMAGE_PIXELS, 2 * cols * IMAGE_PIXELS)
        }))
      }
    }
  }

  if (o.figures.has('manifold')) {
    const twoD = runs.filter((r) => r.record.latent === 2)
    if (!twoD.length) {
      const dims = runs
        .map((r) => `run ${r.record.id} has latent dim ${r.record.latent}`)
        .join(', ')
      if (o.strict)
        throw new VaeLabError(
          'INVALID_INPUT',
          `the manifold figure needs a run with a 2-D latent space, but ${dims}; leave manifold out or add a 2-D run`,
          { field: 'figures' }
        )
      skipped.push('manifold: no run with a 2-D latent space')
    } else {
      if (twoD.length < runs.length)
        skipped.push(
          `manifold: drawn for 2-D runs only (not ${runs
            .filter((r) => r.record.latent !== 2)
            .map((r) => `run ${r.record.id}`)
            .join(', ')})`
        )
      const manifolds: ManifoldInput[] = []
      for (const r of twoD) {
        const fig = figures.get(r.record.id)
        const mu = fig?.scatter ? latentMeans(fig.scatter, 2) : []
        // A run still before its first epoch has no weights to decode yet.
        if (!o.strict && !fig?.manifold && !(await hasWeights(store, r.record.id))) {
          skipped.push(`manifold: run ${r.record.id} (${r.record.status}) has no saved weights yet`)
          continue
        }
        manifolds.push(await manifoldOf(store, r, fig?.manifold, mu, o))
      }
      if (manifolds.length) inputs.manifolds = manifolds
    }
  }

  const wantsLatents = !mixed && (o.figures.has('scatter') || o.figures.has('projection'))
  if (wantsLatents) {
    const withMu = runs.filter((r) => figures.get(r.record.id)?.scatter)
    const lacking = runs.filter((r) => !figures.get(r.record.id)?.scatter)
    if (!withMu.length) {
      if (o.figures.has('scatter')) none('scatter', missing('latent means stored', lacking))
      if (o.figures.has('projection')) none('projection', missing('latent means stored', lacking))
    } else {
      if (lacking.length)
        skipped.push(`scatter/projection: ${missing('latent means stored', lacking)}`)
      const scatterPanels: ScatterPanel[] = []
      const projectionPanels: ScatterPanel[] = []
      for (const r of withMu) {
        const fig = figures.get(r.record.id)!.scatter!
        const labelsOf = fig.meta.labels as number[]
        const mu = latentMeans(fig, r.record.latent)
        const linear =
          r.record.latent > 2
            ? pca(mu, 2).map(([x, y]) => [x, y] as [number, number])
            : mu.map((p) => [p[0], p[1] ?? 0] as [number, number])
        const scatterPanel: ScatterPanel = {
          run: r.label,
          points: linear,
          labels: labelsOf,
          method: r.record.latent > 2 ? 'pca' : 'mu'
        }
        scatterPanels.push(scatterPanel)
        if (o.figures.has('projection')) {
          o.onProgress?.(`${o.projection} projection of ${r.label.name}`)
          const projected =
            o.projection === 'pca' || r.record.latent <= 2
              ? linear
              : project2d(mu, o.projection, { seed: r.record.config.seed })
          const s = {
            k: o.k,
            latent: knnAccuracy(mu, labelsOf, o.k),
            projected: knnAccuracy(projected, labelsOf, o.k)
          }
          separability.push({
            runId: r.record.id,
            latentDim: r.record.latent,
            method: o.projection,
            ...s
          })
          projectionPanels.push({
            run: r.label,
            points: projected,
            labels: labelsOf,
            method: r.record.latent > 2 ? o.projection : 'mu',
            separability: s
          })
          // With PCA the projection is Fig 8 itself: its scores go there, not into a twin figure.
          if (o.projection === 'pca')
            scatterPanels[scatterPanels.length - 1] = { ...scatterPanel, separability: s }
        }
      }
      if (o.figures.has('scatter')) inputs.scatter = { panels: scatterPanels }
      const twin = o.projection === 'pca' && o.figures.has('scatter')
      if (o.figures.has('projection') && !twin)
        inputs.projection = { method: o.projection, input: { panels: projectionPanels } }
    }
  }

  if (o.figures.has('curves')) {
    const withEpochs = runs.filter((r) => r.metrics.length)
    if (!withEpochs.length) none('curves', missing('finished epochs', runs))
    else
      inputs.curves = {
        runs: withEpochs.map((r) => ({
          run: r.label,
          epochs: r.metrics.map(({ epoch, train, test }) => ({ epoch, train, test }))
        })),
        showParts: true
      }
  }

  const withPerDigit = mixed ? [] : runs.filter((r) => r.perDigit)
  if (o.figures.has('perdigit') && !mixed) {
    if (!withPerDigit.length) none('perdigit', missing('test evaluation', runs))
    else
      inputs.perDigit = { runs: withPerDigit.map((r) => ({ run: r.label, perDigit: r.perDigit! })) }
  }
  if (o.figures.has('mindim') && !mixed) {
    if (!withPerDigit.length) none('mindim', missing('test evaluation', runs))
    else
      inputs.minDim = minimalLatentDim(
        withPerDigit.map((r) => ({
          latentDim: r.record.latent,
          perDigit: r.perDigit!,
          label: r.label.name
        })),
        o.tolerance
      )
  }
  return { runs, inputs, separability, skipped }
}

function byKind(rows: StoredFigure[]): Partial<Record<StoredFigure['kind'], StoredFigure>> {
  return Object.fromEntries(rows.map((f) => [f.kind, f]))
}

/** Stored float32 latent means as [n][latentDim] numbers (copied: the blob need not be 4-byte aligned). */
function latentMeans(fig: StoredFigure, latentDim: number): number[][] {
  const values = new Float32Array(fig.data.slice().buffer)
  const n = Math.floor(values.length / latentDim)
  return Array.from({ length: n }, (_, i) =>
    Array.from(values.subarray(i * latentDim, (i + 1) * latentDim))
  )
}

async function manifoldOf(
  store: RunStore,
  r: CollectedRun,
  stored: StoredFigure | undefined,
  mu: readonly (readonly number[])[],
  o: Options
): Promise<ManifoldInput> {
  const grid = o.manifoldGrid
  const range = o.manifoldRange
  const spacing = o.manifoldFit ? 'linear' : (o.manifoldSpacing ?? 'icdf')
  const lattice = o.manifoldFit
    ? linearLattice(grid, ...fitRanges(mu))
    : spacing === 'icdf'
      ? quantileLattice(grid)
      : linearLattice(grid, range)
  const outside = mu.length ? outsideShare(mu, lattice) : null
  const storedGrid = stored?.meta.grid ?? MANIFOLD_GRID
  const storedRange = (stored?.meta.range as number[] | undefined) ?? MANIFOLD_RANGE
  const input = { run: r.label, grid, spacing, ...lattice, outside } as const
  if (
    stored &&
    spacing === 'linear' &&
    !o.manifoldFit &&
    storedGrid === grid &&
    storedRange[0] === range[0] &&
    storedRange[1] === range[1]
  ) {
    return { ...input, images: stored.data }
  }
  o.onProgress?.(`decoding a ${grid} x ${grid} manifold for ${r.label.name}`)
  const id = r.record.id
  const checkpoint = (await store.checkpoint(id, 'final')) ?? (await store.checkpoint(id, 'latest'))
  if (!checkpoint)
    throw new VaeLabError(
      'NOT_FOUND',
      `run ${id} has no saved weights (status ${r.record.status}), so its manifold cannot be decoded`
    )
  const backend = await initBackend((await selectBackend('auto')).name)
  const cfg = r.record.config
  const params = createVaeParams(
    { inputDim: INPUT_DIM, hidden: cfg.hidden, latentDim: cfg.latentDim },
    cfg.init,
    cfg.seed
  )
  try {
    assignParams(params, checkpoint.tensors, `run ${id}'s checkpoint`)
    const images = await decodeLattice(
      { params, latentDim: cfg.latentDim, matMul: backend.matMul },
      lattice.xs,
      lattice.ys
    )
    return { ...input, images }
  } finally {
    disposeParams(params)
  }
}

async function hasWeights(store: RunStore, id: number): Promise<boolean> {
  return (
    (await store.checkpoint(id, 'final')) !== null ||
    (await store.checkpoint(id, 'latest')) !== null
  )
}

/** What labels 0..9 mean in `dataset`; the digits when it is no longer registered. */
async function classesOf(store: RunStore, dataset: string): Promise<string[]> {
  try {
    return (await resolveDataset(store, dataset)).classNames
  } catch {
    return classNamesFor(dataset)
  }
}
