// The seed's future work: how the latent space of runs with dim > 2 splits into digits, as a 2-D
// projection of the latent means with the k-NN separability score in each panel's subtitle.
import type { FigureOptions, FigureSpec, ProjectionMethod, ScatterInput } from './figureInputs'
import { scatterFigure } from './scatterFigure'

const METHOD_TITLES: Record<ProjectionMethod, string> = { pca: 'PCA', umap: 'UMAP', tsne: 't-SNE' }

export function projectionFigure(
  input: ScatterInput,
  method: ProjectionMethod,
  opts: FigureOptions = {}
): FigureSpec {
  return scatterFigure(input, opts, {
    name: 'projection',
    title: `Latent partition by digit (${METHOD_TITLES[method]} projection, k-NN separability)`
  })
}
