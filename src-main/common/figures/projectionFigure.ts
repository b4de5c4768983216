// The seed's future work: how the latent space of runs with dim > 2 splits into classes, as a 2-D
// projection of the latent means with the k-NN separability score in each panel's subtitle.
import { classNoun, DIGIT_NAMES } from '../classNames'
import type { FigureOptions, FigureSpec, ProjectionMethod, ScatterInput } from './figureInputs'
import { scatterFigure } from './scatterFigure'

const METHOD_TITLES: Record<ProjectionMethod, string> = { pca: 'PCA', umap: 'UMAP', tsne: 't-SNE' }

export function projectionFigure(
  input: ScatterInput,
  method: ProjectionMethod,
  opts: FigureOptions = {}
): FigureSpec {
  const noun = classNoun(opts.classes ?? DIGIT_NAMES)
  const m = METHOD_TITLES[method]
  return scatterFigure(input, opts, {
    name: 'projection',
    title: `Latent partition by ${noun} (${m} projection, k-NN separability)`,
    caption:
      `${m} projection of the test latent means μ, one panel per run, with the leave-one-out ` +
      `k-NN accuracy of the ${noun} labels in the full latent space and in the projection.`
  })
}
