// The seed's first open question: the minimal latent dim per digit. A dims x digits table coloured
// by how far each dim's per-digit test -ELBO lies above that digit's best; the minimal dim is boxed.
import type { EChartsOption, HeatmapSeriesOption } from 'echarts'
import { classNoun, DIGIT_NAMES } from '../classNames'
import {
  baseOption,
  classAxisHeight,
  digitXAxis,
  MUTED_TEXT,
  TEXT_COLOR,
  TITLE_HEIGHT,
  titleBlock
} from './figureTheme'
import type { FigureOptions, FigureSpec, MinDimInput } from './figureInputs'
import { textWidth } from './textWidth'

/** Cells and text are sized for reading in a paper column: 13 px labels in 60 x 40 px cells. */
const CELL = { width: 60, height: 40 }
const LABEL_SIZE = 13
const PAD = { right: 116, top: 26 }

export function minDimFigure(input: MinDimInput, opts: FigureOptions = {}): FigureSpec {
  const classes = opts.classes ?? DIGIT_NAMES
  const noun = classNoun(classes)
  const showTitle = opts.title !== false
  const head = showTitle ? TITLE_HEIGHT + 24 : 6
  const rowNames = input.labels ?? input.dims.map(String)
  const left = Math.ceil(Math.max(40, ...rowNames.map((n) => textWidth(n, LABEL_SIZE))) + 42)
  const bottom = classAxisHeight(classes)
  const plotW = 10 * CELL.width
  const plotH = Math.max(1, input.dims.length) * CELL.height
  const data: NonNullable<HeatmapSeriesOption['data']> = []
  let maxGap = input.tolerance
  input.dims.forEach((dim, y) => {
    for (let d = 0; d < 10; d++) {
      const v = input.nelbo[y]?.[d]
      const best = input.rows[d]?.bestNelbo
      if (v === null || v === undefined || best === null || best === undefined) continue
      const gap = v - best
      maxGap = Math.max(maxGap, gap)
      const minimal =
        input.rows[d].minimalRow !== undefined
          ? input.rows[d].minimalRow === y
          : input.rows[d].minimalDim === dim
      data.push({
        value: [d, y, Number(gap.toFixed(3))],
        itemStyle: minimal
          ? { borderColor: '#000000', borderWidth: 2.5 }
          : { borderColor: '#ffffff', borderWidth: 1 },
        label: { fontWeight: minimal ? 'bold' : 'normal' }
      })
    }
  })
  const title = `Minimal latent dimension per ${noun}`
  const grouped = input.agreement !== undefined
  const subtitle =
    `boxed: smallest dim within ${input.tolerance} nat${input.tolerance === 1 ? '' : 's'} of the ${noun}'s best test −ELBO; cells: nats above the best` +
    (grouped ? '; rows: means over seeds' : '')
  // Above each column: how many seeds, each taken alone, box the same row as the means.
  const agreeTop = head + PAD.top - 18
  const agreement = (input.agreement ?? []).flatMap((a, d) =>
    a
      ? [
          {
            type: 'text' as const,
            left: left + d * CELL.width + CELL.width / 2 - textWidth(`${a.agree}/${a.of}`, 12) / 2,
            top: agreeTop,
            silent: true,
            style: {
              text: `${a.agree}/${a.of}`,
              fill: a.agree === a.of ? TEXT_COLOR : '#b00020',
              fontSize: 12,
              fontWeight: a.agree === a.of ? ('normal' as const) : ('bold' as const)
            }
          }
        ]
      : []
  )
  if (agreement.length)
    agreement.push({
      type: 'text' as const,
      left: Math.max(4, left - textWidth('seeds agree', 12) - 8),
      top: agreeTop,
      silent: true,
      style: { text: 'seeds agree', fill: MUTED_TEXT, fontSize: 12, fontWeight: 'normal' as const }
    })
  const option: EChartsOption = {
    ...baseOption(),
    title: showTitle ? titleBlock(title, subtitle) : undefined,
    tooltip: { position: 'top' },
    ...(agreement.length ? { graphic: agreement } : {}),
    grid: { left, top: head + PAD.top, width: plotW, height: plotH, containLabel: false },
    xAxis: digitXAxis(
      {
        axisTick: { show: false },
        axisLine: { show: false },
        axisLabel: {
          color: TEXT_COLOR,
          fontSize: LABEL_SIZE,
          interval: 0,
          rotate: noun === 'digit' ? 0 : 30
        }
      },
      classes
    ),
    yAxis: {
      type: 'category',
      inverse: true,
      data: [...rowNames],
      name:
        input.labels && input.labels.some((l, i) => l !== String(input.dims[i]))
          ? 'run'
          : 'latent dim',
      nameLocation: 'middle',
      nameGap: left - 18,
      axisTick: { show: false },
      axisLine: { show: false },
      axisLabel: { color: TEXT_COLOR, fontSize: LABEL_SIZE },
      nameTextStyle: { color: TEXT_COLOR, fontSize: LABEL_SIZE }
    },
    visualMap: {
      type: 'continuous',
      min: 0,
      max: Number(maxGap.toFixed(3)),
      dimension: 2,
      orient: 'vertical',
      right: 12,
      top: head + PAD.top,
      itemHeight: Math.max(60, plotH - 30),
      text: [`+${maxGap.toFixed(0)} nats`, '0'],
      textStyle: { color: MUTED_TEXT, fontSize: LABEL_SIZE },
      calculable: false,
      // Sequential light-to-mid blue (ColorBrewer Blues): readable black labels on every cell.
      inRange: { color: ['#f7fbff', '#c6dbef', '#6baed6'] }
    },
    series: [
      {
        type: 'heatmap',
        data,
        label: {
          show: true,
          color: TEXT_COLOR,
          fontSize: LABEL_SIZE,
          formatter: (p) => formatGap((p.value as number[])[2])
        },
        tooltip: {
          formatter: (p) => {
            const [d, y, gap] = (p as { value: number[] }).value
            return `${rowNames[y]} · ${noun} ${classes[d]}<br/>${gap.toFixed(2)} nats above the best`
          }
        }
      }
    ]
  }
  return {
    name: 'mindim',
    title,
    width: left + plotW + PAD.right,
    height: head + PAD.top + plotH + bottom,
    option,
    caption:
      `Minimal latent dimension per ${noun}: each cell is how many nats a row's test −ELBO for ` +
      `that ${noun} lies above the best row's; the box marks the smallest latent dimension within ` +
      `${input.tolerance} nat${input.tolerance === 1 ? '' : 's'} of the best.` +
      (grouped
        ? ` Rows are seed groups, each the mean over its seeds; above each column, how many seeds taken alone (paired across groups by ${input.pairedBy === 'rank' ? 'rank, as the groups have different seeds' : 'seed'}) give the same minimal dimension.`
        : '')
  }
}

function formatGap(v: number): string {
  return v < 0.05 ? '0' : v < 10 ? `+${v.toFixed(1)}` : `+${v.toFixed(0)}`
}
