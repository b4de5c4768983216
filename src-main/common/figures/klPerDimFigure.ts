// KL per latent dimension (issue 17), sorted from the largest: the active-units picture of
// Burda et al. (2015). A dim whose KL is ~0 carries no information about x (posterior collapse);
// bars are dark for active units (Var_x E_q[z_j|x] > 0.01) and light for the others.
import type { EChartsOption } from 'echarts'
import {
  baseOption,
  FONT_SIZE,
  MUTED_TEXT,
  TEXT_COLOR,
  TITLE_HEIGHT,
  titleBlock,
  valueYAxis
} from './figureTheme'
import type { FigureOptions, FigureSpec, KlPerDimInput } from './figureInputs'
import { runColor } from './palette'
import { textWidth } from './textWidth'

const PAD = { left: 64, right: 20, top: 22, bottom: 52 }
const PLOT_H = 220
const INACTIVE = '#c8c8c8'

function subtitleOf(total: number, nActive: number | null, threshold: number): string {
  return (
    `sorted; total ${total.toFixed(2)} nats` +
    (nActive !== null
      ? `; dark: ${nActive} active unit${nActive === 1 ? '' : 's'} (Var E[z_j|x] > ${threshold})`
      : '')
  )
}

export function klPerDimFigure(
  input: KlPerDimInput,
  opts: FigureOptions = {},
  colorIndex = 0
): FigureSpec {
  const order = input.klPerDim.map((kl, d) => ({ kl, d })).sort((a, b) => b.kl - a.kl || a.d - b.d)
  const threshold = input.threshold ?? 0.01
  const active = (d: number) => (input.variances ? input.variances[d] > threshold : true)
  const nActive = input.variances ? order.filter((o) => active(o.d)).length : null
  const total = input.klPerDim.reduce((s, v) => s + v, 0)
  const plotW = Math.max(
    320,
    order.length * 16,
    textWidth(subtitleOf(total, nActive, threshold), FONT_SIZE) - PAD.left + 24
  )
  const showTitle = opts.title !== false
  const head = showTitle ? TITLE_HEIGHT + 20 : 6
  const title = `KL per latent dimension, ${input.run.name}${input.epoch !== undefined ? `, epoch ${input.epoch}` : ''}`
  const subtitle = subtitleOf(total, nActive, threshold)
  const color = runColor(colorIndex)
  const option: EChartsOption = {
    ...baseOption(),
    title: showTitle ? titleBlock(title, subtitle) : undefined,
    tooltip: {
      trigger: 'axis',
      axisPointer: { type: 'shadow' },
      formatter: (params) => {
        const p = (Array.isArray(params) ? params[0] : params) as { dataIndex: number }
        const o = order[p.dataIndex]
        if (!o) return ''
        const v = input.variances?.[o.d]
        return (
          `z${o.d + 1}: KL ${o.kl.toFixed(3)} nats` +
          (v !== undefined
            ? `<br/>Var E[z|x] ${v.toFixed(3)}${active(o.d) ? ' (active)' : ''}`
            : '')
        )
      }
    },
    grid: {
      left: PAD.left,
      top: head + PAD.top,
      width: plotW,
      height: PLOT_H,
      containLabel: false
    },
    xAxis: {
      type: 'category',
      data: order.map((o) => `z${o.d + 1}`),
      name: 'latent dimension (sorted by KL)',
      nameLocation: 'middle',
      nameGap: 34,
      axisLabel: {
        color: TEXT_COLOR,
        fontSize: FONT_SIZE - 1,
        interval: order.length > 24 ? Math.ceil(order.length / 24) - 1 : 0
      },
      axisTick: { alignWithLabel: true },
      nameTextStyle: { color: TEXT_COLOR, fontSize: FONT_SIZE }
    },
    yAxis: valueYAxis('KL (nats)', { scale: false, min: 0, nameGap: 44 }),
    series: [
      {
        type: 'bar',
        name: input.run.name,
        data: order.map((o) => ({
          value: Number(o.kl.toFixed(4)),
          itemStyle: { color: active(o.d) ? color : INACTIVE }
        })),
        barCategoryGap: '20%',
        label: { show: false, color: MUTED_TEXT }
      }
    ]
  }
  return {
    name: `kl-per-dim-run-${input.run.runId}`,
    title,
    width: PAD.left + plotW + PAD.right,
    height: head + PAD.top + PLOT_H + PAD.bottom,
    option,
    caption:
      `KL divergence KL(q(z_j | x) ‖ N(0, 1)) of each latent dimension of ${input.run.name}, ` +
      `averaged over the test set${input.epoch !== undefined ? ` after epoch ${input.epoch}` : ''}, sorted from the largest ` +
      `(total ${total.toFixed(2)} nats, the KL term of the −ELBO)` +
      (nActive !== null
        ? `; ${nActive} of ${order.length} dimensions are active units (variance of the posterior mean over the test set above ${threshold}, Burda et al. 2015), drawn dark.`
        : '.')
  }
}
