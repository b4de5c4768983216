// Published test log-likelihoods to hold runs against (issue 17), shipped as data with their
// citation (data/publishedResults.json), and the one rule for putting a run beside them: a run is
// shown beside a number only where data, model and evaluation are those of the publication, with
// every remaining difference (training length, schedule) named; it is never called "matching" a
// number whose protocol differs in any part.
import table from './data/publishedResults.json'

export interface PublishedProtocol {
  dataset: string
  trainImages: number
  testImages: number
  pixels: string
  binarisation: string
  evaluation: string
  evalK: number
  optimiser: string
  training: string
  epochs: number
  batchSize: number
  init: string
}

export interface PublishedArchitecture {
  stochasticLayers: number
  description: string
  /** Deterministic layers of a one-stochastic-layer MLP; null where VAE Lab has no such model. */
  hidden: number[] | null
  latentDim: number | null
}

export interface PublishedResult {
  architecture: string
  /** 'VAE': the ELBO with k samples (VAE Lab: objective elbo, samples k); 'IWAE': the k-sample bound. */
  model: 'VAE' | 'IWAE'
  k: number
  /** −log p(x) in nats, estimated with the k = evalK bound; lower is better. */
  nll: number
  activeUnits: string
}

export interface PublishedSource {
  id: string
  authors: string
  title: string
  venue: string
  url: string
  table: string
  protocol: PublishedProtocol
  architectures: Record<string, PublishedArchitecture>
  results: PublishedResult[]
}

export const PUBLISHED_SOURCES = table.sources as PublishedSource[]

/** 'Burda, Grosse & Salakhutdinov (2015), Importance Weighted Autoencoders, Table 1' */
export function citation(s: PublishedSource): string {
  const names = s.authors.split(', ').map((a) => a.split(' ').at(-1))
  const who =
    names.length > 2 ? `${names.slice(0, -1).join(', ')} & ${names.at(-1)}` : names.join(' & ')
  const year = /\((\d{4})\)/.exec(s.venue)?.[1] ?? ''
  return `${who} (${year}), “${s.title}”, ${s.venue}, ${s.table}`
}

/** What the comparison needs of a run. */
export interface ComparableRun {
  config: Record<string, unknown> & {
    dataset: string
    latentDim: number
    pixels: string
    epochs: number
    batchSize: number
    optimizer: string
    samples: number
    beta: number
  }
  epochsDone: number
  /** The run's stored evaluations ('iwae/k=5000', 'final', ...). */
  evaluations: Record<string, unknown>
}

export interface PublishedComparison {
  source: PublishedSource
  result: PublishedResult
  architecture: PublishedArchitecture
  /** Data, model and evaluation are the publication's: the run is shown beside the number. */
  comparable: boolean
  /** Everything, training included, is the publication's. No VAE Lab run is (no decay schedule). */
  sameProtocol: boolean
  /** Each part of the protocol that differs, in words. */
  differences: string[]
  /** The run's k = evalK bound (nats), when it has been evaluated. */
  runNll: number | null
}

const layers = (h: unknown): number[] =>
  Array.isArray(h) ? (h as number[]) : typeof h === 'number' ? [h] : []

const count = (n: number) => n.toLocaleString('en-US')

/** The run's importance-weighted bound with `k` samples on its whole test set, if evaluated. */
export function runBound(run: ComparableRun, k: number): { nll: number; images: number } | null {
  const direct = run.evaluations[`iwae/k=${k}`] as { nll?: number; images?: number } | undefined
  if (direct && typeof direct.nll === 'number')
    return { nll: direct.nll, images: direct.images ?? 0 }
  const final = run.evaluations.final as
    | { iwae?: { k: number; nll: number; images: number } }
    | undefined
  if (final?.iwae && final.iwae.k === k) return { nll: final.iwae.nll, images: final.iwae.images }
  return null
}

export function compareWithPublished(run: ComparableRun): PublishedComparison[] {
  const c = run.config
  const out: PublishedComparison[] = []
  for (const source of PUBLISHED_SOURCES) {
    const p = source.protocol
    if (c.dataset !== p.dataset) continue
    const data: string[] = []
    const limitTrain = c.limitTrain as number | undefined
    const limitTest = c.limitTest as number | undefined
    if (limitTrain !== undefined && limitTrain < p.trainImages)
      data.push(`trained on ${count(limitTrain)} images, not ${count(p.trainImages)}`)
    if (limitTest !== undefined && limitTest < p.testImages)
      data.push(`tested on ${count(limitTest)} images, not ${count(p.testImages)}`)
    if (c.pixels !== p.pixels) data.push(`pixels ${c.pixels}, not ${p.pixels} binarisation`)
    const bound = runBound(run, p.evalK)
    const evaluation: string[] = []
    if (!bound)
      evaluation.push(
        `not evaluated with the k = ${count(p.evalK)} bound (\`vae-lab eval RUN --iwae ${p.evalK}\`, or the IWAE panel)`
      )
    else if (bound.images && bound.images < p.testImages)
      evaluation.push(`bound on ${count(bound.images)} test images, not ${count(p.testImages)}`)
    const training: string[] = []
    if (run.epochsDone !== p.epochs)
      training.push(
        `${count(run.epochsDone)} epochs at a constant learning rate, not ${p.training}`
      )
    else training.push(`a constant learning rate, not ${p.training}`)
    if (c.batchSize !== p.batchSize) training.push(`batch ${c.batchSize}, not ${p.batchSize}`)
    if (c.optimizer !== 'adam') training.push(`${c.optimizer}, not Adam`)
    for (const result of source.results) {
      const arch = source.architectures[result.architecture]
      const model: string[] = []
      const kind = (c.arch as string | undefined) ?? 'mlp'
      if (arch.stochasticLayers !== 1)
        model.push(`${arch.stochasticLayers} stochastic layers; VAE Lab's models have one`)
      else {
        if (kind !== 'mlp') model.push(`architecture ${kind}, not the MLP`)
        const h = layers(c.hidden)
        if (arch.hidden && h.join('-') !== arch.hidden.join('-'))
          model.push(`hidden layers ${h.join('-')}, not ${arch.hidden.join('-')}`)
        if (arch.latentDim !== null && c.latentDim !== arch.latentDim)
          model.push(`latent dim ${c.latentDim}, not ${arch.latentDim}`)
      }
      const objective = (c.objective as string | undefined) ?? 'elbo'
      const trainK = objective === 'iwae' ? ((c.k as number | undefined) ?? 5) : c.samples
      // k = 1: the VAE and the IWAE objectives are the same (the ELBO with one sample).
      const sameObjective =
        result.k === 1
          ? trainK === 1 && c.beta === 1
          : result.model === 'IWAE'
            ? objective === 'iwae' && trainK === result.k
            : objective === 'elbo' && c.samples === result.k && c.beta === 1
      if (!sameObjective)
        model.push(
          `trained with ${objective === 'iwae' ? `the IWAE bound, k = ${trainK}` : `the ELBO, ${c.samples} sample${c.samples === 1 ? '' : 's'}${c.beta !== 1 ? `, β = ${c.beta}` : ''}`}, not ${result.model === 'IWAE' ? `the IWAE bound, k = ${result.k}` : `the ELBO with ${result.k} sample${result.k === 1 ? '' : 's'}`}`
        )
      const comparable = data.length === 0 && model.length === 0 && evaluation.length === 0
      const differences = [...data, ...model, ...evaluation, ...training]
      out.push({
        source,
        result,
        architecture: arch,
        comparable,
        sameProtocol: comparable && training.length === 0,
        differences,
        runNll: bound?.nll ?? null
      })
    }
  }
  return out
}
