// Compare (the heart of the workbench): which runs, the figure options, and the bundle of plain
// figure inputs from the api. The figures themselves come from core/figures' builders, the same
// ones the exports use (design.md, "one figure definition"). It follows its runs live: each
// finished epoch extends the table and the curves at once; a status change or a rename made
// anywhere redraws the figures.
import { defineStore } from 'pinia'
import { computed, ref, shallowRef, triggerRef } from 'vue'
import type { EpochMetrics, FinalEvaluation, IwaeReport } from '../../src-main/common/contract'
import type { ExportFigure, ManifoldSpacing } from '../../src-main/common/exportContract'
import type { CurvesView, ProjectionMethod } from '../../src-main/common/figures/figureInputs'
import type { FigureBundle, RunDetailsDto } from '../../src-main/common/workbenchContract'
import { getClient } from '../api/client'
import { latestSweepRuns } from '../model/runTable'
import { useNotices } from './notices'
import { useRuns } from './runs'

export interface CompareOptions {
  manifoldGrid: number
  manifoldRange: [number, number]
  /** The paper's Gaussian-quantile lattice ('icdf', the default) or an even one over the range. */
  manifoldSpacing: ManifoldSpacing
  /** An even lattice over where the test latent means lie. */
  manifoldFit: boolean
  projection: ProjectionMethod
}

export const DEFAULT_OPTIONS: CompareOptions = {
  manifoldGrid: 20,
  manifoldRange: [-3, 3],
  manifoldSpacing: 'icdf',
  manifoldFit: false,
  projection: 'pca'
}

/** How figures are drawn on screen (no new data needed). */
export interface CompareView {
  curves: CurvesView
  barsFromZero: boolean
  /** Seed groups as mean ± sd (when some runs differ only in seed); false: the individual runs. */
  groupSeeds: boolean
}

/** One row of the metrics table. */
export interface MetricsRow {
  runId: number
  name: string
  dataset: string
  latent: number
  epochs: number
  testNelbo: number | null
  testRec: number | null
  testKl: number | null
  activeUnits: number | null
  /** The tightest importance-weighted bound computed (largest k), if any. */
  iwae: IwaeReport | null
  imgPerSec: number | null
  backend: string | null
}

export function metricsRow(d: RunDetailsDto): MetricsRow {
  const final = d.evaluations.final as FinalEvaluation | undefined
  const iwaes = Object.entries(d.evaluations)
    .filter(([k]) => k.startsWith('iwae/'))
    .map(([, v]) => v as IwaeReport)
    .sort((a, b) => b.k - a.k)
  return {
    runId: d.run.id,
    name: d.run.name ?? `run ${d.run.id}`,
    dataset: d.run.dataset,
    latent: d.run.latent,
    epochs: d.run.epochsDone,
    testNelbo: final?.test.nelbo ?? d.run.testNelbo,
    testRec: final?.test.rec ?? d.run.testRec,
    testKl: final?.test.kl ?? d.run.testKl,
    activeUnits: final?.activeUnits.active ?? null,
    iwae: iwaes[0] ?? null,
    imgPerSec: d.run.imgPerSec,
    backend: d.run.backend
  }
}

/** Compare's figures; issue 17 added KL per dim and the parallel coordinates of the configs. */
export const COMPARE_FIGURES = [
  'recon',
  'manifold',
  'scatter',
  'projection',
  'curves',
  'perdigit',
  'mindim',
  'kl-per-dim',
  'parallel'
] as const satisfies readonly ExportFigure[]

export const useCompare = defineStore('compare', () => {
  const notices = useNotices()
  const runIds = ref<number[]>([])
  const options = ref<CompareOptions>({
    ...DEFAULT_OPTIONS,
    manifoldRange: [...DEFAULT_OPTIONS.manifoldRange]
  })
  const view = ref<CompareView>({
    curves: { logY: false, smoothing: 0 },
    barsFromZero: true,
    groupSeeds: true
  })
  /** The epoch every per-epoch figure shows (issue 17); null: the final figures. */
  const epoch = ref<number | null>(null)
  /** Epochs with figure data in every compared run: the slider's positions. */
  const commonEpochs = computed(() => {
    const per = bundle.value?.figureEpochs ?? []
    if (!per.length || per.some((f) => !f.epochs.length)) return []
    return per[0].epochs.filter((e) => per.every((f) => f.epochs.includes(e)))
  })
  const bundle = shallowRef<FigureBundle | null>(null)
  const details = shallowRef<RunDetailsDto[]>([])
  const loading = ref(false)
  const error = ref<string | null>(null)
  let seq = 0
  let following: (() => void)[] = []
  let reloadTimer: ReturnType<typeof setTimeout> | null = null

  const rows = computed(() => details.value.map(metricsRow))
  const datasets = computed(() => [...new Set(details.value.map((d) => d.run.dataset))])

  /** Redraws soon: several runs finishing together cost one bundle, not one each. */
  function reloadSoon(ms = 600): void {
    if (reloadTimer) clearTimeout(reloadTimer)
    reloadTimer = setTimeout(() => {
      reloadTimer = null
      void load()
    }, ms)
  }

  /** An epoch of a compared run: the table and the curves grow now, without a new bundle. */
  function addEpoch(runId: number, m: EpochMetrics): void {
    if (!runIds.value.includes(runId)) return
    const d = details.value.find((x) => x.run.id === runId)
    if (d && !d.metrics.some((x) => x.epoch === m.epoch)) {
      d.metrics.push(m)
      Object.assign(d.run, {
        epochsDone: m.epoch,
        trainNelbo: m.train.nelbo,
        testNelbo: m.test.nelbo,
        testRec: m.test.rec,
        testKl: m.test.kl,
        imgPerSec: m.imgPerSec
      })
      triggerRef(details)
    }
    const b = bundle.value
    const curve = b?.inputs.curves?.runs.find((r) => r.run.runId === runId)
    if (!b || !curve) return reloadSoon()
    if (curve.epochs.some((e) => e.epoch === m.epoch)) return
    const runsOut = b.inputs.curves!.runs.map((r) =>
      r === curve
        ? { ...r, epochs: [...r.epochs, { epoch: m.epoch, train: m.train, test: m.test }] }
        : r
    )
    bundle.value = { ...b, inputs: { ...b.inputs, curves: { ...b.inputs.curves!, runs: runsOut } } }
  }

  /** Names, tags or notes changed somewhere (this window, a CLI): redraw if a name did. */
  function checkNames(): void {
    const byId = useRuns().byId
    if (details.value.some((d) => (byId.get(d.run.id)?.name ?? d.run.name) !== d.run.name))
      reloadSoon(200)
  }

  function follow(): void {
    if (following.length) return
    const runs = useRuns()
    following = [
      runs.onEpoch(addEpoch),
      runs.onStatus((id) => {
        if (runIds.value.includes(id)) reloadSoon()
      }),
      runs.onChange(checkNames)
    ]
  }

  function unfollow(): void {
    for (const off of following) off()
    following = []
    // A redraw still due would load the bundle for a view that is gone.
    if (reloadTimer) clearTimeout(reloadTimer)
    reloadTimer = null
  }

  /** The newest sweep's completed runs, when nothing was picked yet. */
  function pickDefault(): boolean {
    if (runIds.value.length) return false
    runIds.value = latestSweepRuns(useRuns().runs).map((r) => r.id)
    return runIds.value.length > 0
  }

  function setRuns(ids: readonly number[]): void {
    const next = [...new Set(ids)].slice(0, 16)
    // Another set of runs may not have the epoch shown: start again from the final figures.
    if (next.join(',') !== runIds.value.join(',')) epoch.value = null
    runIds.value = next
  }

  async function setEpoch(e: number | null): Promise<void> {
    epoch.value = e
    await load()
  }

  async function load(): Promise<void> {
    const ids = [...runIds.value]
    if (!ids.length) {
      bundle.value = null
      details.value = []
      return
    }
    const mine = ++seq
    loading.value = true
    error.value = null
    const o = options.value
    // The table comes first and on its own: a run still training has rows before it has figures.
    void Promise.all(ids.map((id) => getClient().getRun(id)))
      .then((ds) => {
        if (mine === seq && !details.value.length) details.value = ds
      })
      .catch(() => {})
    try {
      const [b, ds] = await Promise.all([
        getClient().figureInputs({
          runIds: ids,
          figures: [...COMPARE_FIGURES],
          ...(epoch.value !== null ? { epoch: epoch.value } : {}),
          manifoldGrid: o.manifoldGrid,
          manifoldRange: [o.manifoldRange[0], o.manifoldRange[1]],
          manifoldSpacing: o.manifoldSpacing,
          manifoldFit: o.manifoldFit,
          projection: o.projection
        }),
        Promise.all(ids.map((id) => getClient().getRun(id)))
      ])
      if (mine !== seq) return
      bundle.value = b
      details.value = ds
    } catch (e) {
      if (mine !== seq) return
      // A newer request replaced this one in the worker: not a failure.
      if ((e as { code?: string }).code === 'CANCELLED') return
      error.value = e instanceof Error ? e.message : String(e)
      notices.error(e, 'Draw the comparison')
    } finally {
      if (mine === seq) loading.value = false
    }
  }

  return {
    runIds,
    options,
    view,
    epoch,
    commonEpochs,
    setEpoch,
    bundle,
    details,
    rows,
    datasets,
    loading,
    error,
    pickDefault,
    setRuns,
    load,
    follow,
    unfollow
  }
})
