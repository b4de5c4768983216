// A fake api client for component tests: every method a vi.fn with a plain answer, events and
// the connection state driven by the test.
import { vi } from 'vitest'
import type { RunSummary } from '../../src-main/common/contract'
import { TrainConfigSchema } from '../../src-main/common/contract'
import type {
  DecodedImages,
  ExplorerInfo,
  FigureBundle,
  RunDetailsDto,
  RunFacets,
  WorkbenchEvent
} from '../../src-main/common/workbenchContract'
import { API_METHODS } from '../../src-main/common/apiMethods'
import type { Client, ConnectionState } from '../../src-renderer/api/client'

export function summary(id: number, over: Partial<RunSummary> = {}): RunSummary {
  return {
    id,
    name: `latent ${id}`,
    sweep: 's1',
    status: 'completed',
    dataset: 'mnist',
    latent: 2,
    backend: 'wasm',
    epochs: 4,
    epochsDone: 4,
    trainNelbo: 150,
    testNelbo: 152,
    testRec: 140,
    testKl: 12,
    imgPerSec: 5000,
    createdAt: '2026-01-01T00:00:00Z',
    ...over
  }
}

export function details(s: RunSummary, over: Partial<RunDetailsDto['run']> = {}): RunDetailsDto {
  return {
    run: {
      ...s,
      config: TrainConfigSchema.parse({ latentDim: s.latent, epochs: s.epochs }),
      backendDetail: null,
      codeVersion: 'test',
      message: null,
      note: null,
      tags: [],
      priority: 0,
      resumes: 0,
      ...over
    },
    metrics: Array.from({ length: s.epochsDone }, (_, i) => ({
      epoch: i + 1,
      train: { nelbo: 160 - i, rec: 150 - i, kl: 10 },
      test: { nelbo: 161 - i, rec: 151 - i, kl: 10 },
      testPerDigit: Array.from({ length: 10 }, () => ({ nelbo: 150, rec: 140, kl: 10 })),
      imgPerSec: 5000,
      seconds: 1
    })),
    evaluations: {},
    protocol: `MNIST, grey levels as probabilities; MLP 784-500-${s.latent} tanh; seed 1`
  }
}

export function fakeClient(runs: RunSummary[], facets: RunFacets[] = []) {
  const listeners = new Set<(e: WorkbenchEvent) => void>()
  const connection = new Set<(s: ConnectionState) => void>()
  const methods = Object.fromEntries(API_METHODS.map((m) => [m, vi.fn(async () => undefined)]))
  const client = {
    ...methods,
    mode: 'browser' as const,
    onEvent: (l: (e: WorkbenchEvent) => void) => {
      listeners.add(l)
      return () => listeners.delete(l)
    },
    onConnection: (l: (s: ConnectionState) => void) => {
      connection.add(l)
      return () => connection.delete(l)
    }
  } as unknown as Client & Record<string, ReturnType<typeof vi.fn>>
  const fn = (m: string) => (client as unknown as Record<string, ReturnType<typeof vi.fn>>)[m]
  fn('listRuns').mockImplementation(async () => runs.map((r) => ({ ...r })))
  fn('runFacets').mockImplementation(async () => facets)
  fn('listDatasets').mockImplementation(async () => [
    {
      name: 'mnist',
      source: 'builtin',
      nTrain: 60000,
      nTest: 10000,
      files: { trainImages: '', trainLabels: '', testImages: '', testLabels: '' },
      classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']
    }
  ])
  fn('getRun').mockImplementation(async (id: number) => {
    const r = runs.find((x) => x.id === id)
    if (!r) throw Object.assign(new Error('no run'), { code: 'NOT_FOUND' })
    return details(r)
  })
  fn('figureInputs').mockImplementation(
    async (): Promise<FigureBundle> => ({
      inputs: {},
      separability: [],
      skipped: [],
      figureEpochs: []
    })
  )
  // The explorer of a 2-D run: three encoded test images; a decode fills the image with a grey
  // level that follows z (so a different point gives a different image).
  fn('latentExplorer').mockImplementation(
    async (runId: number): Promise<ExplorerInfo> => ({
      runId,
      latentDim: 2,
      weights: { kind: 'final', epoch: 4 },
      points: [
        [-1, -1],
        [0, 0.5],
        [1.5, 1]
      ],
      labels: [0, 1, 2],
      indices: [3, 7, 9],
      images: btoa(String.fromCharCode(...new Uint8Array(3 * 784))),
      klPerDim: [2.5, 0.5]
    })
  )
  fn('decodeLatent').mockImplementation(
    async (_runId: number, points: number[][]): Promise<DecodedImages> => {
      const px = new Uint8Array(points.length * 784)
      points.forEach((p, i) =>
        px.fill(
          Math.round(Math.min(255, Math.max(0, (p[0] + 4) * 30 + p[1] * 3))),
          i * 784,
          (i + 1) * 784
        )
      )
      return { count: points.length, images: Buffer.from(px).toString('base64'), ms: 1 }
    }
  )
  fn('backends').mockImplementation(async () => [])
  fn('chooseBackend').mockImplementation(async () => ({ name: 'wasm', reason: 'test' }))
  fn('queueStatus').mockImplementation(async () => ({ workers: 2, running: [], queued: [] }))
  return {
    client,
    fn,
    emit: (e: WorkbenchEvent) => listeners.forEach((l) => l(e)),
    setConnection: (s: ConnectionState) => connection.forEach((l) => l(s))
  }
}
