// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, describe, expect, it, vi } from 'vitest'
import { setClient } from '../../../../src-renderer/api/client'
import ToastHost from '../../../../src-renderer/components/ToastHost.vue'
import { useNotices } from '../../../../src-renderer/stores/notices'
import { useRuns } from '../../../../src-renderer/stores/runs'
import CompareView from '../../../../src-renderer/views/CompareView.vue'
import RunDetailView from '../../../../src-renderer/views/RunDetailView.vue'
import { details, fakeClient, summary } from '../../../helpers/fakeClient'

function setup(runs = [summary(1, { status: 'running', epochsDone: 1 }), summary(2)]) {
  const fake = fakeClient(runs)
  setClient(fake.client)
  const pinia = createPinia()
  setActivePinia(pinia)
  return { ...fake, pinia, runs: useRuns() }
}

const epoch = (e: number) => ({
  epoch: e,
  train: { nelbo: 150 - e, rec: 140 - e, kl: 10 },
  test: { nelbo: 151 - e, rec: 141 - e, kl: 10 },
  testPerDigit: [],
  imgPerSec: 4000,
  seconds: 1
})

afterEach(() => {
  // A fake, not null: a throttled refresh still due (the runs' facets, 2 s) must not reach for a
  // real server after the test.
  setClient(fakeClient([]).client)
  document.body.innerHTML = ''
})

describe('CompareView', () => {
  it('follows its runs live: a finished epoch shows in the table at once', async () => {
    const { pinia, runs, emit, fn } = setup()
    await runs.start()
    const w = mount(CompareView, { props: { runIds: [1, 2] }, global: { plugins: [pinia] } })
    await flushPromises()
    const epochs = () => w.findAll('[data-testid=metrics-epochs]').map((c) => c.text())
    expect(epochs()).toEqual(['1', '4'])
    const calls = fn('getRun').mock.calls.length
    emit({ type: 'epoch', runId: 1, metrics: epoch(2) })
    await flushPromises()
    expect(epochs()).toEqual(['2', '4'])
    // No reload was needed for it.
    expect(fn('getRun').mock.calls.length).toBe(calls)
    w.unmount()
  })

  it('warns when the runs are on different datasets, and names both runs of one name apart', async () => {
    const { pinia, runs } = setup([
      summary(1, { name: 'latent 2' }),
      summary(2, { name: 'latent 2', dataset: 'fashion' })
    ])
    await runs.start()
    const w = mount(CompareView, { props: { runIds: [1, 2] }, global: { plugins: [pinia] } })
    await flushPromises()
    expect(w.get('[data-testid=mixed-datasets]').text()).toContain('mnist, fashion')
    const rows = w.findAll('[data-testid=metrics-table] tbody tr').map((r) => r.text())
    expect(rows[0]).toContain('1')
    expect(rows[1]).toContain('2')
    expect(rows[1]).toContain('fashion')
    w.unmount()
  })
})

describe('RunDetailView', () => {
  it('renames the run, adds and removes tags, and deletes it only after confirming', async () => {
    const { pinia, runs, fn } = setup([summary(3)])
    fn('getRun').mockImplementation(async () => details(summary(3), { tags: ['keep'] }))
    await runs.start()
    const w = mount(RunDetailView, { props: { id: 3 }, global: { plugins: [pinia] } })
    await flushPromises()
    const actions = w.get('[data-testid=run-actions]')
    await actions
      .findAll('button')
      .find((b) => b.text() === 'Rename…')!
      .trigger('click')
    await actions.get('input[aria-label="Run name"]').setValue('my run')
    await actions.get('form.inline').trigger('submit')
    await flushPromises()
    expect(fn('renameRun')).toHaveBeenCalledWith(3, 'my run')

    await actions.get('button[aria-label="Remove tag keep"]').trigger('click')
    await flushPromises()
    expect(fn('untagRun')).toHaveBeenCalledWith(3, 'keep')

    await actions
      .findAll('button')
      .find((b) => b.text() === 'Delete…')!
      .trigger('click')
    expect(fn('deleteRuns')).not.toHaveBeenCalled()
    await w.get('[role=dialog] [data-testid=confirm]').trigger('click')
    await flushPromises()
    expect(fn('deleteRuns')).toHaveBeenCalledWith([3])
    w.unmount()
  })

  it('computes the IWAE bound with the k the user chose, showing progress', async () => {
    const { pinia, runs, fn, emit } = setup([summary(3)])
    let finish: (v: unknown) => void = () => {}
    fn('evaluateIwae').mockImplementation(() => new Promise((r) => (finish = r)))
    await runs.start()
    const w = mount(RunDetailView, { props: { id: 3 }, global: { plugins: [pinia] } })
    await flushPromises()
    const panel = w.get('[data-testid=iwae-panel]')
    await panel.get('input[aria-label=k]').setValue(500)
    await panel.get('form').trigger('submit')
    emit({ type: 'evaluation', runId: 3, k: 500, done: 40, total: 100 })
    await flushPromises()
    expect(fn('evaluateIwae')).toHaveBeenCalledWith(3, 500)
    expect(panel.get('[role=progressbar]').attributes('aria-valuenow')).toBe('40')
    finish({ k: 500, images: 100, nll: 99.5 })
    await flushPromises()
    w.unmount()
  })
})

describe('CompareView, issue 17', () => {
  function withConfigs(fn: (m: string) => ReturnType<typeof vi.fn>, seeds: Record<number, number>) {
    fn('getRun').mockImplementation(async (id: number) => {
      const d = details(summary(id, { epochsDone: id === 3 ? 2 : 4 }))
      d.run.config = { ...d.run.config, seed: seeds[id] ?? 0 }
      return d
    })
  }

  it('shows seed groups as mean ± sd with n, and the individual runs when untoggled', async () => {
    const { pinia, runs, fn } = setup([summary(1), summary(2)])
    withConfigs(fn, { 1: 1, 2: 2 })
    fn('figureInputs').mockImplementation(async () => ({
      inputs: {},
      separability: [],
      skipped: [],
      figureEpochs: [],
      grouped: {
        groups: [{ key: 'k', label: 'latent 2', latentDim: 2, runIds: [1, 2], seeds: [1, 2] }],
        inputs: {}
      }
    }))
    fn('getRun').mockImplementation(async (id: number) => {
      const d = details(summary(id, { testNelbo: id === 1 ? 100 : 102 }))
      d.run.config = { ...d.run.config, seed: id }
      d.evaluations = {
        final: {
          test: { nelbo: id === 1 ? 100 : 102, rec: 90, kl: 10 },
          activeUnits: { active: 2, variances: [1, 1] }
        }
      }
      return d
    })
    await runs.start()
    const w = mount(CompareView, { props: { runIds: [1, 2] }, global: { plugins: [pinia] } })
    await flushPromises()
    const table = w.get('[data-testid=seed-groups]')
    expect(table.get('[data-testid=group-n]').text()).toBe('2')
    // mean 101, sample sd sqrt(2) = 1.41
    expect(table.get('[data-testid=group-nelbo]').text()).toBe('101.00 ± 1.41')
    await w.get('[data-testid=group-seeds]').setValue(false)
    expect(w.find('[data-testid=seed-groups]').exists()).toBe(false)
    // The per-run table is there either way.
    expect(w.findAll('[data-testid=metrics-table] tbody tr')).toHaveLength(2)
    w.unmount()
  })

  it('highlights only the config fields that differ and warns when epochs differ', async () => {
    const { pinia, runs, fn } = setup([summary(1), summary(3)])
    withConfigs(fn, { 1: 1, 3: 5 })
    await runs.start()
    const w = mount(CompareView, { props: { runIds: [1, 3] }, global: { plugins: [pinia] } })
    await flushPromises()
    const diff = w.get('[data-testid=config-diff]')
    const rows = diff.findAll('tbody tr')
    expect(rows.map((r) => r.attributes('data-field'))).toEqual(['seed'])
    expect(rows[0].text()).toContain('1')
    expect(rows[0].text()).toContain('5')
    expect(diff.get('[data-testid=comparability-warning]').text()).toContain(
      'different numbers of epochs'
    )
    await diff.get('input[aria-label="Show every field"]').setValue(true)
    const all = diff.findAll('tbody tr')
    expect(all.length).toBeGreaterThan(5)
    expect(all.filter((r) => r.attributes('data-differs') === 'true')).toHaveLength(1)
    w.unmount()
  })

  it('moves every run to the epoch the slider shows, over the epochs all of them have', async () => {
    const { pinia, runs, fn } = setup([summary(1), summary(2)])
    fn('figureInputs').mockImplementation(async () => ({
      inputs: {},
      separability: [],
      skipped: [],
      figureEpochs: [
        { runId: 1, epochs: [1, 2, 3, 4] },
        { runId: 2, epochs: [1, 2, 3] }
      ]
    }))
    await runs.start()
    const w = mount(CompareView, { props: { runIds: [1, 2] }, global: { plugins: [pinia] } })
    await flushPromises()
    const slider = w.get('[data-testid=epoch-slider] input[type=range]')
    // Epochs 1-3 and "final".
    expect(slider.attributes('max')).toBe('3')
    await slider.setValue('1')
    await flushPromises()
    expect(fn('figureInputs').mock.lastCall![0]).toMatchObject({ runIds: [1, 2], epoch: 2 })
    expect(fn('figureInputs').mock.lastCall![0].figures).toEqual(
      expect.arrayContaining(['kl-per-dim', 'parallel'])
    )
    expect(w.get('[data-testid=epoch-shown]').text()).toBe('epoch 2')
    w.unmount()
  })
})

describe('RunDetailView, issue 17', () => {
  it('moves its figures to the epoch the slider shows, and back to the final ones', async () => {
    const { pinia, runs, fn } = setup([summary(3)])
    fn('figureInputs').mockImplementation(async (req: { epoch?: number }) => ({
      inputs: {},
      separability: [],
      skipped: [],
      figureEpochs: [{ runId: 3, epochs: [1, 2, 3, 4] }],
      ...(req.epoch ? { epoch: req.epoch } : {})
    }))
    await runs.start()
    const w = mount(RunDetailView, { props: { id: 3 }, global: { plugins: [pinia] } })
    await flushPromises()
    expect(fn('figureInputs').mock.lastCall![0]).not.toHaveProperty('epoch')
    expect(fn('figureInputs').mock.lastCall![0].figures).toEqual(
      expect.arrayContaining(['recon', 'kl-per-dim', 'traversal', 'interpolation', 'samples'])
    )
    const slider = w.get('[data-testid=epoch-slider] input[type=range]')
    expect(slider.attributes('max')).toBe('4')
    expect(w.get('[data-testid=epoch-shown]').text()).toBe('final')
    await slider.setValue('0')
    await flushPromises()
    expect(fn('figureInputs').mock.lastCall![0]).toMatchObject({ runIds: [3], epoch: 1 })
    // Decoded figures need the final weights: not asked for at an epoch.
    expect(fn('figureInputs').mock.lastCall![0].figures).toEqual([
      'recon',
      'manifold',
      'scatter',
      'kl-per-dim'
    ])
    expect(w.get('[data-testid=epoch-shown]').text()).toBe('epoch 1')
    await slider.setValue('4')
    await flushPromises()
    expect(fn('figureInputs').mock.lastCall![0]).not.toHaveProperty('epoch')
    expect(w.get('[data-testid=epoch-shown]').text()).toBe('final')
    w.unmount()
  })

  it('shows no epoch slider for a run stored before figures were kept per epoch', async () => {
    const { pinia, runs } = setup([summary(3)])
    await runs.start()
    const w = mount(RunDetailView, { props: { id: 3 }, global: { plugins: [pinia] } })
    await flushPromises()
    expect(w.find('[data-testid=epoch-slider]').exists()).toBe(false)
    // The explorer is there for a finished run with weights.
    expect(w.find('[data-testid=latent-explorer]').exists()).toBe(true)
    w.unmount()
  })

  it('puts published numbers beside the run without ever calling a run matching', async () => {
    const { pinia, runs } = setup([summary(3)])
    await runs.start()
    const w = mount(RunDetailView, { props: { id: 3 }, global: { plugins: [pinia] } })
    await flushPromises()
    const table = w.get('[data-testid=published-results]')
    expect(table.text()).toContain('Burda')
    expect(table.text()).toContain('86.76')
    // A 2-D run trained 4 epochs on MNIST is comparable to none of Table 1's rows.
    const rows = table.findAll('tbody tr')
    expect(rows.length).toBe(12)
    expect(rows.every((r) => r.attributes('data-comparable') === 'false')).toBe(true)
    expect(table.text()).toContain('latent dim 2, not 50')
    expect(table.get('[data-testid=published-summary]').text()).toContain('0 of 12 rows comparable')
    expect(table.get('details').attributes('open')).toBeUndefined()
    expect(table.text().toLowerCase()).not.toContain('match')
    w.unmount()
  })
})

describe('ToastHost', () => {
  it('shows at most three notices, counts a repeat instead of stacking it, and lets one go', async () => {
    const { pinia } = setup([])
    const w = mount(ToastHost, { global: { plugins: [pinia] } })
    const notices = useNotices()
    for (let i = 0; i < 3; i++) notices.alert('Tag 1 run: check the input', 'a tag is 1-64 letters')
    notices.alert('b')
    notices.alert('c')
    notices.alert('d')
    await flushPromises()
    const toasts = w.findAll('.toast')
    expect(toasts).toHaveLength(3)
    expect(w.text()).not.toContain('Tag 1 run')
    notices.alert('d')
    await flushPromises()
    expect(w.text()).toContain('×2')
    await w.findAll('button[aria-label=Dismiss]')[0].trigger('click')
    expect(w.findAll('.toast')).toHaveLength(2)
  })
})
