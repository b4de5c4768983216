// Interpolation in latent space between two test images' posterior means (issue 17): a straight
// line, and a great circle (spherical), which under a Gaussian prior keeps the path at a typical
// radius instead of cutting through the low-norm centre.
import { className, classNoun, DIGIT_NAMES } from '../classNames'
import type { FigureOptions, FigureSpec, InterpolationInput } from './figureInputs'
import { tileGridFigure } from './tileGridFigure'

export function interpolationFigure(
  input: InterpolationInput,
  opts: FigureOptions = {}
): FigureSpec {
  const classes = opts.classes ?? DIGIT_NAMES
  const noun = classNoun(classes)
  const ref = (r: InterpolationInput['from']) =>
    `test image ${r.index} (${noun} ${className(classes, r.label)})`
  const images = new Uint8Array(input.rows.length * input.steps * 784)
  input.rows.forEach((r, i) =>
    images.set(Uint8Array.from(r.images).subarray(0, input.steps * 784), i * input.steps * 784)
  )
  return tileGridFigure(
    {
      name: `interpolation-run-${input.run.runId}`,
      title: `Interpolation, ${input.run.name}`,
      subtitle: `from ${ref(input.from)} to ${ref(input.to)}`,
      rows: input.rows.length,
      cols: input.steps,
      images,
      rowLabels: input.rows.map((r) => r.method),
      colLabels: Array.from({ length: input.steps }, (_, i) =>
        i === 0
          ? 't = 0'
          : i === input.steps - 1
            ? '1'
            : String(Number((i / (input.steps - 1)).toFixed(2)))
      ),
      caption:
        `Interpolation in the latent space of ${input.run.name} between the posterior means of ` +
        `${ref(input.from)} and ${ref(input.to)}, decoded at ${input.steps} evenly spaced steps: ` +
        `along a straight line (linear) and along the great circle through both means with the ` +
        `radius interpolated (spherical), which suits a Gaussian prior.`
    },
    opts
  )
}
