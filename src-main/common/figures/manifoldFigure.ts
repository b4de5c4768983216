// Fig 7 of the seed: decoder means over a lattice of a 2-D latent space, drawn as one crisp image
// of a fixed size (text stays readable at any grid size). Tile c sits at its own z value: an axis
// over tile positions, labelled at round z values, serves the paper's Gaussian-quantile spacing
// (uneven in z) and an even one alike.
import type { EChartsOption } from 'echarts'
import {
  baseOption,
  niceStep,
  TITLE_HEIGHT,
  titleBlock,
  valueXAxis,
  valueYAxis
} from './figureTheme'
import { IMAGE_SIDE, type FigureOptions, type FigureSpec, type ManifoldInput } from './figureInputs'
import { gridImage, pngScale } from './imageGrid'

/** The lattice is drawn this many CSS pixels square whatever the grid: 20 x 20 digits at 1:1. */
export const MANIFOLD_SIDE = 560
const LEFT = 64
const RIGHT = 16
const BOTTOM = 48

/** Fractional tile index of value `v` along ascending `coords` (linear between tile centres). */
function positionOf(coords: readonly number[], v: number): number {
  const n = coords.length
  if (n < 2) return 0
  for (let i = 0; i < n - 1; i++) {
    const a = coords[i]
    const b = coords[i + 1]
    if (v <= b || i === n - 2) return i + (v - a) / (b - a)
  }
  return n - 1
}

/** Round z values inside the lattice, at their tile positions, labelled. */
function axisTicks(coords: readonly number[]): {
  positions: number[]
  labels: Map<string, string>
} {
  const lo = coords[0]
  const hi = coords[coords.length - 1]
  const step = niceStep(Math.max(hi - lo, 1e-9), 5)
  const positions: number[] = []
  const labels = new Map<string, string>()
  for (let v = Math.ceil(lo / step - 1e-9) * step; v <= hi + 1e-9; v += step) {
    const z = Number(v.toFixed(10))
    const p = positionOf(coords, z)
    positions.push(p)
    labels.set(p.toFixed(6), String(Number(z.toFixed(3))))
  }
  return { positions, labels }
}

export function manifoldFigure(input: ManifoldInput, opts: FigureOptions = {}): FigureSpec {
  const { grid } = input
  const side = MANIFOLD_SIDE
  const cell = side / (grid * IMAGE_SIDE)
  const img = gridImage(input.images, grid, grid, 0, pngScale(cell, opts.pixelRatio))
  // Tile c spans positions c - 1/2 .. c + 1/2; rows run top (largest z2) to bottom.
  const extent = { min: -0.5, max: grid - 0.5 }
  const ysAscending = [...input.ys].reverse()
  const x = axisTicks(input.xs)
  const y = axisTicks(ysAscending)
  const label = (labels: Map<string, string>) => ({
    customValues: [...labels.keys()].map(Number),
    formatter: (v: number) => labels.get(v.toFixed(6)) ?? ''
  })
  const showTitle = opts.title !== false
  const top = showTitle ? TITLE_HEIGHT + 16 : 12
  const title = `Learned manifold, ${input.run.name}${input.epoch !== undefined ? `, epoch ${input.epoch}` : ''}`
  const how =
    input.spacing === 'icdf'
      ? `z at Gaussian quantiles of ${grid} evenly spaced probabilities (as in the paper)`
      : `z evenly spaced from ${fmt(input.xs[0])} to ${fmt(input.xs[grid - 1])}`
  const option: EChartsOption = {
    ...baseOption(),
    title: showTitle ? titleBlock(title, how) : undefined,
    grid: { left: LEFT, top, width: side, height: side, containLabel: false },
    xAxis: valueXAxis(input.spacing === 'icdf' ? 'z₁ (Gaussian quantiles)' : 'z₁', {
      ...extent,
      scale: false,
      splitLine: { show: false },
      axisLabel: label(x.labels),
      axisTick: { customValues: x.positions }
    }),
    yAxis: valueYAxis(input.spacing === 'icdf' ? 'z₂ (Gaussian quantiles)' : 'z₂', {
      ...extent,
      scale: false,
      splitLine: { show: false },
      axisLabel: label(y.labels),
      axisTick: { customValues: y.positions },
      nameGap: 38
    }),
    series: [],
    graphic: [
      {
        type: 'image',
        left: LEFT,
        top,
        silent: true,
        style: { image: img.url, x: 0, y: 0, width: side, height: side }
      }
    ]
  }
  return {
    name: `manifold-run-${input.run.runId}`,
    title,
    width: LEFT + side + RIGHT,
    height: top + side + BOTTOM,
    option,
    caption:
      `Learned data manifold of ${input.run.name}: decoder means p(x | z) on a ${grid} × ${grid} ` +
      `lattice of the 2-D latent space, ${how}.`
  }
}

const fmt = (v: number | undefined) => (v === undefined ? '?' : String(Number(v.toFixed(2))))
