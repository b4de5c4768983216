// Compare (the heart of the workbench): which runs, the figure options, and the bundle of plain
// figure inputs from the api. The figures themselves come from core/figures' builders, the same
// ones the exports use (design.md, "one figure definition").
import { defineStore } from 'pinia'
import { computed, ref, shallowRef } from 'vue'
import type { FinalEvaluation, IwaeReport } from '../../src-main/common/contract'
import type { ProjectionMethod } from '../../src-main/common/figures/figureInputs'
import type { FigureBundle, RunDetailsDto } from '../../src-main/common/workbenchContract'
import { getClient } from '../api/client'
import { latestSweepRuns } from '../model/runTable'
import { useNotices } from './notices'
import { useRuns } from './runs'

export interface CompareOptions {
  manifoldGrid: number
  manifoldRange: [number, number]
  projection: ProjectionMethod
}

export const DEFAULT_OPTIONS: CompareOptions = {
  manifoldGrid: 20,
  manifoldRange: [-3, 3],
  projection: 'pca'
}

/** One row of the metrics table. */
export interface MetricsRow {
  runId: number
  name: string
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

export const useCompare = defineStore('compare', () => {
  const notices = useNotices()
  const runIds = ref<number[]>([])
  const options = ref<CompareOptions>({
    ...DEFAULT_OPTIONS,
    manifoldRange: [...DEFAULT_OPTIONS.manifoldRange]
  })
  const bundle = shallowRef<FigureBundle | null>(null)
  const details = shallowRef<RunDetailsDto[]>([])
  const loading = ref(false)
  const error = ref<string | null>(null)
  let seq = 0

  const rows = computed(() => details.value.map(metricsRow))

  /** The newest sweep's completed runs, when nothing was picked yet. */
  function pickDefault(): boolean {
    if (runIds.value.length) return false
    runIds.value = latestSweepRuns(useRuns().runs).map((r) => r.id)
    return runIds.value.length > 0
  }

  function setRuns(ids: readonly number[]): void {
    runIds.value = [...new Set(ids)].slice(0, 16)
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
    try {
      const [b, ds] = await Promise.all([
        getClient().figureInputs({
          runIds: ids,
          figures: ['recon', 'manifold', 'scatter', 'projection', 'curves', 'perdigit', 'mindim'],
          manifoldGrid: o.manifoldGrid,
          manifoldRange: [o.manifoldRange[0], o.manifoldRange[1]],
          projection: o.projection
        }),
        Promise.all(ids.map((id) => getClient().getRun(id)))
      ])
      if (mine !== seq) return
      bundle.value = b
      details.value = ds
    } catch (e) {
      if (mine !== seq) return
      error.value = e instanceof Error ? e.message : String(e)
      notices.error(e, 'Draw the comparison')
    } finally {
      if (mine === seq) loading.value = false
    }
  }

  return { runIds, options, bundle, details, rows, loading, error, pickDefault, setRuns, load }
})
