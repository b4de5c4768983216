// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { setClient } from '../../../../src-renderer/api/client'
import { useRuns } from '../../../../src-renderer/stores/runs'
import RunsView from '../../../../src-renderer/views/RunsView.vue'
import { fakeClient, summary } from '../../../helpers/fakeClient'

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms))

function setup() {
  const runs = [
    summary(5, { name: 'latent 2', latent: 2, status: 'running', epochsDone: 1 }),
    summary(6, { name: 'latent 5', latent: 5 })
  ]
  const fake = fakeClient(runs)
  setClient(fake.client)
  const pinia = createPinia()
  setActivePinia(pinia)
  const wrapper = mount(RunsView, { global: { plugins: [pinia] }, attachTo: document.body })
  return { ...fake, wrapper, store: useRuns() }
}

describe('RunsView', () => {
  beforeEach(() => {
    location.hash = '#/runs'
  })
  afterEach(() => {
    setClient(null)
    document.body.innerHTML = ''
  })

  it('keeps what the user types in the search while runs train (live updates never reset it)', async () => {
    const { wrapper, store, emit } = setup()
    await store.start()
    await flushPromises()
    const input = wrapper.get('input[type=search]')
    await input.setValue('latent:')
    for (let b = 1; b <= 6; b++) {
      emit({
        type: 'batch',
        runId: 5,
        epoch: 1,
        epochs: 4,
        batch: b,
        batches: 10,
        loss: 150,
        imgPerSec: 4000,
        etaSeconds: 30
      })
      emit({ type: 'runs-changed' })
      await wait(60)
    }
    await flushPromises()
    expect((input.element as HTMLInputElement).value).toBe('latent:')
  })

  it('filters by the search syntax, matching free words against names only, and keeps it in the URL', async () => {
    const { wrapper, store } = setup()
    await store.start()
    await flushPromises()
    expect(wrapper.findAll('[data-run-id]')).toHaveLength(2)
    await wrapper.get('input[type=search]').setValue('latent 5')
    await wait(250)
    // "latent 5" is run 6's name; run #5 "latent 2" does not match any more.
    expect(wrapper.findAll('[data-run-id]').map((r) => r.attributes('data-run-id'))).toEqual(['6'])
    expect(location.hash).toContain('q=latent+5')
    await wrapper.get('input[type=search]').setValue('colour:red')
    await wait(50)
    expect(wrapper.text()).toContain('unknown filter "colour"')
  })

  it('refuses a bad tag once, inline, keeping what was typed, without calling the api', async () => {
    const { wrapper, store, fn } = setup()
    await store.start()
    await flushPromises()
    store.selectAll([5, 6], true)
    await flushPromises()
    const tag = wrapper.get('input[aria-label="Tag to add"]')
    await tag.setValue('two words')
    await wrapper.get('form.inline').trigger('submit')
    await flushPromises()
    expect(wrapper.get('[role=alert]').text()).toMatch(/a tag is/)
    expect((tag.element as HTMLInputElement).value).toBe('two words')
    expect(fn('tagRun')).not.toHaveBeenCalled()
  })

  it('says the server is gone instead of showing a frozen ETA', async () => {
    const { wrapper, store, setConnection } = setup()
    await store.start()
    await flushPromises()
    setConnection('lost')
    await flushPromises()
    expect(wrapper.get('[data-testid=runs-lede]').text()).toContain('no contact with the server')
    expect(wrapper.get('[data-testid=runs-lede]').text()).not.toContain('left')
  })

  it('asks before deleting, naming how many runs go', async () => {
    const { wrapper, store, fn } = setup()
    await store.start()
    await flushPromises()
    store.selectAll([6], true)
    await flushPromises()
    await wrapper.get('button.danger-ghost').trigger('click')
    const dialog = wrapper.get('[role=dialog]')
    expect(dialog.text()).toContain('Delete 1 run')
    expect(fn('deleteRuns')).not.toHaveBeenCalled()
    await dialog.get('[data-testid=confirm]').trigger('click')
    await flushPromises()
    expect(fn('deleteRuns')).toHaveBeenCalledWith([6])
  })
})
