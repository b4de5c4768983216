// Fig 7 of the seed: decoder means over a regular grid of a 2-D latent space, drawn as one crisp
// image whose tile centres sit exactly on the z1/z2 axis values they were decoded from.
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

/** CSS pixels per image pixel: 1, so the seed's 20 x 20 grid is 560 x 560, as in the paper. */
const CELL = 1
const LEFT = 64
const RIGHT = 16
const BOTTOM = 48

export function manifoldFigure(input: ManifoldInput, opts: FigureOptions = {}): FigureSpec {
  const { grid } = input
  const [lo, hi] = input.range
  const side = grid * IMAGE_SIDE * CELL
  const img = gridImage(input.images, grid, grid, 0, pngScale(CELL, opts.pixelRatio))
  // Tile c is decoded at lo + c * step and spans half a step either side of it.
  const step = grid > 1 ? (hi - lo) / (grid - 1) : 1
  const extent = { min: lo - step / 2, max: hi + step / 2 }
  // Ticks at round values inside the range (a fixed interval would start at the odd extent).
  const tick = niceStep(hi - lo)
  const ticks: number[] = []
  for (let v = Math.ceil(lo / tick - 1e-9) * tick; v <= hi + 1e-9; v += tick)
    ticks.push(Number(v.toFixed(10)))
  const axisLabel = { customValues: ticks }
  const axisTick = { customValues: ticks }
  const showTitle = opts.title !== false
  const top = showTitle ? TITLE_HEIGHT + 16 : 12
  const title = `Learned manifold, ${input.run.name}`

  const option: EChartsOption = {
    ...baseOption(),
    title: showTitle ? titleBlock(title) : undefined,
    grid: { left: LEFT, top, width: side, height: side, containLabel: false },
    xAxis: valueXAxis('z₁', {
      ...extent,
      scale: false,
      splitLine: { show: false },
      axisLabel,
      axisTick
    }),
    yAxis: valueYAxis('z₂', {
      ...extent,
      scale: false,
      splitLine: { show: false },
      axisLabel,
      axisTick,
      nameGap: 34
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
    option
  }
}
