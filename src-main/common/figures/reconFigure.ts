// Fig 6 of the seed: ten test digits (the same for every run), originals in the first row and each
// run's reconstructions (decoder means at z = mu) below, as one crisp image on labelled category axes.
import type { EChartsOption } from 'echarts'
import { baseOption, MUTED_TEXT, TEXT_COLOR, TITLE_HEIGHT, titleBlock } from './figureTheme'
import {
  IMAGE_PIXELS,
  IMAGE_SIDE,
  type FigureOptions,
  type FigureSpec,
  type ReconInput
} from './figureInputs'
import { gridImage, pngScale } from './imageGrid'

/** CSS pixels per image pixel: 56 px tiles read well in a paper column and on screen. */
const CELL = 2
/** White image pixels between tiles. */
const GAP = 1
const LEFT = 96
const RIGHT = 16
const COLUMN_LABELS = 24
const BOTTOM = 12

export function reconFigure(input: ReconInput, opts: FigureOptions = {}): FigureSpec {
  const cols = input.labels.length
  const rows = 1 + input.rows.length
  const images = new Uint8Array(rows * cols * IMAGE_PIXELS)
  images.set(Uint8Array.from(input.originals).subarray(0, cols * IMAGE_PIXELS), 0)
  input.rows.forEach((r, i) =>
    images.set(
      Uint8Array.from(r.images).subarray(0, cols * IMAGE_PIXELS),
      (i + 1) * cols * IMAGE_PIXELS
    )
  )

  const scale = pngScale(CELL, opts.pixelRatio)
  const img = gridImage(images, rows, cols, GAP, scale)
  const imgW = (cols * (IMAGE_SIDE + GAP) - GAP) * CELL
  const imgH = (rows * (IMAGE_SIDE + GAP) - GAP) * CELL
  const showTitle = opts.title !== false
  const top = (showTitle ? TITLE_HEIGHT + 8 : 8) + COLUMN_LABELS
  const width = LEFT + imgW + RIGHT
  const height = top + imgH + BOTTOM
  const title = 'Reconstructions of ten test digits'
  const rowNames = ['original', ...input.rows.map((r) => r.run.name)]
  const hidden = { show: false }

  const option: EChartsOption = {
    ...baseOption(),
    title: showTitle ? titleBlock(title) : undefined,
    grid: { left: LEFT, top, width: imgW, height: imgH, containLabel: false },
    xAxis: {
      type: 'category',
      position: 'top',
      data: input.labels.map(String),
      axisLine: hidden,
      axisTick: hidden,
      axisLabel: { color: MUTED_TEXT, margin: 6 }
    },
    yAxis: {
      type: 'category',
      inverse: true,
      data: rowNames,
      axisLine: hidden,
      axisTick: hidden,
      axisLabel: { color: TEXT_COLOR, margin: 10, fontWeight: 'bold' }
    },
    series: [],
    graphic: [
      {
        type: 'image',
        left: LEFT,
        top,
        silent: true,
        style: { image: img.url, x: 0, y: 0, width: imgW, height: imgH }
      }
    ]
  }
  return { name: 'recon', title, width, height, option }
}
