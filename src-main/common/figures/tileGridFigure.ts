// A labelled grid of 28 x 28 tiles as one crisp image (the layout Fig 6 uses), for the decoded
// figures of issue 17: latent traversals, interpolations and prior samples.
import type { EChartsOption } from 'echarts'
import {
  baseOption,
  FONT_SIZE,
  MUTED_TEXT,
  TEXT_COLOR,
  TITLE_HEIGHT,
  titleBlock
} from './figureTheme'
import { IMAGE_SIDE, type FigureOptions, type FigureSpec, type GreyImages } from './figureInputs'
import { gridImage, pngScale } from './imageGrid'
import { fitText, textWidth } from './textWidth'

const GAP = 1
const RIGHT = 16
const BOTTOM = 12
const LABEL_MARGIN = 10
const MAX_LABEL = 240

export interface TileGrid {
  name: string
  title: string
  subtitle?: string
  caption: string
  rows: number
  cols: number
  images: GreyImages
  /** CSS pixels per image pixel (2: 56 px tiles). */
  cell?: number
  rowLabels?: readonly string[]
  colLabels?: readonly string[]
}

export function tileGridFigure(g: TileGrid, opts: FigureOptions = {}): FigureSpec {
  const cell = g.cell ?? 2
  const img = gridImage(g.images, g.rows, g.cols, GAP, pngScale(cell, opts.pixelRatio))
  const imgW = (g.cols * (IMAGE_SIDE + GAP) - GAP) * cell
  const imgH = (g.rows * (IMAGE_SIDE + GAP) - GAP) * cell
  const showTitle = opts.title !== false
  const rowNames = (g.rowLabels ?? []).map((n) => fitText(n, MAX_LABEL, FONT_SIZE, true))
  const left = rowNames.length
    ? Math.ceil(Math.max(...rowNames.map((n) => textWidth(n, FONT_SIZE, true))) + LABEL_MARGIN + 12)
    : 16
  const colHead = g.colLabels ? 24 : 0
  const top = (showTitle ? TITLE_HEIGHT + (g.subtitle ? 22 : 8) : 8) + colHead
  const hidden = { show: false }
  const option: EChartsOption = {
    ...baseOption(),
    title: showTitle ? titleBlock(g.title, g.subtitle) : undefined,
    grid: { left, top, width: imgW, height: imgH, containLabel: false },
    xAxis: {
      type: 'category',
      position: 'top',
      data: [...(g.colLabels ?? Array.from({ length: g.cols }, () => ''))],
      axisLine: hidden,
      axisTick: hidden,
      axisLabel: {
        show: g.colLabels !== undefined,
        color: MUTED_TEXT,
        margin: 6,
        interval: 0,
        fontSize: FONT_SIZE,
        formatter: (v: string) => fitText(v, imgW / g.cols - 2, FONT_SIZE)
      }
    },
    yAxis: {
      type: 'category',
      inverse: true,
      data: [...(rowNames.length ? rowNames : Array.from({ length: g.rows }, () => ''))],
      axisLine: hidden,
      axisTick: hidden,
      axisLabel: {
        show: rowNames.length > 0,
        color: TEXT_COLOR,
        margin: LABEL_MARGIN,
        fontWeight: 'bold',
        fontSize: FONT_SIZE
      }
    },
    series: [],
    graphic: [
      {
        type: 'image',
        left,
        top,
        silent: true,
        style: { image: img.url, x: 0, y: 0, width: imgW, height: imgH }
      }
    ]
  }
  return {
    name: g.name,
    title: g.title,
    width: Math.max(left + imgW + RIGHT, showTitle ? textWidth(g.title, 14, true) + 40 : 0),
    height: top + imgH + BOTTOM,
    option,
    caption: g.caption
  }
}
