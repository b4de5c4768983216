// Sweeps queued in the same second: a made-up name never collides, a chosen one is refused.
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { VaeLabService } from '../../../src-main/api/service'
import { openRunStore } from '../../../src-main/core/store/openRunStore'
import { tempDir } from '../../helpers/fixtures'

const req = { base: { epochs: 1, limitTrain: 200 }, grid: { latentDim: [2] } }

describe('queueSweep names', () => {
  it('gives sweeps queued in the same second names of their own, and refuses a chosen name twice', async () => {
    const store = await openRunStore(path.join(tempDir(), 'runs.sqlite'))
    const service = new VaeLabService(store, 1)
    try {
      const names = []
      for (let i = 0; i < 3; i++) names.push((await service.api.queueSweep(req)).sweep)
      expect(new Set(names).size).toBe(3)
      expect(names.every((n) => n.startsWith('latent-2-'))).toBe(true)
      expect(await store.listRuns()).toHaveLength(3)

      await service.api.queueSweep({ ...req, sweepName: 'mine' })
      await expect(service.api.queueSweep({ ...req, sweepName: 'mine' })).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: 'a sweep named "mine" already exists; choose another name'
      })
      expect(await store.listRuns()).toHaveLength(4)
    } finally {
      await store.close()
    }
  })
})
