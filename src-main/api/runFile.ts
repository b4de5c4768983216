// Files of one run for the UI to save: its weights, and its per-epoch metrics as CSV. Answered as
// base64 inside the api's JSON, so IPC and HTTP carry them alike (a 500-hidden checkpoint is ~10 MB).
import type { FilePayload, RunFileKind } from '../common/workbenchContract'
import { VaeLabError } from '../common/errors'
import { toCsv } from '../core/figures/export/metricsTables'
import type { RunStore } from '../core/store/runStore'

export async function runFile(
  store: RunStore,
  runId: number,
  file: RunFileKind
): Promise<FilePayload> {
  const run = await store.requireRun(runId)
  const stem = `vae-lab-run-${runId}`
  if (file === 'metrics') {
    const csv = toCsv(
      [
        'run_id',
        'epoch',
        'train_nelbo',
        'train_rec',
        'train_kl',
        'test_nelbo',
        'test_rec',
        'test_kl',
        ...Array.from({ length: 10 }, (_, c) => `test_nelbo_class_${c}`),
        'img_per_s',
        'seconds'
      ],
      (await store.epochMetrics(runId)).map((m) => [
        runId,
        m.epoch,
        m.train.nelbo,
        m.train.rec,
        m.train.kl,
        m.test.nelbo,
        m.test.rec,
        m.test.kl,
        ...Array.from({ length: 10 }, (_, c) => m.testPerDigit[c]?.nelbo),
        m.imgPerSec,
        m.seconds
      ])
    )
    const bytes = Buffer.from(csv, 'utf8')
    return {
      fileName: `${stem}-metrics.csv`,
      mimeType: 'text/csv',
      base64: bytes.toString('base64'),
      bytes: bytes.length
    }
  }
  const checkpoint =
    (await store.checkpoint(runId, 'final')) ?? (await store.checkpoint(runId, 'latest'))
  if (!checkpoint)
    throw new VaeLabError(
      'NOT_FOUND',
      `run ${runId} has no saved weights yet (status ${run.status}); they are saved after each epoch`
    )
  return {
    fileName: `${stem}-${checkpoint.kind}-epoch-${checkpoint.epoch}.vaelab-tensors`,
    mimeType: 'application/octet-stream',
    base64: Buffer.from(checkpoint.tensors).toString('base64'),
    bytes: checkpoint.tensors.length
  }
}
