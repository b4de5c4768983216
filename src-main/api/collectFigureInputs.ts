// Reads what the figures need from the run store (stored figure data, metrics, evaluations) and
// runs the analyses, giving plain FigureInputs that the pure builders draw. Only a manifold at a
// grid or range other than the stored one touches tfjs: it is decoded again from the weights.
import type { EpochMetrics, FinalEvaluation } from '../common/contract'
import { EPOCH_FIGURES, type ExportFigure, type ExportRequest } from '../common/exportContract'
import { parallelInput } from '../common/configDiff'
import { decodeEpochFigures, type DecodedEpochFigures } from '../core/figures/epochFigureCodec'
import { decodedInputs, klFromWeights } from './decodedFigures'
import { knnAccuracy } from '../core/analysis/knnAccuracy'
import { minimalLatentDim } from '../core/analysis/minimalLatentDim'
import {
  groupCurves,
  groupMinDim,
  groupPerDigit,
  type GroupMemberData
} from '../core/analysis/seedGroupInputs'
import { hasRepeats, seedGroups, type SeedGroup } from '../common/seedGroups'
import { pca } from '../core/analysis/pca'
import { project2d } from '../core/analysis/project2d'
import { initBackend, selectBackend } from '../core/backend/backends'
import { VaeLabError } from '../common/errors'
import {
  IMAGE_PIXELS,
  type InterpolationInput,
  type ManifoldInput,
  type RunLabel,
  type SamplesInput,
  type ScatterPanel,
  type TraversalInput
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
import { disposeModel } from '../core/model/vaeModel'
import type { RunRecord, RunStore, StoredFigure } from '../core/store/runStore'
import { modelFromCheckpoint } from '../core/train/checkpoint'

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
  /** Runs that differ only in seed, and their figures as mean ± sd (when some group has two runs). */
  grouped?: GroupedInputs
  /** Per run, the epochs that have figure data. */
  figureEpochs: { runId: number; epochs: number[] }[]
}

/** Seed groups and the figures drawn from their means (issue 17). */
export interface GroupedInputs {
  groups: SeedGroup[]
  inputs: Pick<FigureInputs, 'curves' | 'perDigit' | 'minDim'>
}

type Options = Pick<
  ExportRequest,
  'manifoldGrid' | 'manifoldRange' | 'projection' | 'tolerance' | 'k'
> &
  Partial<Pick<ExportRequest, 'manifoldSpacing' | 'manifoldFit'>> & {
    figures: ReadonlySet<ExportFigure>
    /** Explicitly asked (not a report): a figure that cannot be drawn for any run is an error. */
    strict: boolean
    /** Draw curves, per-class bars and the minimal latent dim of seed groups as mean ± sd. */
    groupSeeds?: boolean
    /** The per-epoch figures as they were at this epoch (and per-class figures from its metrics). */
    epoch?: number
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
  const figureEpochs: Collected['figureEpochs'] = []
  const skipped: string[] = []
  const epoch = o.epoch
  for (const [i, record] of records.entries()) {
    const metrics = await store.epochMetrics(record.id)
    const final =
      ((await store.evaluations(record.id)).final as FinalEvaluation | undefined) ?? null
    const epochs = await store.figureEpochs(record.id)
    figureEpochs.push({ runId: record.id, epochs })
    if (epoch !== undefined) checkEpoch(record, metrics, epochs, epoch, o, skipped)
    const perDigitParts =
      epoch !== undefined
        ? (metrics.find((m) => m.epoch === epoch)?.testPerDigit ?? null)
        : (final?.testPerDigit ?? metrics.at(-1)?.testPerDigit ?? null)
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
  // The figure data drawn: the final (stored when a run finished), or that of `epoch`.
  const figures = new Map<number, ReturnType<typeof byKind>>()
  const atEpoch = new Map<number, DecodedEpochFigures>()
  for (const r of runs) {
    if (epoch === undefined) {
      figures.set(r.record.id, byKind(await store.figures(r.record.id)))
      continue
    }
    const decoded = decodeEpochFigures(
      await store.epochFigures(r.record.id, epoch),
      `run ${r.record.id}'s figures at epoch ${epoch}`
    )
    atEpoch.set(r.record.id, decoded)
    figures.set(r.record.id, storedForm(decoded))
  }
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
        ...(epoch !== undefined ? { epoch } : {}),
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
        const stored = atEpoch.get(r.record.id)?.manifold
        if (epoch !== undefined) {
          // At an epoch there are no weights to decode another lattice: the stored one is drawn.
          if (!stored) {
            skipped.push(`manifold: run ${r.record.id} has no manifold stored at epoch ${epoch}`)
            continue
          }
          const lattice = { xs: stored.xs, ys: stored.ys }
          manifolds.push({
            run: r.label,
            grid: stored.grid,
            spacing: stored.spacing,
            ...lattice,
            images: stored.images,
            outside: mu.length ? outsideShare(mu, lattice) : null,
            epoch
          })
          continue
        }
        // A run still before its first epoch has no weights to decode yet.
        if (!o.strict && !fig?.manifold && !(await hasWeights(store, r.record.id))) {
          skipped.push(`manifold: run ${r.record.id} (${r.record.status}) has no saved weights yet`)
          continue
        }
        manifolds.push(await manifoldOf(store, r, fig?.manifold, mu, o))
      }
      if (manifolds.length) inputs.manifolds = manifolds
      if (
        epoch !== undefined &&
        manifolds.length &&
        (o.manifoldFit || o.manifoldSpacing === 'linear' || o.manifoldGrid !== MANIFOLD_GRID)
      )
        skipped.push(
          `manifold: at epoch ${epoch} the stored lattice is drawn (the paper's, ${MANIFOLD_GRID} × ${MANIFOLD_GRID}); other lattices are decoded from the final weights`
        )
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
      const at = epoch !== undefined ? { epoch } : {}
      if (o.figures.has('scatter')) inputs.scatter = { panels: scatterPanels, ...at }
      const twin = o.projection === 'pca' && o.figures.has('scatter')
      if (o.figures.has('projection') && !twin)
        inputs.projection = { method: o.projection, input: { panels: projectionPanels, ...at } }
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
        showParts: true,
        ...(epoch !== undefined ? { markEpoch: epoch } : {})
      }
  }

  const withPerDigit = mixed ? [] : runs.filter((r) => r.perDigit)
  if (o.figures.has('perdigit') && !mixed) {
    if (!withPerDigit.length) none('perdigit', missing('test evaluation', runs))
    else
      inputs.perDigit = {
        runs: withPerDigit.map((r) => ({ run: r.label, perDigit: r.perDigit! })),
        ...(epoch !== undefined ? { epoch } : {})
      }
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
  await collectIssue17(store, runs, figures, atEpoch, inputs, skipped, o)
  const grouped = groupedInputs(runs, o)
  if (o.groupSeeds) {
    if (!grouped)
      skipped.push('group-seeds: no two of these runs differ only in their seed; drawn per run')
    else Object.assign(inputs, grouped.inputs)
  }
  return { runs, inputs, separability, skipped, figureEpochs, ...(grouped ? { grouped } : {}) }
}

/**
 * `--epoch N` (strict, the CLI) needs every run to have that epoch, with figure data where
 * per-epoch figures are asked for: else exit 2, nothing written. The workbench (not strict) skips
 * such a run with a note instead.
 */
function checkEpoch(
  record: RunRecord,
  metrics: readonly EpochMetrics[],
  epochs: readonly number[],
  epoch: number,
  o: Options,
  skipped: string[]
): void {
  const wantsFigures = EPOCH_FIGURES.some((f) => o.figures.has(f))
  const span = (xs: readonly number[]) =>
    xs.length === 1 ? `epoch ${xs[0]}` : `epochs ${xs[0]}–${xs[xs.length - 1]}`
  let why: string | null = null
  if (!metrics.some((m) => m.epoch === epoch))
    why = metrics.length
      ? `run ${record.id} has no epoch ${epoch}: it has ${span(metrics.map((m) => m.epoch))}`
      : `run ${record.id} has no finished epoch yet`
  else if (wantsFigures && !epochs.includes(epoch))
    why = epochs.length
      ? `run ${record.id} has no figure data at epoch ${epoch}: it has ${span(epochs)}`
      : `run ${record.id} was stored before VAE Lab kept figures at every epoch: only its final figures exist`
  if (!why) return
  if (o.strict)
    throw new VaeLabError('INVALID_INPUT', `${why}; choose another --epoch, or leave it out`, {
      field: 'epoch'
    })
  skipped.push(`epoch ${epoch}: ${why}`)
}

/** Decoded epoch figures in the stored rows' form the figures above read (recon, scatter). */
function storedForm(d: DecodedEpochFigures): Partial<Record<StoredFigure['kind'], StoredFigure>> {
  const out: Partial<Record<StoredFigure['kind'], StoredFigure>> = {}
  if (d.recon) {
    const data = new Uint8Array(d.recon.originals.length + d.recon.reconstructions.length)
    data.set(d.recon.originals, 0)
    data.set(d.recon.reconstructions, d.recon.originals.length)
    out.recon = { kind: 'recon', meta: { indices: d.recon.indices, labels: d.recon.labels }, data }
  }
  if (d.scatter) {
    const mu = Float32Array.from(d.scatter.mu)
    out.scatter = {
      kind: 'scatter',
      meta: { indices: d.scatter.indices, labels: d.scatter.labels },
      data: new Uint8Array(mu.buffer)
    }
  }
  return out
}

/** Issue 17's per-run figures: KL per latent dim, and those decoded from the weights. */
async function collectIssue17(
  store: RunStore,
  runs: readonly CollectedRun[],
  figures: ReadonlyMap<number, Partial<Record<StoredFigure['kind'], StoredFigure>>>,
  atEpoch: ReadonlyMap<number, DecodedEpochFigures>,
  inputs: FigureInputs,
  skipped: string[],
  o: Options
): Promise<void> {
  const epoch = o.epoch
  const want = {
    traversal: o.figures.has('traversal'),
    interpolation: o.figures.has('interpolation'),
    samples: o.figures.has('samples')
  }
  const wantsKl = o.figures.has('kl-per-dim')
  if (o.figures.has('parallel')) {
    if (runs.length < 2) {
      if (o.strict)
        throw new VaeLabError(
          'INVALID_INPUT',
          'the parallel-coordinates figure compares runs: give two runs or more (or a sweep)',
          { field: 'figures' }
        )
    } else {
      const input = parallelInput(
        runs.map((r) => ({
          id: r.record.id,
          name: r.record.name,
          latent: r.record.latent,
          epochsDone: r.record.epochsDone,
          config: r.record.config as unknown as Record<string, unknown>,
          testNelbo: r.final?.test.nelbo ?? r.metrics.at(-1)?.test.nelbo ?? null
        })),
        runs.map((r) => r.label)
      )
      if (input.fields.length < 2)
        skipped.push('parallel: the runs do not differ in any config field')
      else inputs.parallel = input
    }
  }
  if (!wantsKl && !want.traversal && !want.interpolation && !want.samples) return
  const kls: NonNullable<FigureInputs['klPerDim']>[number][] = []
  const traversals: TraversalInput[] = []
  const interpolations: InterpolationInput[] = []
  const samples: SamplesInput[] = []
  for (const [k, r] of runs.entries()) {
    const id = r.record.id
    // KL per dim: at the epoch, else the final evaluation's, else the latest epoch's, else (a run
    // stored before issue 17) computed from its weights.
    let kl: readonly number[] | null = null
    if (epoch !== undefined) kl = atEpoch.get(id)?.klPerDim ?? null
    else kl = r.final?.klPerDim ?? (await latestKl(store, id))
    if (kl === null && epoch === undefined && (await hasWeights(store, id))) {
      o.onProgress?.(`KL per latent dimension of ${r.label.name}`)
      kl = await klFromWeights(store, r.record)
    }
    if (wantsKl) {
      if (kl)
        kls.push({
          run: r.label,
          klPerDim: kl,
          variances: epoch === undefined ? (r.final?.activeUnits.variances ?? null) : null,
          threshold: r.final?.activeUnits.threshold ?? 0.01,
          colorIndex: k,
          ...(epoch !== undefined ? { epoch } : {})
        })
      else skipped.push(`kl-per-dim: run ${id} (${r.record.status}) has no weights or KL stored`)
    }
    if (!want.traversal && !want.interpolation && !want.samples) continue
    if (!(await hasWeights(store, id))) {
      const why = `run ${id} (${r.record.status}) has no saved weights to decode yet`
      if (o.strict)
        throw new VaeLabError(
          'NOT_FOUND',
          `cannot draw traversal, interpolation or samples: ${why}`
        )
      skipped.push(`traversal/interpolation/samples: ${why}`)
      continue
    }
    const scatter = figures.get(id)?.scatter ?? (await latestScatter(store, id))
    const latents = scatter
      ? {
          indices: scatter.meta.indices as number[],
          labels: scatter.meta.labels as number[],
          mu: latentMeans(scatter, r.record.latent)
        }
      : null
    o.onProgress?.(`decoding ${r.label.name}`)
    const d = await decodedInputs(store, r.record, r.label, latents, kl, want, epoch)
    if (d.traversal) traversals.push(d.traversal)
    if (d.interpolation) interpolations.push(d.interpolation)
    if (d.samples) samples.push(d.samples)
  }
  if (wantsKl) {
    if (!kls.length && o.strict)
      throw new VaeLabError('NOT_FOUND', 'cannot draw kl-per-dim: no run has weights or KL stored')
    if (kls.length) inputs.klPerDim = kls
  }
  if (traversals.length) inputs.traversals = traversals
  if (interpolations.length) inputs.interpolations = interpolations
  if (samples.length) inputs.samples = samples
}

/** The KL per dim stored with a run's latest epoch (a run still training), if any. */
async function latestKl(store: RunStore, id: number): Promise<number[] | null> {
  const epochs = await store.figureEpochs(id)
  if (!epochs.length) return null
  const rows = await store.epochFigures(id, epochs[epochs.length - 1], ['klperdim'])
  return decodeEpochFigures(rows).klPerDim ?? null
}

/** The scatter set's latent means at a run's latest epoch, in the stored rows' form. */
async function latestScatter(store: RunStore, id: number): Promise<StoredFigure | undefined> {
  const epochs = await store.figureEpochs(id)
  if (!epochs.length) return undefined
  const rows = await store.epochFigures(id, epochs[epochs.length - 1], ['scatter'])
  return storedForm(decodeEpochFigures(rows)).scatter
}

/** The seed groups of `runs` and their figures, when some group holds two runs or more. */
function groupedInputs(runs: readonly CollectedRun[], o: Options): GroupedInputs | undefined {
  const groups = seedGroups(
    runs.map((r) => ({
      id: r.record.id,
      name: r.record.name,
      latent: r.record.latent,
      config: r.record.config
    }))
  )
  if (!hasRepeats(groups)) return undefined
  const byId = new Map<number, GroupMemberData>(
    runs.map((r) => [
      r.record.id,
      {
        id: r.record.id,
        seed: r.record.config.seed,
        epochs: r.metrics.map(({ epoch, train, test }) => ({ epoch, train, test })),
        perDigit: r.perDigit
      }
    ])
  )
  const datasets = new Set(runs.map((r) => r.record.dataset))
  const out: GroupedInputs['inputs'] = {}
  if (o.figures.has('curves')) {
    const curves = groupCurves(groups, byId)
    // The epoch the other figures show is marked on the group means too.
    if (curves) out.curves = o.epoch !== undefined ? { ...curves, markEpoch: o.epoch } : curves
  }
  if (datasets.size === 1) {
    if (o.figures.has('perdigit')) {
      const bars = groupPerDigit(groups, byId)
      if (bars) out.perDigit = bars
    }
    if (o.figures.has('mindim')) {
      const minDim = groupMinDim(groups, byId, o.tolerance)
      if (minDim) out.minDim = minDim
    }
  }
  return { groups, inputs: out }
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
  const model = modelFromCheckpoint(cfg, checkpoint.tensors, `run ${id}'s checkpoint`, backend)
  try {
    const images = await decodeLattice(model, lattice.xs, lattice.ys)
    return { ...input, images }
  } finally {
    disposeModel(model)
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
