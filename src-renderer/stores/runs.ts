// All runs, their live progress and the Runs table's view state. The only caller of the run
// management api; other stores read runs from here.
import { defineStore } from 'pinia'
import { computed, reactive, ref, shallowRef, triggerRef } from 'vue'
import type {
  EpochMetrics,
  ProgressEvent,
  RunStatus,
  RunSummary
} from '../../src-main/common/contract'
import type { WorkbenchEvent } from '../../src-main/common/workbenchContract'
import { getClient } from '../api/client'
import {
  EMPTY_QUERY,
  filterRuns,
  sortRuns,
  sweepsOf,
  type RunQuery,
  type SortDir,
  type SortKey
} from '../model/runTable'
import { useNotices } from './notices'

/** The latest batch event of a running run. */
export type LiveProgress = Omit<Extract<ProgressEvent, { type: 'batch' }>, 'type' | 'runId'> & {
  /** 0..1 over the whole run. */
  fraction: number
}

/** Progress is redrawn at most this often, however fast batches arrive. */
const PROGRESS_INTERVAL_MS = 250
const REFRESH_DEBOUNCE_MS = 300

export const useRuns = defineStore('runs', () => {
  const notices = useNotices()
  // shallowRef: 1,000 plain rows need no deep reactivity; updates replace or trigger.
  const runs = shallowRef<RunSummary[]>([])
  const loaded = ref(false)
  const progress = reactive(new Map<number, LiveProgress>())
  const tags = reactive(new Map<number, string[]>())
  const selected = ref(new Set<number>())
  const query = ref<RunQuery>({ ...EMPTY_QUERY })
  const tagFilter = ref('')
  const sortKey = ref<SortKey>('id')
  const sortDir = ref<SortDir>('desc')
  const epochListeners = new Set<(runId: number, m: EpochMetrics) => void>()

  const visible = computed(() =>
    sortRuns(filterRuns(runs.value, query.value, tags), sortKey.value, sortDir.value)
  )
  const sweeps = computed(() => sweepsOf(runs.value))
  const byId = computed(() => new Map(runs.value.map((r) => [r.id, r])))
  const active = computed(() =>
    runs.value.filter((r) => r.status === 'running' || r.status === 'queued')
  )

  let refreshTimer: ReturnType<typeof setTimeout> | null = null
  let pending = new Map<number, LiveProgress>()
  let flushTimer: ReturnType<typeof setTimeout> | null = null
  let unsubscribe: (() => void) | null = null

  async function refresh(): Promise<void> {
    try {
      runs.value = await getClient().listRuns()
      loaded.value = true
      const ids = new Set(runs.value.map((r) => r.id))
      for (const id of [...progress.keys()])
        if (byId.value.get(id)?.status !== 'running') progress.delete(id)
      selected.value = new Set([...selected.value].filter((id) => ids.has(id)))
    } catch (e) {
      loaded.value = true
      notices.error(e, 'Load the runs')
    }
  }

  function refreshSoon(): void {
    if (refreshTimer) clearTimeout(refreshTimer)
    refreshTimer = setTimeout(() => {
      refreshTimer = null
      void refresh()
    }, REFRESH_DEBOUNCE_MS)
  }

  function patchRun(id: number, patch: Partial<RunSummary>): void {
    const r = runs.value.find((x) => x.id === id)
    if (!r) return refreshSoon()
    Object.assign(r, patch)
    triggerRef(runs)
  }

  function flushProgress(): void {
    flushTimer = null
    for (const [id, p] of pending) progress.set(id, p)
    pending = new Map()
  }

  function onEvent(e: WorkbenchEvent): void {
    switch (e.type) {
      case 'batch': {
        const fraction = ((e.epoch - 1) * e.batches + e.batch) / Math.max(1, e.epochs * e.batches)
        const p = {
          epoch: e.epoch,
          epochs: e.epochs,
          batch: e.batch,
          batches: e.batches,
          loss: e.loss,
          imgPerSec: e.imgPerSec,
          etaSeconds: e.etaSeconds,
          fraction
        }
        // A run's first progress shows at once (short runs finish within one interval); later ones are coalesced.
        if (!progress.has(e.runId)) progress.set(e.runId, p)
        else pending.set(e.runId, p)
        if (byId.value.get(e.runId)?.status === 'queued') patchRun(e.runId, { status: 'running' })
        flushTimer ??= setTimeout(flushProgress, PROGRESS_INTERVAL_MS)
        break
      }
      case 'epoch': {
        const m = e.metrics
        patchRun(e.runId, {
          epochsDone: m.epoch,
          trainNelbo: m.train.nelbo,
          testNelbo: m.test.nelbo,
          testRec: m.test.rec,
          testKl: m.test.kl,
          imgPerSec: m.imgPerSec
        })
        for (const l of epochListeners) l(e.runId, m)
        break
      }
      case 'status':
        patchRun(e.runId, { status: e.status as RunStatus })
        if (e.status !== 'running') progress.delete(e.runId)
        if (e.status === 'failed' || e.status === 'diverged') {
          const name = byId.value.get(e.runId)?.name ?? `run ${e.runId}`
          notices.alert(
            `${name} (run ${e.runId}) ${e.status}`,
            e.message ??
              (e.status === 'diverged'
                ? 'The loss became NaN or infinite; its finished epochs are kept. Try a smaller learning rate.'
                : '')
          )
        }
        refreshSoon()
        break
      case 'runs-changed':
        refreshSoon()
        break
    }
  }

  /** Loads the runs and follows events; safe to call more than once. */
  async function start(): Promise<void> {
    if (!unsubscribe) unsubscribe = getClient().onEvent(onEvent)
    await refresh()
  }

  function stop(): void {
    unsubscribe?.()
    unsubscribe = null
  }

  /** Run detail's live curves hear each finished epoch here. */
  function onEpoch(listener: (runId: number, m: EpochMetrics) => void): () => void {
    epochListeners.add(listener)
    return () => epochListeners.delete(listener)
  }

  function setSort(key: SortKey): void {
    if (sortKey.value === key) sortDir.value = sortDir.value === 'asc' ? 'desc' : 'asc'
    else {
      sortKey.value = key
      sortDir.value =
        key === 'name' || key === 'sweep' || key === 'backend' || key === 'status'
          ? 'asc'
          : key === 'testNelbo' || key === 'latent'
            ? 'asc'
            : 'desc'
    }
  }

  async function applyTagFilter(tag: string): Promise<void> {
    tagFilter.value = tag
    const t = tag.trim()
    if (!t) {
      query.value = { ...query.value, taggedIds: null }
      return
    }
    try {
      const tagged = await getClient().listRuns({ tag: t })
      query.value = { ...query.value, taggedIds: new Set(tagged.map((r) => r.id)) }
      for (const r of tagged)
        if (!tags.get(r.id)?.includes(t)) tags.set(r.id, [...(tags.get(r.id) ?? []), t])
    } catch (e) {
      notices.error(e, 'Filter by tag')
    }
  }

  /** Tags are not part of listRuns' rows: fetched for the rows on screen, once each. */
  const tagRequests = new Set<number>()
  async function ensureTags(ids: readonly number[]): Promise<void> {
    const missing = ids.filter((id) => !tags.has(id) && !tagRequests.has(id))
    for (const id of missing) tagRequests.add(id)
    await Promise.all(
      missing.map(async (id) => {
        try {
          const d = await getClient().getRun(id)
          tags.set(id, d.run.tags)
        } catch {
          // A run deleted meanwhile: nothing to show.
        } finally {
          tagRequests.delete(id)
        }
      })
    )
  }

  async function each(
    ids: readonly number[],
    doing: string,
    fn: (id: number) => Promise<unknown>
  ): Promise<number> {
    let done = 0
    for (const id of ids) {
      try {
        await fn(id)
        done++
      } catch (e) {
        notices.error(e, `${doing} run ${id}`)
      }
    }
    refreshSoon()
    return done
  }

  async function cancel(ids: readonly number[]): Promise<void> {
    const n = await each(ids, 'Cancel', (id) => getClient().cancelRun(id))
    if (n)
      notices.info(
        `Cancelling ${n} run${n > 1 ? 's' : ''}`,
        'Finished epochs are kept; resume continues from the last checkpoint.'
      )
  }

  async function resume(ids: readonly number[]): Promise<void> {
    const n = await each(ids, 'Resume', (id) => getClient().resumeRun(id))
    if (n) notices.info(`Queued ${n} run${n > 1 ? 's' : ''} to resume`)
  }

  async function remove(ids: readonly number[]): Promise<void> {
    if (!ids.length) return
    try {
      await getClient().deleteRuns([...ids])
      notices.info(`Deleted ${ids.length} run${ids.length > 1 ? 's' : ''}`)
      selected.value = new Set()
    } catch (e) {
      notices.error(e, 'Delete')
    }
    await refresh()
  }

  async function tag(ids: readonly number[], t: string): Promise<void> {
    const name = t.trim()
    if (!name) return
    const n = await each(ids, 'Tag', async (id) => {
      await getClient().tagRun(id, name)
      tags.set(id, [...new Set([...(tags.get(id) ?? []), name])])
    })
    if (n) notices.info(`Tagged ${n} run${n > 1 ? 's' : ''} "${name}"`)
  }

  function toggle(id: number, on?: boolean): void {
    const s = new Set(selected.value)
    if (on ?? !s.has(id)) s.add(id)
    else s.delete(id)
    selected.value = s
  }

  function selectAll(ids: readonly number[], on: boolean): void {
    selected.value = on
      ? new Set([...selected.value, ...ids])
      : new Set([...selected.value].filter((id) => !ids.includes(id)))
  }

  return {
    runs,
    loaded,
    progress,
    tags,
    selected,
    query,
    tagFilter,
    sortKey,
    sortDir,
    visible,
    sweeps,
    byId,
    active,
    refresh,
    start,
    stop,
    onEvent,
    onEpoch,
    setSort,
    applyTagFilter,
    ensureTags,
    cancel,
    resume,
    remove,
    tag,
    toggle,
    selectAll
  }
})
