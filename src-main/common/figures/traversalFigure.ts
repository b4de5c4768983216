// Latent traversals (issue 17): each row sweeps one latent dim over ±3 prior standard deviations
// with the others held at a test image's mean; rows are the dims with the largest KL.
import { className, classNoun, DIGIT_NAMES } from '../classNames'
import type { FigureOptions, FigureSpec, TraversalInput } from './figureInputs'
import { tileGridFigure } from './tileGridFigure'

const fmt = (v: number) => (v > 0 ? `+${Number(v.toFixed(2))}` : String(Number(v.toFixed(2))))

export function traversalFigure(input: TraversalInput, opts: FigureOptions = {}): FigureSpec {
  const classes = opts.classes ?? DIGIT_NAMES
  const noun = classNoun(classes)
  const base = `test image ${input.base.index} (${noun} ${className(classes, input.base.label)})`
  const lo = input.values[0]
  const hi = input.values[input.values.length - 1]
  return tileGridFigure(
    {
      name: `traversal-run-${input.run.runId}`,
      title: `Latent traversals, ${input.run.name}`,
      subtitle: `each row: one z_j from ${fmt(lo)} to ${fmt(hi)}, the others at the mean of ${base}`,
      rows: input.dims.length,
      cols: input.values.length,
      images: input.images,
      rowLabels: input.dims.map((d) => `z${d + 1}`),
      colLabels: input.values.map(fmt),
      caption:
        `Latent traversals of ${input.run.name}: each row sets one latent dimension z_j to values ` +
        `from ${fmt(lo)} to ${fmt(hi)} (prior standard deviations), the other dimensions held at ` +
        `the posterior mean of ${base}, and shows the decoder means. Rows are the ` +
        `${input.dims.length} dimensions with the largest KL, largest first.`
    },
    opts
  )
}
