// Fig 6 of the seed: ten test digits (the same for every run), originals in the first row and each
// run's reconstructions (decoder means at z = mu) below, as one crisp image on labelled category axes.
import type { EChartsOption } from 'echarts'
import { className, classNoun, DIGIT_NAMES } from '../classNames'
import {
  baseOption,
  FONT_SIZE,
  MUTED_TEXT,
  TEXT_COLOR,
  TITLE_HEIGHT,
  titleBlock
} from './figureTheme'
import { fitText, textWidth } from './textWidth'
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
const RIGHT = 16
const COLUMN_LABELS = 24
const BOTTOM = 12
/** Row labels are measured (bold, as drawn) and the gutter made to fit them; past this, cut with … */
const MAX_LABEL = 300
const LABEL_MARGIN = 10

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
  const classes = opts.classes ?? DIGIT_NAMES
  const names = ['original', ...input.rows.map((r) => r.run.name)]
  const rowNames = names.map((n) => fitText(n, MAX_LABEL, FONT_SIZE, true))
  const LEFT = Math.ceil(
    Math.max(...rowNames.map((n) => textWidth(n, FONT_SIZE, true))) + LABEL_MARGIN + 12
  )
  // Column labels are names for named classes: their width sets the column spacing's minimum.
  const colLabels = input.labels.map((l) => className(classes, l))
  const top = (showTitle ? TITLE_HEIGHT + 8 : 8) + COLUMN_LABELS
  const width = LEFT + imgW + RIGHT
  const height = top + imgH + BOTTOM
  const noun = classNoun(classes)
  const title =
    noun === 'digit' ? 'Reconstructions of ten test digits' : 'Reconstructions of ten test images'
  const titled = input.epoch !== undefined ? `${title} at epoch ${input.epoch}` : title
  const hidden = { show: false }

  const option: EChartsOption = {
    ...baseOption(),
    title: showTitle ? titleBlock(titled) : undefined,
    grid: { left: LEFT, top, width: imgW, height: imgH, containLabel: false },
    xAxis: {
      type: 'category',
      position: 'top',
      data: colLabels,
      axisLine: hidden,
      axisTick: hidden,
      axisLabel: {
        color: MUTED_TEXT,
        margin: 6,
        interval: 0,
        fontSize: FONT_SIZE,
        // A name wider than its tile is cut with … (the caption lists the classes in order).
        formatter: (v: string) => fitText(v, imgW / cols - 4, FONT_SIZE)
      }
    },
    yAxis: {
      type: 'category',
      inverse: true,
      data: rowNames,
      axisLine: hidden,
      axisTick: hidden,
      axisLabel: {
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
        left: LEFT,
        top,
        silent: true,
        style: { image: img.url, x: 0, y: 0, width: imgW, height: imgH }
      }
    ]
  }
  const caption =
    `Reconstructions (decoder means at z = μ) of the same ten test images, one per ${noun}` +
    (noun === 'digit' ? '' : ` (${colLabels.join(', ')})`) +
    `: the originals in the first row, then one row per run (${input.rows.map((r) => r.run.name).join('; ')}).`
  return { name: 'recon', title: titled, width, height, option, caption }
}
