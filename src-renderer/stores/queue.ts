// Starting training: the sweep form's submission, the backends on offer and which one "auto" (or
// the user's choice) will really use, and the queue's state.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import type { BackendChoice, BackendName, BackendReport } from '../../src-main/common/contract'
import type { QueueStatus, SweepRequestInput } from '../../src-main/common/workbenchContract'
import { getClient, toApiError } from '../api/client'
import { useNotices } from './notices'
import { useRuns } from './runs'

export const useQueue = defineStore('queue', () => {
  const notices = useNotices()
  const backends = ref<BackendReport[]>([])
  const choice = ref<{
    asked: BackendChoice
    name: BackendName | null
    reason: string
    error: boolean
  } | null>(null)
  const status = ref<QueueStatus | null>(null)
  const submitting = ref(false)
  /** Why the last submission was refused, with the form field at fault when the api named one. */
  const refused = ref<{ field?: string; message: string } | null>(null)
  let choiceSeq = 0

  async function loadBackends(): Promise<void> {
    try {
      backends.value = await getClient().backends()
    } catch (e) {
      notices.error(e, 'List the backends')
    }
  }

  /** Asks the main process which backend `asked` resolves to, and why; the latest question wins. */
  async function explainBackend(asked: BackendChoice): Promise<void> {
    const seq = ++choiceSeq
    try {
      const r = await getClient().chooseBackend(asked)
      if (seq === choiceSeq) choice.value = { asked, name: r.name, reason: r.reason, error: false }
    } catch (e) {
      if (seq === choiceSeq)
        choice.value = {
          asked,
          name: null,
          reason: e instanceof Error ? e.message : String(e),
          error: true
        }
    }
  }

  async function loadStatus(): Promise<void> {
    try {
      status.value = await getClient().queueStatus()
    } catch (e) {
      notices.error(e, 'Read the queue')
    }
  }

  /** Queues a sweep; answers its name and run ids, or null after showing why it was refused. */
  async function submit(
    req: SweepRequestInput
  ): Promise<{ sweep: string; runIds: number[] } | null> {
    submitting.value = true
    refused.value = null
    try {
      const r = await getClient().queueSweep(req)
      notices.info(
        `Queued sweep "${r.sweep}"`,
        `${r.runIds.length} run${r.runIds.length > 1 ? 's' : ''}; training starts now.`
      )
      void useRuns().refresh()
      return r
    } catch (e) {
      const err = toApiError(e)
      refused.value = { field: err.field, message: err.message }
      notices.error(e, 'Queue the sweep')
      return null
    } finally {
      submitting.value = false
    }
  }

  return {
    backends,
    choice,
    status,
    submitting,
    refused,
    loadBackends,
    explainBackend,
    loadStatus,
    submit
  }
})
