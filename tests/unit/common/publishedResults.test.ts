import { describe, expect, it } from 'vitest'
import {
  citation,
  compareWithPublished,
  PUBLISHED_SOURCES,
  type ComparableRun
} from '../../../src-main/common/publishedResults'

/** Burda et al.'s one-layer model as the `--preset burda` sweep trains it, for 100 epochs. */
const burdaLike = (over: Record<string, unknown> = {}, evaluations = {}): ComparableRun => ({
  config: {
    dataset: 'mnist',
    latentDim: 50,
    hidden: [200, 200],
    pixels: 'dynamic',
    batchSize: 20,
    optimizer: 'adam',
    epochs: 100,
    samples: 1,
    beta: 1,
    objective: 'iwae',
    k: 5,
    ...over
  },
  epochsDone: 100,
  evaluations: { 'iwae/k=5000': { k: 5000, images: 10000, nll: 87.1 }, ...evaluations }
})

describe('published results', () => {
  it('ships Burda et al. 2015 Table 1 with its citation and protocol', () => {
    const [burda] = PUBLISHED_SOURCES
    expect(citation(burda)).toBe(
      'Burda, Grosse & Salakhutdinov (2015), “Importance Weighted Autoencoders”, ICLR 2016; arXiv:1509.00519 (2015), Table 1 (MNIST columns)'
    )
    const one = burda.results.filter((r) => r.architecture === 'one')
    expect(one.map((r) => `${r.model} k=${r.k}: ${r.nll}`)).toEqual([
      'VAE k=1: 86.76',
      'VAE k=5: 86.47',
      'VAE k=50: 86.35',
      'IWAE k=1: 86.76',
      'IWAE k=5: 85.54',
      'IWAE k=50: 84.78'
    ])
    expect(burda.protocol).toMatchObject({ pixels: 'dynamic', evalK: 5000, epochs: 3280 })
    expect(burda.architectures.one.description).toMatch(/^784-200-200-50/)
  })

  it('puts an IWAE k = 5 run beside IWAE k = 5 only, naming how its training differs, and never as the same protocol', () => {
    const rows = compareWithPublished(burdaLike())
    const beside = rows.filter((r) => r.comparable)
    expect(beside.map((r) => `${r.result.model} k=${r.result.k}`)).toEqual(['IWAE k=5'])
    expect(beside[0].runNll).toBe(87.1)
    expect(beside[0].differences.join('; ')).toMatch(
      /100 epochs at a constant learning rate, not 3,280 passes/
    )
    expect(rows.some((r) => r.sameProtocol)).toBe(false)
  })

  it('shows no number beside a run whose data, model or evaluation differ, and says which', () => {
    const grey = compareWithPublished(burdaLike({ pixels: 'grey' }))
    expect(grey.some((r) => r.comparable)).toBe(false)
    expect(grey[0].differences).toContain('pixels grey, not dynamic binarisation')
    const wide = compareWithPublished(burdaLike({ hidden: 500, objective: 'elbo', k: undefined }))
    expect(wide.find((r) => r.result.model === 'VAE' && r.result.k === 1)!.differences).toContain(
      'hidden layers 500, not 200-200'
    )
    const unevaluated = compareWithPublished({ ...burdaLike(), evaluations: {} })
    expect(unevaluated.some((r) => r.comparable)).toBe(false)
    expect(unevaluated[0].differences.join(' ')).toMatch(/not evaluated with the k = 5,000 bound/)
    const fewTest = compareWithPublished(burdaLike({ limitTest: 1000 }))
    expect(fewTest.some((r) => r.comparable)).toBe(false)
    // Two stochastic layers: never comparable with a VAE Lab run.
    expect(
      compareWithPublished(burdaLike()).filter(
        (r) => r.architecture.stochasticLayers === 2 && r.comparable
      )
    ).toEqual([])
    expect(compareWithPublished(burdaLike({ dataset: 'fashion' }))).toEqual([])
  })

  it('takes the ELBO with one sample as both Table 1 k = 1 rows (the objectives are the same)', () => {
    const rows = compareWithPublished(burdaLike({ objective: 'elbo', k: undefined }))
    expect(
      rows.filter((r) => r.comparable).map((r) => `${r.result.model} k=${r.result.k}`)
    ).toEqual(['VAE k=1', 'IWAE k=1'])
  })
})
