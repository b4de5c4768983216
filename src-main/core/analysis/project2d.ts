// 2-D projections of latent means for the partition figure: PCA (own, exact, default), UMAP
// (umap-js) and t-SNE (@keckelt/tsne). All are seeded, so a report is reproducible.
import { TSNE } from '@keckelt/tsne'
import { UMAP } from 'umap-js'
import type { ProjectionMethod } from '../../common/figures/figureInputs'
import { mulberry32, type Rng } from '../train/random'
import { pca } from './pca'

export interface ProjectOptions {
  seed?: number
  /** t-SNE iterations (default 500). */
  iterations?: number
}

/** [n][d] -> [n][2]. Points already in 2-D or fewer are returned as they are (padded with zeros). */
export function project2d(
  points: readonly (readonly number[])[],
  method: ProjectionMethod,
  opts: ProjectOptions = {}
): [number, number][] {
  const n = points.length
  const d = n ? points[0].length : 0
  if (d <= 2 || n < 3) return points.map((p) => [p[0] ?? 0, p[1] ?? 0])
  const seed = opts.seed ?? 1
  if (method === 'pca') return pca(points, 2).map(([x, y]) => [x, y])
  if (method === 'umap') {
    const umap = new UMAP({
      nComponents: 2,
      nNeighbors: Math.min(15, n - 1),
      minDist: 0.1,
      random: mulberry32(seed)
    })
    return umap.fit(points.map((p) => [...p])).map(([x, y]) => [x, y])
  }
  const tsne = new SeededTsne(mulberry32(seed), {
    dim: 2,
    perplexity: Math.min(30, Math.max(2, Math.floor((n - 1) / 3))),
    epsilon: 10
  })
  tsne.initDataRaw(points.map((p) => [...p]))
  for (let i = 0; i < (opts.iterations ?? 500); i++) tsne.step()
  return (tsne.getSolution() as number[][]).map(([x, y]) => [x, y])
}

/** @keckelt/tsne draws its initial solution from Math.random through gaussRandom; this seeds it. */
class SeededTsne extends TSNE {
  private spare: number | null = null

  constructor(
    private readonly rng: Rng,
    opt: { dim: number; perplexity: number; epsilon: number }
  ) {
    super(opt)
  }

  override gaussRandom(): number {
    if (this.spare !== null) {
      const s = this.spare
      this.spare = null
      return s
    }
    // Marsaglia polar method, as the library's own, on the seeded generator.
    for (;;) {
      const u = 2 * this.rng() - 1
      const v = 2 * this.rng() - 1
      const r = u * u + v * v
      if (r === 0 || r >= 1) continue
      const c = Math.sqrt((-2 * Math.log(r)) / r)
      this.spare = v * c
      return u * c
    }
  }
}
