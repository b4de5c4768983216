import type { FigureData } from '../model/figureData'
import type { StoredFigure } from './runStore'

/** Figure data as stored rows: images as bytes, latent means as float32 bytes. */
export function figureRows(f: FigureData): StoredFigure[] {
  const rows: StoredFigure[] = [
    {
      kind: 'recon',
      meta: {
        indices: f.recon.indices,
        labels: f.recon.labels,
        shape: [2, f.recon.labels.length, 28, 28],
        layout: 'originals then reconstructions'
      },
      data: concatBytes(f.recon.originals, f.recon.reconstructions)
    },
    {
      kind: 'scatter',
      meta: {
        indices: f.scatter.indices,
        labels: f.scatter.labels,
        shape: [f.scatter.labels.length, f.scatter.latentDim],
        dtype: 'float32'
      },
      data: new Uint8Array(f.scatter.mu.buffer, f.scatter.mu.byteOffset, f.scatter.mu.byteLength)
    }
  ]
  if (f.manifold) {
    rows.push({
      kind: 'manifold',
      meta: {
        grid: f.manifold.grid,
        range: f.manifold.range,
        shape: [f.manifold.grid * f.manifold.grid, 28, 28]
      },
      data: f.manifold.images
    })
  }
  return rows
}

function concatBytes(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length)
  out.set(a, 0)
  out.set(b, a.length)
  return out
}
