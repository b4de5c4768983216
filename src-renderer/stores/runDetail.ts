// One run in detail: config, per-epoch metrics (growing live while it trains), evaluations and,
// once finished, its figures: the final ones, or those of the epoch the slider shows (issue 17).
import { defineStore } from 'pinia'
import { computed, ref, shallowRef, triggerRef } from 'vue'
import type { FigureBundle, RunDetailsDto } from '../../src-main/common/workbenchContract'
import type { ExportFigure } from '../../src-main/common/exportContract'
import { getClient } from '../api/client'
import { useNotices } from './notices'
import { useRuns } from './runs'

/** Run detail's figures: the final ones (or an epoch's), KL per dim and the decoded views. */
export const DETAIL_FIGURES = [
  'recon',
  'manifold',
  'scatter',
  'kl-per-dim',
  'traversal',
  'interpolation',
  'samples'
] as const satisfies readonly ExportFigure[]
/** At an epoch: the figures stored per epoch (the decoded ones need the final weights). */
const EPOCH_FIGURES = ['recon', 'manifold', 'scatter', 'kl-per-dim'] as const

export const useRunDetail = defineStore('runDetail', () => {
  const notices = useNotices()
  const runId = ref<number | null>(null)
  const details = shallowRef<RunDetailsDto | null>(null)
  const figures = shallowRef<FigureBundle | null>(null)
  const loading = ref(false)
  const missing = ref<string | null>(null)
  /** The epoch the per-epoch figures show; null: the final figures. */
  const epoch = ref<number | null>(null)
  /** The epochs with figure data (none for runs stored before issue 17: no slider). */
  const figureEpochs = computed(
    () => figures.value?.figureEpochs?.find((f) => f.runId === runId.value)?.epochs ?? []
  )
  let stopEpochs: (() => void) | null = null
  let figuresFor: string | null = null
  /** The final bundle's inputs: its decoded figures are kept while the slider shows an epoch. */
  let decoded: FigureBundle['inputs'] | null = null

  async function open(id: number): Promise<void> {
    if (runId.value !== id) {
      details.value = null
      figures.value = null
      figuresFor = null
      decoded = null
      epoch.value = null
    }
    runId.value = id
    missing.value = null
    stopEpochs ??= useRuns().onEpoch((rid, m) => {
      const d = details.value
      if (!d || rid !== d.run.id || d.metrics.some((x) => x.epoch === m.epoch)) return
      d.metrics.push(m)
      d.run.epochsDone = m.epoch
      triggerRef(details)
    })
    await reload()
  }

  async function reload(): Promise<void> {
    const id = runId.value
    if (id === null) return
    loading.value = true
    try {
      const d = await getClient().getRun(id)
      if (runId.value !== id) return
      details.value = d
      await loadFigures(d)
    } catch (e) {
      if (runId.value !== id) return
      const err = e as { code?: string; message?: string }
      if (err.code === 'NOT_FOUND') missing.value = err.message ?? `run ${id} does not exist`
      else notices.error(e, `Load run ${id}`)
    } finally {
      loading.value = false
    }
  }

  /** Figures exist for finished runs; fetched once per run and status. */
  async function loadFigures(d: RunDetailsDto): Promise<void> {
    const at = epoch.value
    const key = `${d.run.id}:${d.run.status}:${at ?? 'final'}`
    if (figuresFor === key || d.run.status !== 'completed') return
    figuresFor = key
    try {
      const b = await getClient().figureInputs({
        runIds: [d.run.id],
        figures: at === null ? [...DETAIL_FIGURES] : [...EPOCH_FIGURES],
        ...(at !== null ? { epoch: at } : {})
      })
      if (figuresFor !== key) return
      if (at === null) decoded = b.inputs
      // Traversals, interpolation and samples stay those of the final weights.
      figures.value =
        at === null
          ? b
          : {
              ...b,
              inputs: {
                ...b.inputs,
                traversals: decoded?.traversals,
                interpolations: decoded?.interpolations,
                samples: decoded?.samples
              }
            }
    } catch (e) {
      figuresFor = null
      // Another view's figure request took the worker: ask again while this run is open.
      if ((e as { code?: string }).code === 'CANCELLED') {
        setTimeout(() => {
          if (runId.value === d.run.id && details.value) void loadFigures(details.value)
        }, 800)
        return
      }
      notices.error(e, "Draw the run's figures")
    }
  }

  /** Re-reads the run itself (name, tags, note, status), not its figures; at most every second. */
  let refreshing: Promise<void> | null = null
  async function refreshDetails(): Promise<void> {
    const id = runId.value
    if (id === null || refreshing) return
    refreshing = (async () => {
      try {
        const d = await getClient().getRun(id)
        if (runId.value === id) details.value = d
      } catch {
        // A deleted run shows as missing at the next full reload.
      } finally {
        setTimeout(() => (refreshing = null), 1000)
      }
    })()
    await refreshing
  }

  /** Shows the figures of epoch `e` (null: the final ones). */
  async function setEpoch(e: number | null): Promise<void> {
    epoch.value = e
    if (details.value) await loadFigures(details.value)
  }

  function close(): void {
    stopEpochs?.()
    stopEpochs = null
  }

  return {
    runId,
    details,
    figures,
    loading,
    missing,
    epoch,
    figureEpochs,
    open,
    reload,
    refreshDetails,
    setEpoch,
    close
  }
})
