import fs from 'node:fs'
import { Worker } from 'node:worker_threads'
import { afterAll, describe, expect, it } from 'vitest'
import type { DatasetInfo } from '../../../../src-main/common/contract'
import { DIGIT_NAMES } from '../../../../src-main/common/classNames'
import { loadDataset } from '../../../../src-main/core/data/dataset'
import { fillBatch } from '../../../../src-main/core/data/pixels'
import {
  datasetKey,
  isSharedDataset,
  loadSharedDataset
} from '../../../../src-main/core/data/sharedDataset'
import { syntheticSet, tempDir, writeIdxDataset } from '../../../helpers/fixtures'

const dir = tempDir('vae-lab-shared-')
const info: DatasetInfo = {
  name: 'synthetic',
  source: 'imported',
  nTrain: 50,
  nTest: 20,
  files: writeIdxDataset(dir, syntheticSet(50, 1), syntheticSet(20, 2)),
  classNames: [...DIGIT_NAMES]
}
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }))

describe('loadSharedDataset', () => {
  it('holds the same bytes as loadDataset, on shared memory', () => {
    const plain = loadDataset(info)
    const shared = loadSharedDataset(info)
    expect(isSharedDataset(shared)).toBe(true)
    expect(isSharedDataset(plain)).toBe(false)
    expect(shared.train.count).toBe(50)
    expect(Buffer.from(shared.train.images).equals(Buffer.from(plain.train.images))).toBe(true)
    expect(Buffer.from(shared.test.labels).equals(Buffer.from(plain.test.labels))).toBe(true)
  })

  it('is shared with a worker, not copied: what the worker writes, this thread reads', async () => {
    const shared = loadSharedDataset(info)
    const before = shared.train.images[3]
    const worker = new Worker(
      `const { parentPort } = require('node:worker_threads')
       parentPort.once('message', (d) => {
         d.train.images[3] = (d.train.images[3] + 1) % 256
         parentPort.postMessage(d.train.images.buffer instanceof SharedArrayBuffer)
       })`,
      { eval: true }
    )
    worker.postMessage(shared)
    const sawShared = await new Promise((resolve) => worker.once('message', resolve))
    await worker.terminate()
    expect(sawShared).toBe(true)
    expect(shared.train.images[3]).toBe((before + 1) % 256)
  })

  it('fills batches from shared memory exactly as from a private copy', () => {
    const plain = loadDataset(info)
    const shared = loadSharedDataset(info)
    const order = Uint32Array.from([4, 9, 0, 31, 2])
    const a = new Float32Array(5 * 784)
    const b = new Float32Array(5 * 784)
    fillBatch(plain.train, order, 0, a)
    fillBatch(shared.train, order, 0, b)
    expect(b).toEqual(a)
    expect(b.some((x) => x > 0)).toBe(true)
  })
})

describe('datasetKey', () => {
  it('changes when a file is replaced, and not otherwise', async () => {
    const other = tempDir('vae-lab-shared-key-')
    try {
      const files = writeIdxDataset(other, syntheticSet(50, 1), syntheticSet(20, 2))
      const mine = { ...info, files }
      const first = await datasetKey(mine)
      expect(await datasetKey(mine)).toBe(first)
      writeIdxDataset(other, syntheticSet(60, 3), syntheticSet(20, 2))
      expect(await datasetKey(mine)).not.toBe(first)
    } finally {
      fs.rmSync(other, { recursive: true, force: true })
    }
  })
})
