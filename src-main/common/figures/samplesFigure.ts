// Samples from the model (issue 17): decoder means of z drawn from the prior N(0, I).
import type { FigureOptions, FigureSpec, SamplesInput } from './figureInputs'
import { tileGridFigure } from './tileGridFigure'

export function samplesFigure(input: SamplesInput, opts: FigureOptions = {}): FigureSpec {
  return tileGridFigure(
    {
      name: `samples-run-${input.run.runId}`,
      title: `Samples from the prior, ${input.run.name}`,
      subtitle: `decoder means of ${input.grid * input.grid} draws z ~ N(0, I), seed ${input.seed}`,
      rows: input.grid,
      cols: input.grid,
      images: input.images,
      caption:
        `Samples from ${input.run.name}: the decoder means p(x | z) of ${input.grid * input.grid} ` +
        `latent vectors drawn from the prior N(0, I) (seed ${input.seed}; the same draws for every ` +
        `run of this latent dimension).`
    },
    opts
  )
}
