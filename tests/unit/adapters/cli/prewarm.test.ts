// Which commands start a training worker before the CLI loads (bin/vae-lab.js -> prewarm.ts).
import { describe, expect, it } from 'vitest'
import { trainsHere, trainsOnMnist } from '../../../../src-main/adapters/cli/prewarm'

const argv = (...args: string[]) => ['node', 'vae-lab', ...args]

describe('trainsHere', () => {
  it('is true for the commands that train in this process', () => {
    expect(trainsHere(argv('train', '--latent', '2,5'))).toBe(true)
    expect(trainsHere(argv('queue', 'run', '--workers', '2'))).toBe(true)
    expect(trainsHere(argv('resume', '3'))).toBe(true)
    expect(trainsHere(argv('worker'))).toBe(true)
  })

  it('is false for a detached train, help, and commands that do not train', () => {
    expect(trainsHere(argv('train', '--detach'))).toBe(false)
    expect(trainsHere(argv('train', '--help'))).toBe(false)
    expect(trainsHere(argv('queue', 'list'))).toBe(false)
    expect(trainsHere(argv('runs', 'list'))).toBe(false)
    expect(trainsHere(argv('export', '1'))).toBe(false)
    expect(trainsHere(argv())).toBe(false)
  })
})

describe('trainsOnMnist', () => {
  it('is true for `train` on the default or a named mnist, whose worker decodes it early', () => {
    expect(trainsOnMnist(argv('train', '--latent', '2'))).toBe(true)
    expect(trainsOnMnist(argv('train', '--dataset', 'mnist'))).toBe(true)
    expect(trainsOnMnist(argv('train', '--dataset=mnist'))).toBe(true)
  })

  it('is false for another dataset, a detached train and commands whose dataset is unknown', () => {
    expect(trainsOnMnist(argv('train', '--dataset', 'fashion'))).toBe(false)
    expect(trainsOnMnist(argv('train', '--dataset=fashion'))).toBe(false)
    expect(trainsOnMnist(argv('train', '--detach'))).toBe(false)
    expect(trainsOnMnist(argv('queue', 'run'))).toBe(false)
    expect(trainsOnMnist(argv('resume', '3'))).toBe(false)
  })
})
