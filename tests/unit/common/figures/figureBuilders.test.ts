import type { EChartsOption } from 'echarts'
import { describe, expect, it } from 'vitest'
import { minimalLatentDim } from '../../../../src-main/core/analysis/minimalLatentDim'
import { curvesFigure } from '../../../../src-main/common/figures/curvesFigure'
import type { FigureSpec } from '../../../../src-main/common/figures/figureInputs'
import { manifoldFigure } from '../../../../src-main/common/figures/manifoldFigure'
import { minDimFigure } from '../../../../src-main/common/figures/minDimFigure'
import { CLASS_COLORS } from '../../../../src-main/common/figures/palette'
import { linearLattice, quantileLattice } from '../../../../src-main/common/figures/manifoldLattice'
import { perDigitFigure } from '../../../../src-main/common/figures/perDigitFigure'
import { projectionFigure } from '../../../../src-main/common/figures/projectionFigure'
import { reconFigure } from '../../../../src-main/common/figures/reconFigure'
import { scatterFigure } from '../../../../src-main/common/figures/scatterFigure'
import { label, squares } from '../../../helpers/exportFixtures'

const asArray = <T>(x: T | T[] | undefined): T[] =>
  x === undefined ? [] : Array.isArray(x) ? x : [x]
type Loose = Record<string, unknown>
const series = (o: EChartsOption) => asArray(o.series) as Loose[]
const graphicImages = (o: EChartsOption) =>
  asArray(o.graphic as Loose | Loose[]).filter((g) => g.type === 'image')

function expectExportable(spec: FigureSpec) {
  expect(spec.option.animation).toBe(false)
  expect(spec.width).toBeGreaterThan(200)
  expect(spec.height).toBeGreaterThan(150)
  // Plain data: the renderer receives the same option (functions aside, which ECharts accepts).
  expect(() => JSON.stringify(spec.option)).not.toThrow()
}

const points = (n: number, offset = 0) =>
  Array.from({ length: n }, (_, i) => [i % 10, Math.floor(i / 10) + offset] as [number, number])
const labels = (n: number) => Array.from({ length: n }, (_, i) => i % 10)

describe('figure builders', () => {
  it('reconFigure: one image of (1 + runs) x 10 tiles exactly over the category grid, rows named', () => {
    const spec = reconFigure({
      labels: labels(10),
      originals: squares(10),
      rows: [
        { run: label(1, 2), images: squares(10) },
        { run: label(2, 5), images: squares(10) }
      ]
    })
    expectExportable(spec)
    const [img] = graphicImages(spec.option)
    const style = img.style as Loose
    const grid = spec.option.grid as Loose
    expect([img.left, img.top, style.width, style.height]).toEqual([
      grid.left,
      grid.top,
      grid.width,
      grid.height
    ])
    expect(style.width).toBe((10 * 29 - 1) * 2)
    expect(style.height).toBe((3 * 29 - 1) * 2)
    expect((spec.option.yAxis as Loose).data).toEqual(['original', 'latent 2', 'latent 5'])
    expect(String(style.image).startsWith('data:image/png;base64,')).toBe(true)
  })

  it('manifoldFigure: tiles sit at their decoded z values, ticks at round values', () => {
    const spec = manifoldFigure({
      run: label(1, 2),
      grid: 20,
      spacing: 'linear',
      ...linearLattice(20, [-3, 3]),
      images: squares(400)
    })
    expectExportable(spec)
    const x = spec.option.xAxis as Loose
    // Tile positions 0..19: tile c spans c - 1/2 .. c + 1/2; z = -3 is tile 0, z = 3 tile 19.
    expect(x.min).toBe(-0.5)
    expect(x.max).toBe(19.5)
    const ticks = (x.axisLabel as Loose).customValues as number[]
    const label0 = (x.axisLabel as { formatter: (v: number) => string }).formatter
    expect(ticks.map(label0)).toEqual(['-3', '-2', '-1', '0', '1', '2', '3'])
    expect(ticks[0]).toBeCloseTo(0)
    expect(ticks[6]).toBeCloseTo(19)
    expect(x.name).toBe('z₁')
    expect((graphicImages(spec.option)[0].style as Loose).width).toBe(560)
    expect(spec.name).toBe('manifold-run-1')
  })

  it('manifoldFigure: the paper spacing labels Gaussian quantiles; the image keeps its size at grid 40', () => {
    const spec = manifoldFigure({
      run: label(1, 2),
      grid: 40,
      spacing: 'icdf',
      ...quantileLattice(40),
      images: squares(1600)
    })
    expectExportable(spec)
    const x = spec.option.xAxis as Loose
    expect(x.name).toBe('z₁ (Gaussian quantiles)')
    // Text does not shrink with the grid: the figure is as large as at grid 20.
    expect((graphicImages(spec.option)[0].style as Loose).width).toBe(560)
    expect(spec.width).toBe(
      manifoldFigure({
        run: label(1, 2),
        grid: 20,
        spacing: 'icdf',
        ...quantileLattice(20),
        images: squares(400)
      }).width
    )
    // z = 0 is in the middle of the lattice.
    const ticks = (x.axisLabel as Loose).customValues as number[]
    const fmt = (x.axisLabel as { formatter: (v: number) => string }).formatter
    expect(ticks[ticks.map(fmt).indexOf('0')]).toBeCloseTo(19.5)
  })

  it('scatterFigure: a panel per run, a series per digit in the colour-blind-safe palette', () => {
    const spec = scatterFigure({
      panels: [
        { run: label(1, 2), points: points(240), labels: labels(240), method: 'mu' },
        { run: label(2, 10), points: points(240, 1), labels: labels(240), method: 'pca' }
      ]
    })
    expectExportable(spec)
    const s = series(spec.option)
    expect(s).toHaveLength(20)
    expect(s.filter((x) => x.xAxisIndex === 1)).toHaveLength(10)
    expect(s.map((x) => (x.itemStyle as Loose).color).slice(0, 10)).toEqual(CLASS_COLORS)
    expect(s.every((x) => (x.data as unknown[]).length === 24)).toBe(true)
    expect(asArray(spec.option.xAxis as Loose | Loose[]).map((a) => a.name)).toEqual(['z₁', 'PC 1'])
    expect((spec.option.legend as Loose).data).toEqual([
      '0',
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
      '9'
    ])
  })

  it('projectionFigure: panels carry the k-NN separability scores', () => {
    const spec = projectionFigure(
      {
        panels: [
          {
            run: label(3, 50),
            points: points(240),
            labels: labels(240),
            method: 'umap',
            separability: { k: 5, latent: 0.9125, projected: 0.875 }
          }
        ]
      },
      'umap'
    )
    expectExportable(spec)
    const titles = asArray(spec.option.title as Loose | Loose[])
    expect(
      titles.some((t) => String(t.subtext).includes('5-NN accuracy: latent 91.3%, 2-D 87.5%'))
    ).toBe(true)
    expect(asArray(spec.option.xAxis as Loose | Loose[])[0].name).toBe('UMAP 1')
  })

  it('curvesFigure: test solid and train dashed per run, rec and KL panels on request', () => {
    const e = (epoch: number) => ({
      epoch,
      train: { nelbo: 200 - epoch, rec: 190 - epoch, kl: 10 },
      test: { nelbo: 198 - epoch, rec: 188 - epoch, kl: 10 }
    })
    const spec = curvesFigure({
      runs: [
        { run: label(1, 2), epochs: [e(1), e(2)] },
        { run: label(2, 5), epochs: [e(1), e(2)] }
      ],
      showParts: true
    })
    expectExportable(spec)
    const s = series(spec.option)
    expect(s).toHaveLength(12)
    expect(s.filter((x) => (x.lineStyle as Loose).type === 'dashed')).toHaveLength(6)
    expect(asArray(spec.option.yAxis as Loose | Loose[]).map((a) => a.name)).toEqual([
      '−ELBO (nats per image)',
      'rec (nats per image)',
      'KL (nats per image)'
    ])
  })

  it('perDigitFigure and minDimFigure: grouped bars from zero; the minimal dim boxed', () => {
    const perDigit = [
      { latentDim: 2, perDigit: labels(10).map(() => 120) },
      { latentDim: 10, perDigit: labels(10).map((d) => (d < 5 ? 100.5 : 110)) },
      { latentDim: 50, perDigit: labels(10).map(() => 100) }
    ]
    const bars = perDigitFigure({
      runs: perDigit.map((r, i) => ({ run: label(i + 1, r.latentDim), perDigit: r.perDigit }))
    })
    expectExportable(bars)
    expect(series(bars.option)).toHaveLength(3)
    expect((bars.option.yAxis as Loose).min).toBe(0)

    const spec = minDimFigure(minimalLatentDim(perDigit, 1))
    expectExportable(spec)
    const cells = series(spec.option)[0].data as { value: number[]; itemStyle: Loose }[]
    expect(cells).toHaveLength(30)
    const boxed = cells
      .filter((c) => c.itemStyle.borderColor === '#000000')
      .map((c) => c.value.slice(0, 2))
    // Digits 0-4 -> dim 10 (row 1), digits 5-9 -> dim 50 (row 2).
    expect(boxed).toEqual([
      ...[0, 1, 2, 3, 4].map((d) => [d, 1]),
      ...[5, 6, 7, 8, 9].map((d) => [d, 2])
    ])
  })
})
