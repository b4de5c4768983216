// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils'
import { createPinia, setActivePinia } from 'pinia'
import { afterEach, beforeEach, describe, expect, it } from 'vitest'
import { setClient } from '../../../../src-renderer/api/client'
import { useRuns } from '../../../../src-renderer/stores/runs'
import NewSweepView from '../../../../src-renderer/views/NewSweepView.vue'
import { details, fakeClient, summary } from '../../../helpers/fakeClient'

function setup(props: { from?: number } = {}) {
  const fake = fakeClient([summary(7, { latent: 5 })])
  fake.fn('queueSweep').mockImplementation(async () => ({ sweep: 's', runIds: [1, 2, 3, 4] }))
  setClient(fake.client)
  const pinia = createPinia()
  setActivePinia(pinia)
  const mountIt = () =>
    mount(NewSweepView, { props, global: { plugins: [pinia] }, attachTo: document.body })
  return { ...fake, wrapper: mountIt(), mountIt }
}

describe('NewSweepView', () => {
  beforeEach(() => localStorage.clear())
  afterEach(() => {
    setClient(null)
    document.body.innerHTML = ''
  })

  it('shows every problem at once, range errors beside text errors', async () => {
    const { wrapper, fn } = setup()
    await flushPromises()
    await wrapper.get('input[name=latentDim]').setValue('x')
    await wrapper.get('input[name=epochs]').setValue('0')
    await wrapper.get('input[name=beta]').setValue('-1')
    await wrapper.get('form.sweep-form').trigger('submit')
    await flushPromises()
    const errors = wrapper.findAll('small.error').map((e) => e.text())
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/not a number/),
        expect.stringMatching(/at least 1/),
        expect.stringMatching(/>= 0/)
      ])
    )
    expect(fn('queueSweep')).not.toHaveBeenCalled()
  })

  it('remembers the last values instead of resetting', async () => {
    const first = setup()
    await first.wrapper.get('input[name=latentDim]').setValue('3, 7')
    await first.wrapper.get('input[name=hidden]').setValue('64')
    await flushPromises()
    first.wrapper.unmount()
    const again = first.mountIt()
    await flushPromises()
    expect((again.get('input[name=latentDim]').element as HTMLInputElement).value).toBe('3, 7')
    expect((again.get('input[name=hidden]').element as HTMLInputElement).value).toBe('64')
  })

  it('offers the paper as published and asks with an estimate before queuing it', async () => {
    const { wrapper, fn } = setup()
    await flushPromises()
    const paper = wrapper.get('[data-preset=paper]')
    expect(paper.text()).toContain('Adagrad')
    expect(paper.text()).toContain('N(0, 0.01²)')
    await paper.findAll('button')[1].trigger('click')
    await flushPromises()
    const dialog = wrapper.get('[role=dialog]')
    expect(dialog.text()).toMatch(/about \d+ h/)
    expect(dialog.text()).toContain('1,667 epochs')
    expect(fn('queueSweep')).not.toHaveBeenCalled()
    await dialog.get('[data-testid=confirm]').trigger('click')
    await flushPromises()
    const req = fn('queueSweep').mock.calls[0][0] as { base: Record<string, unknown> }
    expect(req.base).toMatchObject({ optimizer: 'adagrad', init: 'paper', epochs: 1667 })
    expect(req.base.weightDecay).toBeCloseTo(1 / 60000)
  })

  it("clones a run's settings into the form", async () => {
    const { wrapper, fn } = setup({ from: 7 })
    fn('getRun').mockImplementation(async () => details(summary(7, { latent: 5 })))
    await flushPromises()
    expect(wrapper.get('[data-testid=cloned-from]').text()).toContain('#7')
    expect((wrapper.get('input[name=latentDim]').element as HTMLInputElement).value).toBe('5')
    void useRuns
  })

  it('shows a field the service refused under that field, in the form’s words', async () => {
    const { wrapper, fn } = setup()
    fn('queueSweep').mockImplementation(async () => {
      const { ApiError } = await import('../../../../src-renderer/api/client')
      throw new ApiError(
        'INVALID_INPUT',
        'a sweep named "x" already exists; choose another name',
        'sweepName'
      )
    })
    await flushPromises()
    await wrapper.get('input[name=sweepName]').setValue('x')
    await wrapper.get('form.sweep-form').trigger('submit')
    await flushPromises()
    const field = wrapper.get('input[name=sweepName]').element.closest('label')!
    expect(field.textContent).toContain('already exists')
  })
})
