// @vitest-environment happy-dom
import { flushPromises, mount } from '@vue/test-utils'
import { afterEach, describe, expect, it } from 'vitest'
import { setClient } from '../../../../src-renderer/api/client'
import LatentExplorer from '../../../../src-renderer/components/LatentExplorer.vue'
import { fakeClient, summary } from '../../../helpers/fakeClient'

afterEach(() => {
  setClient(null)
  document.body.innerHTML = ''
})

function setup() {
  const fake = fakeClient([summary(1)])
  setClient(fake.client)
  return fake
}

describe('LatentExplorer', () => {
  it('decodes the first test image at once, then the point dragged to in the 2-D plane', async () => {
    const { fn } = setup()
    const w = mount(LatentExplorer, { props: { runId: 1 } })
    await flushPromises()
    expect(fn('latentExplorer')).toHaveBeenCalledWith(1)
    expect(fn('decodeLatent')).toHaveBeenLastCalledWith(1, [[-1, -1]])
    const image = () => w.get('[data-testid=explorer-image]').attributes('data-digest')
    const first = image()
    expect(first).not.toBe('')
    const plane = w.get('[data-testid=explorer-plane]')
    // The plane is 260 px wide; the right edge is the largest z1 drawn, the top the largest z2.
    await plane.trigger('pointerdown', { clientX: 250, clientY: 10, pointerId: 1 })
    await flushPromises()
    const [, [z]] = fn('decodeLatent').mock.lastCall as [number, number[][]]
    expect(z[0]).toBeGreaterThan(1.5)
    expect(z[1]).toBeGreaterThan(1)
    const second = image()
    expect(second).not.toBe(first)
    // Dragging (the button held) decodes again; moving without it does not.
    await plane.trigger('pointermove', { clientX: 20, clientY: 240, pointerId: 1 })
    await flushPromises()
    const [, [z2]] = fn('decodeLatent').mock.lastCall as [number, number[][]]
    expect(z2[0]).toBeLessThan(-1)
    expect(image()).not.toBe(second)
    await plane.trigger('pointerup', { pointerId: 1 })
    const calls = fn('decodeLatent').mock.calls.length
    await plane.trigger('pointermove', { clientX: 100, clientY: 100, pointerId: 1 })
    await flushPromises()
    expect(fn('decodeLatent').mock.calls.length).toBe(calls)
    w.unmount()
  })

  it('has one slider per dim, largest KL first, that decodes with the other dims at the chosen image', async () => {
    const { fn } = setup()
    const w = mount(LatentExplorer, { props: { runId: 1 } })
    await flushPromises()
    const sliders = w.findAll('input[type=range]')
    expect(sliders.map((s) => s.attributes('data-dim'))).toEqual(['0', '1'])
    await w.get('select').setValue('2')
    await flushPromises()
    expect(fn('decodeLatent')).toHaveBeenLastCalledWith(1, [[1.5, 1]])
    await sliders[1].setValue('0.25')
    await flushPromises()
    const [, [z]] = fn('decodeLatent').mock.lastCall as [number, number[][]]
    expect(z[0]).toBe(1.5)
    expect(z[1]).toBeCloseTo(0.25, 1)
    w.unmount()
  })

  it('says why when a run has no weights to decode', async () => {
    const { fn } = setup()
    fn('latentExplorer').mockRejectedValueOnce(
      Object.assign(new Error('run 1 has no saved weights yet'), { code: 'NOT_FOUND' })
    )
    const w = mount(LatentExplorer, { props: { runId: 1 } })
    await flushPromises()
    expect(w.text()).toContain('run 1 has no saved weights yet')
    expect(w.find('[data-testid=explorer-plane]').exists()).toBe(false)
    w.unmount()
  })
})
