// Issue 13's figure polish: what a student needs to put a figure in a paper.
import type { EChartsOption } from 'echarts'
import { describe, expect, it } from 'vitest'
import { FASHION_MNIST_NAMES } from '../../../../src-main/common/classNames'
import { curvesFigure, smooth } from '../../../../src-main/common/figures/curvesFigure'
import {
  fitRanges,
  linearLattice,
  normalQuantile,
  outsideShare,
  quantileLattice
} from '../../../../src-main/common/figures/manifoldLattice'
import { minDimFigure } from '../../../../src-main/common/figures/minDimFigure'
import { CLASS_COLORS, CLASS_SYMBOLS } from '../../../../src-main/common/figures/palette'
import { perDigitFigure } from '../../../../src-main/common/figures/perDigitFigure'
import { reconFigure } from '../../../../src-main/common/figures/reconFigure'
import { scatterFigure } from '../../../../src-main/common/figures/scatterFigure'
import { legendRows, textWidth } from '../../../../src-main/common/figures/textWidth'
import { minimalLatentDim } from '../../../../src-main/core/analysis/minimalLatentDim'
import { label, squares } from '../../../helpers/exportFixtures'

type Loose = Record<string, unknown>
const asArray = <T>(x: T | T[] | undefined): T[] =>
  x === undefined ? [] : Array.isArray(x) ? x : [x]
const series = (o: EChartsOption) => asArray(o.series) as Loose[]
const labels = (n: number) => Array.from({ length: n }, (_, i) => i % 10)
const points = (n: number, scale = 1) =>
  Array.from(
    { length: n },
    (_, i) => [scale * (i % 10), scale * Math.floor(i / 10)] as [number, number]
  )
const epoch = (e: number) => ({
  epoch: e,
  train: { nelbo: 200 / e, rec: 190 / e, kl: 10 },
  test: { nelbo: 201.234 / e, rec: 191 / e, kl: 10 }
})

describe('the class palette', () => {
  it('gives every class its own colour and its own marker shape', () => {
    expect(new Set(CLASS_COLORS).size).toBe(10)
    expect(new Set(CLASS_SYMBOLS).size).toBe(10)
    // The pair the issue found (0 and 4) in particular.
    expect(CLASS_COLORS[0]).not.toBe(CLASS_COLORS[4])
    expect(CLASS_SYMBOLS[0]).not.toBe(CLASS_SYMBOLS[4])
  })
})

describe('scatterFigure', () => {
  const spec = scatterFigure(
    {
      panels: [
        { run: label(1, 2), points: points(240), labels: labels(240), method: 'mu' },
        { run: label(2, 2), points: points(240, 3), labels: labels(240), method: 'mu' }
      ]
    },
    { classes: FASHION_MNIST_NAMES }
  )

  it('names the class and both coordinates, rounded, in the tooltip', () => {
    const s = series(spec.option)[3] as { tooltip: { formatter: (p: unknown) => string } }
    const text = s.tooltip.formatter({ value: [1.23456, -0.5] })
    expect(text).toContain('class Dress')
    expect(text).toContain('z₁ 1.23, z₂ -0.50')
  })

  it('shares one axis range across the panels it compares', () => {
    const xs = asArray(spec.option.xAxis as Loose | Loose[])
    expect(xs[0].min).toBe(xs[1].min)
    expect(xs[0].max).toBe(xs[1].max)
    expect(Number(xs[1].max)).toBeGreaterThanOrEqual(27)
  })

  it('puts the legend below the title and the panels below the legend, with room for long names', () => {
    const legend = spec.option.legend as Loose
    const titles = asArray(spec.option.title as Loose | Loose[])
    expect(Number(legend.top)).toBeGreaterThanOrEqual(Number(titles[0].top) + 20)
    expect((legend.data as string[])[9]).toBe('Ankle boot')
    const panelTop = Math.min(...titles.slice(1).map((t) => Number(t.top)))
    const rows = legendRows(FASHION_MNIST_NAMES, Number(legend.width), {
      iconWidth: 12,
      itemGap: 14
    })
    expect(panelTop).toBeGreaterThanOrEqual(Number(legend.top) + rows * 20)
  })
})

describe('curvesFigure', () => {
  const spec = curvesFigure({
    runs: [{ run: label(1, 2), epochs: [epoch(1), epoch(2), epoch(3)] }]
  })

  it('tells train from test in the legend and the tooltip, rounded to 2 decimals', () => {
    expect((spec.option.legend as Loose).data).toEqual(['latent 2 · test', 'latent 2 · train'])
    const tooltip = spec.option.tooltip as { valueFormatter: (v: unknown) => string }
    expect(tooltip.valueFormatter(201.23456)).toBe('201.23')
    // The axis tooltip itself: one line per series (the band's helpers left out), rounded.
    const format = (spec.option.tooltip as { formatter: (p: unknown) => string }).formatter
    expect(
      format([
        { seriesName: 'latent 2 · test', marker: '', value: [2, 201.23456] },
        { seriesName: 'latent 2 · train', marker: '', value: [2, 199.5] }
      ])
    ).toBe('epoch 2<br/>latent 2 · test: 201.23<br/>latent 2 · train: 199.50')
  })

  it('starts the epoch axis at the first epoch', () => {
    expect((asArray(spec.option.xAxis as Loose | Loose[])[0] as Loose).min).toBe(1)
  })

  it('offers log axes, smoothing and, on screen, zoom', () => {
    const s = curvesFigure(
      { runs: [{ run: label(1, 2), epochs: [epoch(1), epoch(2), epoch(3)] }] },
      { curves: { logY: true, smoothing: 0.6 }, interactive: true }
    )
    expect((asArray(s.option.yAxis as Loose | Loose[])[0] as Loose).type).toBe('log')
    expect(asArray(s.option.dataZoom as Loose | Loose[]).length).toBe(2)
    const raw = (series(spec.option)[0].data as number[][]).map((p) => p[1])
    const smoothed = (series(s.option)[0].data as number[][]).map((p) => p[1])
    expect(smoothed[0]).toBeCloseTo(raw[0])
    expect(smoothed[2]).toBeGreaterThan(raw[2])
    expect(curvesFigure({ runs: [] }).option.dataZoom).toBeUndefined()
  })

  it('smooths like TensorBoard: debiased, and weight 0 leaves values alone', () => {
    expect(smooth([1, 2, 3], 0)).toEqual([1, 2, 3])
    expect(smooth([5, 5, 5], 0.9)).toEqual([5, 5, 5].map(() => expect.closeTo(5)))
  })
})

describe('per-class figures', () => {
  const perDigit = [
    { latentDim: 2, perDigit: labels(10).map(() => 120) },
    { latentDim: 2, perDigit: labels(10).map(() => 118) },
    { latentDim: 10, perDigit: labels(10).map(() => 100) }
  ]

  it('per-class bars can start the axis near the data, and say so', () => {
    const bars = perDigitFigure(
      { runs: perDigit.map((r, i) => ({ run: label(i + 1, r.latentDim), perDigit: r.perDigit })) },
      { barsFromZero: false }
    )
    expect(Number((bars.option.yAxis as Loose).min)).toBeGreaterThan(50)
    expect(String((bars.option.title as Loose).subtext)).toContain('not at 0')
  })

  it('the min-dim heatmap names each run where two share a latent dim, in readable type', () => {
    const m = minimalLatentDim(
      perDigit.map((r, i) => ({ ...r, label: `run ${i + 1}` })),
      1
    )
    const spec = minDimFigure(m, { classes: FASHION_MNIST_NAMES })
    const y = spec.option.yAxis as Loose
    expect(y.data).toEqual(['run 1', 'run 2', 'run 3'])
    expect((y.axisLabel as Loose).fontSize).toBeGreaterThanOrEqual(13)
    expect((spec.option.xAxis as Loose).data).toEqual(FASHION_MNIST_NAMES)
    expect(spec.title).toBe('Minimal latent dimension per class')
  })
})

describe('reconFigure', () => {
  it('measures the row labels: a long run name widens the gutter instead of being clipped', () => {
    const short = reconFigure({
      labels: labels(10),
      originals: squares(10),
      rows: [{ run: label(1, 2), images: squares(10) }]
    })
    const name = 'latent 2 · run 17 · beta 4'
    const long = reconFigure({
      labels: labels(10),
      originals: squares(10),
      rows: [{ run: { runId: 17, latentDim: 2, name }, images: squares(10) }]
    })
    const left = (s: typeof short) => Number((s.option.grid as Loose).left)
    expect(left(long)).toBeGreaterThan(left(short))
    expect(left(long)).toBeGreaterThanOrEqual(textWidth(name, 12, true) + 10)
    expect((long.option.yAxis as Loose).data).toContain(name)
  })
})

describe('manifold lattices', () => {
  it('inverts the Gaussian CDF accurately', () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9)
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5)
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 5)
  })

  it("spaces the paper's lattice by equal prior mass and a linear one evenly", () => {
    const q = quantileLattice(20)
    expect(q.xs[0]).toBeCloseTo(normalQuantile(0.025))
    expect(q.ys[0]).toBeCloseTo(-q.xs[0])
    expect(linearLattice(3, [-3, 3]).xs).toEqual([-3, 0, 3])
  })

  it('fits the range to the data and measures how much lies outside a lattice', () => {
    const mu = [
      [5, 5],
      [6, 7],
      [7, 9]
    ]
    const [rx, ry] = fitRanges(mu)
    expect(rx[0]).toBeLessThan(5)
    expect(ry[1]).toBeGreaterThan(9)
    expect(outsideShare(mu, linearLattice(20, [-3, 3]))).toBe(1)
    expect(outsideShare(mu, linearLattice(20, rx, ry))).toBe(0)
  })
})
