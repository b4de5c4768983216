// Issue 11: the default init is the one the measured study chose, not a guess. The study's runs
// are committed in bench/results/fidelity.jsonl (`npm run bench:fidelity -- --suite init`).
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { INIT_SCHEMES, TrainConfigSchema } from '../../../src-main/common/contract'

const RESULTS = path.resolve(__dirname, '../../../bench/results/fidelity.jsonl')

interface Point {
  side: string
  variant: string
  init: string
  latent: number
  seed: number
  epochs: number
  test_by_epoch: Record<string, { nelbo: number }>
}

describe('the default init', () => {
  it('is the init with the lowest mean test -ELBO after 10 epochs over latent 2/5/10/50 and 3 seeds', () => {
    const points = fs
      .readFileSync(RESULTS, 'utf8')
      .split('\n')
      .filter((l) => l.trim())
      .map((l) => JSON.parse(l) as Point)
      .filter((p) => p.side === 'vae-lab' && p.variant === 'mlp' && p.epochs === 10)
    const score = (init: string) => {
      const mine = points.filter((p) => p.init === init)
      // Every latent dim and seed measured, or the study is incomplete.
      expect(mine.length, `runs of init ${init}`).toBe(4 * 3)
      expect(new Set(mine.map((p) => p.latent))).toEqual(new Set([2, 5, 10, 50]))
      return mine.reduce((s, p) => s + p.test_by_epoch['10'].nelbo, 0) / mine.length
    }
    const ranked = [...INIT_SCHEMES].sort((a, b) => score(a) - score(b))
    expect(TrainConfigSchema.parse({ latentDim: 2 }).init).toBe(ranked[0])
  })
})
