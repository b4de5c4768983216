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
import {
  TagSchema,
  type RunFacets,
  type WorkbenchEvent
} from '../../src-main/common/workbenchContract'
import { getClient, type ConnectionState } from '../api/client'
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
  /** Tags, note and config of each run (runFacets), re-read when anything changed anywhere. */
  const facets = shallowRef(new Map<number, RunFacets>())
  const tags = computed(
    () => new Map([...facets.value].map(([id, f]) => [id, f.tags] as [number, string[]]))
  )
  const selected = ref(new Set<number>())
  const query = ref<RunQuery>({ ...EMPTY_QUERY })
  const sortKey = ref<SortKey>('id')
  const sortDir = ref<SortDir>('desc')
  /** 'lost' while browser mode's server cannot be reached (the header shows a banner). */
  const connection = ref<ConnectionState>('open')
  /** Running IWAE evaluations, by run: images done of total. */
  const evaluations = reactive(new Map<number, { k: number; done: number; total: number }>())
  const epochListeners = new Set<(runId: number, m: EpochMetrics) => void>()
  const statusListeners = new Set<(runId: number, status: RunStatus) => void>()
  const changeListeners = new Set<() => void>()

  const visible = computed(() =>
    sortRuns(filterRuns(runs.value, query.value, facets.value), sortKey.value, sortDir.value)
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
  let unwatchConnection: (() => void) | null = null
  let facetsAt = 0
  let facetsTimer: ReturnType<typeof setTimeout> | null = null

  /** Re-reads every run's tags, note and config; at most every 2 s, however often runs change. */
  function refreshFacets(): void {
    if (facetsTimer) return
    const wait = Math.max(0, facetsAt + 2000 - Date.now())
    facetsTimer = setTimeout(() => {
      facetsTimer = null
      facetsAt = Date.now()
      getClient()
        .runFacets()
        .then((list) => (facets.value = new Map(list.map((f) => [f.id, f]))))
        .catch(() => {
          // The runs list reports problems; facets only refine it.
        })
    }, wait)
  }

  async function refresh(): Promise<void> {
    try {
      runs.value = await getClient().listRuns()
      refreshFacets()
      for (const l of changeListeners) l()
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
        for (const l of statusListeners) l(e.runId, e.status)
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
      case 'evaluation':
        if (e.done >= e.total) evaluations.delete(e.runId)
        else evaluations.set(e.runId, { k: e.k, done: e.done, total: e.total })
        break
    }
  }

  function onConnection(state: ConnectionState): void {
    connection.value = state
    // Bars and ETAs of a server that is gone would be frozen lies: they go until it is back.
    if (state === 'lost') {
      progress.clear()
      pending = new Map()
    }
  }

  /** Loads the runs and follows events; safe to call more than once. */
  async function start(): Promise<void> {
    if (!unsubscribe) unsubscribe = getClient().onEvent(onEvent)
    if (!unwatchConnection) unwatchConnection = getClient().onConnection?.(onConnection) ?? null
    await refresh()
  }

  function stop(): void {
    unsubscribe?.()
    unsubscribe = null
    unwatchConnection?.()
    unwatchConnection = null
  }

  /** Run detail's and Compare's live curves hear each finished epoch here. */
  function onEpoch(listener: (runId: number, m: EpochMetrics) => void): () => void {
    epochListeners.add(listener)
    return () => epochListeners.delete(listener)
  }

  /** Compare reloads its figures when one of its runs changes status. */
  function onStatus(listener: (runId: number, status: RunStatus) => void): () => void {
    statusListeners.add(listener)
    return () => statusListeners.delete(listener)
  }

  /** Views that show run names or notes re-read after any change, from any process. */
  function onChange(listener: () => void): () => void {
    changeListeners.add(listener)
    return () => changeListeners.delete(listener)
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

  async function remove(ids: readonly number[]): Promise<boolean> {
    if (!ids.length) return false
    let ok = false
    try {
      await getClient().deleteRuns([...ids])
      notices.info(`Deleted ${ids.length} run${ids.length > 1 ? 's' : ''}`)
      selected.value = new Set([...selected.value].filter((id) => !ids.includes(id)))
      ok = true
    } catch (e) {
      notices.error(e, 'Delete')
    }
    await refresh()
    return ok
  }

  function patchFacets(id: number, patch: Partial<RunFacets>): void {
    const f = facets.value.get(id)
    if (!f) return refreshFacets()
    facets.value = new Map(facets.value).set(id, { ...f, ...patch })
  }

  /**
   * Tags runs. A tag the contract refuses is refused here, once, before any call: the message
   * comes back for the input to show (and the input keeps what was typed).
   */
  async function tag(ids: readonly number[], t: string): Promise<string | null> {
    const parsed = TagSchema.safeParse(t.trim())
    if (!parsed.success) return parsed.error.issues[0].message
    const name = parsed.data
    const failed: unknown[] = []
    let n = 0
    for (const id of ids) {
      try {
        await getClient().tagRun(id, name)
        patchFacets(id, { tags: [...new Set([...(tags.value.get(id) ?? []), name])] })
        n++
      } catch (e) {
        failed.push(e)
      }
    }
    if (failed.length)
      notices.error(failed[0], `Tag ${failed.length} run${failed.length > 1 ? 's' : ''}`)
    if (n) notices.info(`Tagged ${n} run${n > 1 ? 's' : ''} "${name}"`)
    refreshSoon()
    return null
  }

  async function untag(id: number, t: string): Promise<void> {
    try {
      await getClient().untagRun(id, t)
      patchFacets(id, { tags: (tags.value.get(id) ?? []).filter((x) => x !== t) })
    } catch (e) {
      notices.error(e, `Remove tag "${t}"`)
    }
  }

  async function rename(id: number, name: string): Promise<boolean> {
    try {
      await getClient().renameRun(id, name)
      patchRun(id, { name: name.trim() })
      return true
    } catch (e) {
      notices.error(e, `Rename run ${id}`)
      return false
    }
  }

  async function setNote(id: number, note: string): Promise<boolean> {
    try {
      await getClient().noteRun(id, note)
      patchFacets(id, { note })
      notices.info('Note saved')
      return true
    } catch (e) {
      notices.error(e, `Save the note of run ${id}`)
      return false
    }
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
    facets,
    tags,
    selected,
    query,
    sortKey,
    sortDir,
    connection,
    evaluations,
    visible,
    sweeps,
    byId,
    active,
    refresh,
    start,
    stop,
    onEvent,
    onConnection,
    onEpoch,
    onStatus,
    onChange,
    setSort,
    refreshFacets,
    cancel,
    resume,
    remove,
    tag,
    untag,
    rename,
    setNote,
    toggle,
    selectAll
  }
})
