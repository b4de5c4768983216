import { describe, expect, it } from 'vitest'
import {
  TrainConfigSchema,
  type RunStatus,
  type RunSummary,
  type TrainConfig
} from '../../../src-main/common/contract'
import { parseRunQuery } from '../../../src-renderer/model/runQuery'
import {
  EMPTY_QUERY,
  filterRuns,
  latestSweepRuns,
  sortRuns,
  sweepsOf
} from '../../../src-renderer/model/runTable'

const STATUSES: RunStatus[] = ['completed', 'running', 'queued', 'failed', 'cancelled']

function run(id: number, over: Partial<RunSummary> = {}): RunSummary {
  const latent = [2, 5, 10, 50][id % 4]
  return {
    id,
    name: `latent ${latent}`,
    sweep: `sweep ${Math.floor((id - 1) / 4)}`,
    status: STATUSES[id % 5],
    dataset: 'mnist',
    latent,
    backend: 'wasm',
    epochs: 10,
    epochsDone: id % 11,
    trainNelbo: null,
    testNelbo: id % 7 === 0 ? null : 100 + ((id * 37) % 50),
    testRec: null,
    testKl: null,
    imgPerSec: 1000 + id,
    createdAt: new Date(1_700_000_000_000 + id * 1000).toISOString(),
    ...over
  }
}

const thousand = Array.from({ length: 1000 }, (_, i) => run(i + 1))

describe('runTable', () => {
  it('filters 1,000 runs by a small syntax', () => {
    const hits = filterRuns(thousand, { ...EMPTY_QUERY, text: 'latent:50 STATUS:running' })
    expect(hits.length).toBeGreaterThan(10)
    expect(hits.length).toBe(
      thousand.filter((r) => r.latent === 50 && r.status === 'running').length
    )
    expect(
      filterRuns(thousand, { ...EMPTY_QUERY, status: 'running' }).every(
        (r) => r.status === 'running'
      )
    ).toBe(true)
    expect(filterRuns(thousand, { ...EMPTY_QUERY, sweep: 'sweep 0' }).map((r) => r.id)).toEqual([
      1, 2, 3, 4
    ])
  })

  it('matches free words against names only: "latent 5" is not run #5 "latent 2"', () => {
    const runs = [run(5, { name: 'latent 2' }), run(6, { name: 'latent 5' })]
    expect(filterRuns(runs, { ...EMPTY_QUERY, text: 'latent 5' }).map((r) => r.id)).toEqual([6])
    expect(filterRuns(runs, { ...EMPTY_QUERY, text: '#5' }).map((r) => r.id)).toEqual([5])
  })

  it("filters by tags, datasets and config values from the runs' facets", () => {
    const config = (beta: number) =>
      ({ ...TrainConfigSchema.parse({ latentDim: 2 }), beta }) as TrainConfig
    const facets = new Map([
      [12, { tags: ['figure-6'], note: null, config: config(4) }],
      [13, { tags: [], note: 'odd one', config: config(1) }]
    ])
    const q = (text: string) =>
      filterRuns(thousand, { ...EMPTY_QUERY, text }, facets).map((r) => r.id)
    expect(q('tag:figure-6')).toEqual([12])
    expect(q('beta>1')).toEqual([12])
    expect(q('beta<=1 note:odd')).toEqual([13])
    expect(q('dataset:fashion')).toEqual([])
  })

  it('reports unknown filters and bad values instead of matching them as words', () => {
    const p = parseRunQuery('colour:red beta>x latent:5 hello')
    expect(p.errors).toHaveLength(2)
    expect(p.terms).toEqual([{ key: 'latent', op: ':', value: '5' }])
    expect(p.words).toEqual(['hello'])
  })

  it('sorts by test -ELBO with missing values last in both directions', () => {
    for (const dir of ['asc', 'desc'] as const) {
      const sorted = sortRuns(thousand, 'testNelbo', dir)
      const firstNull = sorted.findIndex((r) => r.testNelbo === null)
      expect(sorted.slice(firstNull).every((r) => r.testNelbo === null)).toBe(true)
      const values = sorted.slice(0, firstNull).map((r) => r.testNelbo!)
      expect(values).toEqual([...values].sort((a, b) => (dir === 'asc' ? a - b : b - a)))
    }
  })

  it('sorts 1,000 runs by status (running first) and by name with numbers in order', () => {
    const byStatus = sortRuns(thousand, 'status', 'asc')
    expect(byStatus[0].status).toBe('running')
    expect(byStatus.at(-1)!.status).toBe('completed')
    const names = sortRuns(
      [run(1, { name: 'latent 10' }), run(2, { name: 'latent 2' }), run(3, { name: 'latent 5' })],
      'name',
      'asc'
    ).map((r) => r.name)
    expect(names).toEqual(['latent 2', 'latent 5', 'latent 10'])
  })

  it('lists sweeps newest first and defaults Compare to the newest sweep with completed runs', () => {
    const runs = [
      run(1, { sweep: 'a', status: 'completed', latent: 10 }),
      run(2, { sweep: 'a', status: 'completed', latent: 2 }),
      run(3, { sweep: 'b', status: 'running' })
    ]
    expect(sweepsOf(runs)).toEqual(['b', 'a'])
    expect(latestSweepRuns(runs).map((r) => r.id)).toEqual([2, 1])
  })
})
