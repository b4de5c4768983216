// Every figure of a comparison from one bundle of plain inputs, in a fixed order. Pure, like the
// builders: the renderer can call it on data fetched through the api.
import { curvesFigure } from './curvesFigure'
import type {
  CurvesInput,
  FigureOptions,
  FigureSpec,
  InterpolationInput,
  KlPerDimInput,
  ManifoldInput,
  ParallelInput,
  SamplesInput,
  TraversalInput,
  MinDimInput,
  PerDigitInput,
  ProjectionMethod,
  ReconInput,
  ScatterInput
} from './figureInputs'
import { manifoldFigure } from './manifoldFigure'
import { minDimFigure } from './minDimFigure'
import { perDigitFigure } from './perDigitFigure'
import { projectionFigure } from './projectionFigure'
import { reconFigure } from './reconFigure'
import { scatterFigure } from './scatterFigure'
import { interpolationFigure } from './interpolationFigure'
import { klPerDimFigure } from './klPerDimFigure'
import { parallelFigure } from './parallelFigure'
import { samplesFigure } from './samplesFigure'
import { traversalFigure } from './traversalFigure'

/** Inputs of the figures asked for; a kind left out here is not drawn. */
export interface FigureInputs {
  recon?: ReconInput
  /** One per 2-D run. */
  manifolds?: readonly ManifoldInput[]
  scatter?: ScatterInput
  curves?: CurvesInput
  perDigit?: PerDigitInput
  minDim?: MinDimInput
  projection?: { method: ProjectionMethod; input: ScatterInput }
  /** Issue 17: KL per latent dim, one per run (index = the run's colour). */
  klPerDim?: readonly (KlPerDimInput & { colorIndex?: number })[]
  traversals?: readonly TraversalInput[]
  interpolations?: readonly InterpolationInput[]
  samples?: readonly SamplesInput[]
  parallel?: ParallelInput
  /** What labels 0..9 mean in these runs' dataset (default the digits). */
  classes?: readonly string[]
  /** The runs' datasets, when they differ (per-class figures are then left out). */
  datasets?: readonly string[]
}

export function figureSpecs(inputs: FigureInputs, options: FigureOptions = {}): FigureSpec[] {
  const specs: FigureSpec[] = []
  const opts = { ...options, classes: options.classes ?? inputs.classes }
  if (inputs.recon) specs.push(reconFigure(inputs.recon, opts))
  for (const m of inputs.manifolds ?? []) specs.push(manifoldFigure(m, opts))
  if (inputs.scatter) specs.push(scatterFigure(inputs.scatter, opts))
  if (inputs.projection)
    specs.push(projectionFigure(inputs.projection.input, inputs.projection.method, opts))
  if (inputs.curves) specs.push(curvesFigure(inputs.curves, opts))
  if (inputs.perDigit) specs.push(perDigitFigure(inputs.perDigit, opts))
  if (inputs.minDim) specs.push(minDimFigure(inputs.minDim, opts))
  for (const k of inputs.klPerDim ?? []) specs.push(klPerDimFigure(k, opts, k.colorIndex ?? 0))
  for (const t of inputs.traversals ?? []) specs.push(traversalFigure(t, opts))
  for (const i of inputs.interpolations ?? []) specs.push(interpolationFigure(i, opts))
  for (const s of inputs.samples ?? []) specs.push(samplesFigure(s, opts))
  if (inputs.parallel) specs.push(parallelFigure(inputs.parallel, opts))
  return specs
}
