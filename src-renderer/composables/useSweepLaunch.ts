// Queuing a sweep after saying what it costs: the form is validated, the time it will take here
// is estimated (model/eta.ts), and the user confirms before anything is queued.
import { computed, ref } from 'vue'
import type { TrainConfig } from '../../src-main/common/contract'
import type { SweepRequestInput } from '../../src-main/common/workbenchContract'
import { count, duration } from '../model/format'
import { queueEta, sweepEta } from '../model/eta'
import { validateSweepForm, type SweepForm, type SweepValidation } from '../model/sweepForm'
import { useDatasets } from '../stores/datasets'
import { useQueue } from '../stores/queue'
import { useRuns } from '../stores/runs'

export interface PendingLaunch {
  title: string
  request: SweepRequestInput
  configs: TrainConfig[]
  /** "about 12 min" and how it was reckoned. */
  estimate: string
  basis: string
}

export function useSweepLaunch() {
  const queue = useQueue()
  const runs = useRuns()
  const datasets = useDatasets()
  const pending = ref<PendingLaunch | null>(null)

  const workers = computed(() => queue.status?.workers ?? 1)

  /** The estimate for a validated form, in words. */
  function describe(configs: TrainConfig[]): { estimate: string; basis: string } {
    const nTrain = datasets.list.find((d) => d.name === configs[0]?.dataset)?.nTrain ?? 60_000
    const backend = queue.choice?.name ?? null
    const history = runs.runs
      .filter((r) => r.status === 'completed' && r.imgPerSec)
      .map((r) => ({ rate: r.imgPerSec!, hidden: runs.facets.get(r.id)?.config.hidden ?? 500 }))
    const ahead = queueEta(
      runs.runs,
      (id) => runs.facets.get(id)?.config,
      (id) => runs.progress.get(id),
      (name) => datasets.list.find((d) => d.name === name)?.nTrain ?? 60_000,
      workers.value,
      backend
    )
    const e = sweepEta(configs, nTrain, workers.value, backend, history, ahead)
    const epochs = [...new Set(configs.map((c) => c.epochs))]
    const images = Math.min(configs[0]?.limitTrain ?? nTrain, nTrain)
    const basis =
      `${configs.length} run${configs.length > 1 ? 's' : ''} × ${epochs.map((x) => count(x)).join('/')} ` +
      `epoch${epochs.length === 1 && epochs[0] === 1 ? '' : 's'} × ${count(images)} images on ${workers.value} ` +
      `worker${workers.value > 1 ? 's' : ''}` +
      (e.measured
        ? ', at the speed measured here'
        : `; a rough guess for ${backend ?? 'this machine'} until the first epoch is measured`) +
      (e.after > 0 ? `; it starts after what is queued (about ${duration(e.after)})` : '')
    return { estimate: `about ${duration(e.seconds)}`, basis }
  }

  /** Validates and asks; answers the validation so the form can show what is wrong. */
  function ask(form: SweepForm, title: string, sweepName?: string): SweepValidation {
    const ds = datasets.list.find((d) => d.name === form.dataset)
    const v = validateSweepForm(form, ds?.nTrain ?? null)
    if (!v.ok) return v
    const request = sweepName && !v.request.sweepName ? { ...v.request, sweepName } : v.request
    pending.value = { title, request, configs: v.runs, ...describe(v.runs) }
    return v
  }

  async function confirm(): Promise<{ sweep: string; runIds: number[] } | null> {
    const p = pending.value
    pending.value = null
    if (!p) return null
    const r = await queue.submit(p.request)
    if (r) await runs.refresh()
    return r
  }

  function cancel(): void {
    pending.value = null
  }

  return { pending, ask, confirm, cancel, describe }
}
