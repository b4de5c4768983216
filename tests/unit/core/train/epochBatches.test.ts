import * as tf from '@tensorflow/tfjs-core'
import { beforeAll, describe, expect, it } from 'vitest'
import { IMAGE_SIZE } from '../../../../src-main/core/data/dataset'
import { fillBatch } from '../../../../src-main/core/data/pixels'
import { EpochBatches } from '../../../../src-main/core/train/epochBatches'
import { mulberry32, range, shuffleInPlace } from '../../../../src-main/core/train/random'
import { syntheticSet } from '../../../helpers/fixtures'
import { useBackend } from '../../../helpers/tf'

const set = syntheticSet(70, 3)
const order = shuffleInPlace(range(set.count), mulberry32(9))

describe('EpochBatches', () => {
  beforeAll(async () => {
    await useBackend('cpu')
  })

  for (const dynamic of [false, true]) {
    it(`holds exactly the batches fillBatch makes one at a time, across chunks (${dynamic ? 'dynamic' : 'grey'})`, async () => {
      const B = 8
      const batches = Math.floor(set.count / B)
      // Chunks of three batches: the epoch spans several tensors.
      const epoch = new EpochBatches(
        set,
        order,
        batches,
        B,
        dynamic ? mulberry32(5) : undefined,
        3 * B * IMAGE_SIZE * 4
      )
      const rng = dynamic ? mulberry32(5) : undefined
      const want = new Float32Array(B * IMAGE_SIZE)
      for (let b = 0; b < batches; b++) {
        fillBatch(set, order, b * B, want, rng)
        const x = epoch.batch(b)
        expect(x.shape).toEqual([B, IMAGE_SIZE])
        expect(await x.data()).toEqual(want)
        x.dispose()
      }
      epoch.dispose()
    })
  }

  it('frees its tensors on dispose', () => {
    const before = tf.memory().numTensors
    const epoch = new EpochBatches(set, order, 4, 10, undefined, 1)
    expect(tf.memory().numTensors).toBe(before + 4) // one batch per chunk at this tiny limit
    epoch.dispose()
    expect(tf.memory().numTensors).toBe(before)
  })
})
