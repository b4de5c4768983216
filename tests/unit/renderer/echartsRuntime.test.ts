// The workbench draws with a trimmed ECharts (src-renderer/charts/echartsRuntime.ts). A chart,
// component or mark it does not register is silently not drawn in a production build: the
// parallel coordinates and the seed groups' error bars were blank on screen while every export
// (full ECharts) had them. Every figure a comparison can show, built from real runs, grouped and
// ungrouped, at an epoch and final, must ask only for registered parts, and draw.
import { spawnSync } from 'node:child_process'
import path from 'node:path'
import { ComponentModel } from 'echarts/core'
import { beforeAll, describe, expect, it } from 'vitest'
import type { FigureSpec } from '../../../src-main/common/figures/figureInputs'
import { figureSpecs } from '../../../src-main/common/figures/figureSpecs'
import type { FigureBundle } from '../../../src-main/common/workbenchContract'
import { echarts } from '../../../src-renderer/charts/echartsRuntime'
import { BIN } from '../../helpers/exportFixtures'
import { tempDir } from '../../helpers/fixtures'

const ROOT = path.resolve(__dirname, '../../..')

/** Top-level option keys that are settings, not components. */
const SETTINGS = new Set([
  'animation',
  'animationDuration',
  'animationEasing',
  'backgroundColor',
  'color',
  'textStyle',
  'useUTC',
  'darkMode'
])
const MARKS = ['markLine', 'markPoint', 'markArea'] as const

type Loose = Record<string, unknown>
const asArray = (x: unknown): Loose[] =>
  x === undefined || x === null ? [] : ((Array.isArray(x) ? x : [x]) as Loose[])

/** What a figure asks ECharts for: 'series.parallel', 'visualMap', 'markLine', ... */
function partsOf(spec: FigureSpec): string[] {
  const parts = new Set<string>()
  for (const [key, value] of Object.entries(spec.option as Loose)) {
    if (value === undefined || SETTINGS.has(key)) continue
    if (key !== 'series') {
      parts.add(key)
      continue
    }
    for (const s of asArray(value)) {
      parts.add(`series.${String(s.type)}`)
      for (const m of MARKS) if (s[m]) parts.add(m)
    }
  }
  return [...parts]
}

// getClass is public in ECharts' JavaScript, not in its typings.
const classes = ComponentModel as unknown as {
  hasClass(mainType: string): boolean
  getClass(mainType: string, subType: string): unknown
}
const registered = (part: string) =>
  part.startsWith('series.')
    ? Boolean(classes.getClass('series', part.slice('series.'.length)))
    : classes.hasClass(part)

function drawn(spec: FigureSpec): string {
  const chart = echarts.init(null, null, {
    renderer: 'svg',
    ssr: true,
    width: spec.width,
    height: spec.height
  })
  try {
    chart.setOption(spec.option)
    return chart.renderToSVGString()
  } finally {
    chart.dispose()
  }
}

let ids: number[] = []
const views: { label: string; specs: FigureSpec[] }[] = []

function specsOf(b: FigureBundle, grouped: boolean): FigureSpec[] {
  const inputs = grouped && b.grouped ? { ...b.inputs, ...b.grouped.inputs } : b.inputs
  return figureSpecs(inputs, { interactive: true })
}

/**
 * The bundle the api answers (JSON-safe by design), made in another process: the api's exports
 * load the whole of ECharts, which would register every part here too and hide what is missing.
 */
function bundleOf(db: string, runIds: number[], epoch?: number): FigureBundle {
  const script = `
    const { openRunStore } = require('./out/node/core/store/openRunStore.js')
    const { figureBundle } = require('./out/node/api/figureBundle.js')
    const { FigureRequestSchema } = require('./out/node/common/workbenchContract.js')
    const { EXPORT_FIGURES } = require('./out/node/common/exportContract.js')
    ;(async () => {
      const store = await openRunStore(process.argv[1])
      const req = JSON.parse(process.argv[2])
      const b = await figureBundle(store, FigureRequestSchema.parse({ ...req, figures: EXPORT_FIGURES }))
      await store.close()
      process.stdout.write(JSON.stringify(b))
    })()`
  const r = spawnSync(
    process.execPath,
    ['-e', script, db, JSON.stringify({ runIds, ...(epoch !== undefined ? { epoch } : {}) })],
    { cwd: ROOT, encoding: 'utf8', maxBuffer: 256 * 1024 * 1024, timeout: 120_000 }
  )
  if (r.status !== 0) throw new Error(`the figure bundle failed: ${r.stderr}`)
  return JSON.parse(r.stdout) as FigureBundle
}

beforeAll(async () => {
  const db = path.join(tempDir(), 'runs.sqlite')
  // Latent 2 and 5, two learning rates, two seeds each: seed groups, a manifold, parallel axes.
  const r = spawnSync(
    process.execPath,
    [
      ...[BIN, 'train', '--latent', '2,5', '--lr', '0.001,0.003', '--seed', '1,2'],
      ...['--epochs', '1', '--limit-train', '1000', '--limit-test', '300', '--hidden', '32'],
      ...['--json', '--db', db]
    ],
    { encoding: 'utf8', timeout: 120_000 }
  )
  if (r.status !== 0) throw new Error(`training failed: ${r.stderr}`)
  ids = (JSON.parse(r.stdout) as { id: number }[]).map((run) => run.id)
  const final = bundleOf(db, ids)
  views.push(
    { label: 'final, runs', specs: specsOf(final, false) },
    { label: 'final, seed groups', specs: specsOf(final, true) },
    { label: 'epoch 1', specs: specsOf(bundleOf(db, ids, 1), true) }
  )
}, 180_000)

describe("the workbench's ECharts", () => {
  it('registers every chart, component and mark the figures use', () => {
    // Only the workbench's parts are loaded here (the full ECharts registers radar, say).
    expect(ComponentModel.hasClass('radar')).toBe(false)
    expect(ids).toHaveLength(8)
    const names = new Set(views.flatMap((v) => v.specs.map((s) => s.name)))
    // The figures whose parts were missing are among those checked.
    for (const name of ['parallel', 'perdigit', 'curves', 'manifold', 'kl-per-dim'])
      expect([...names].some((n) => n.startsWith(name))).toBe(true)
    const asked = views.flatMap((v) =>
      v.specs.flatMap((s) => partsOf(s).map((p) => `${v.label}: ${s.name}: ${p}`))
    )
    expect(asked.some((a) => a.endsWith('series.custom'))).toBe(true)
    expect(asked.some((a) => a.endsWith('markLine'))).toBe(true)
    expect(asked.filter((a) => !registered(a.split(': ').at(-1)!))).toEqual([])
  })

  it('draws the parallel coordinates: a line per run and an axis per varied field', () => {
    const spec = views[0].specs.find((s) => s.name === 'parallel')!
    const svg = drawn(spec)
    for (const axis of ['Latent dim', 'Learning rate', 'Seed', 'test −ELBO'])
      expect(svg).toContain(`>${axis}<`)
    const lines = svg.match(/<polyline [^>]*ecmeta_series_index="0"/g) ?? []
    expect(lines).toHaveLength(ids.length)
  })

  it("draws the seed groups' error bars on the per-digit bars", () => {
    const grouped = views[1].specs.find((s) => s.name === 'perdigit')!
    const series = asArray(grouped.option.series)
    expect(series.some((s) => s.type === 'custom')).toBe(true)
    const bare = {
      ...grouped,
      option: { ...grouped.option, series: series.filter((s) => s.type !== 'custom') }
    } as FigureSpec
    const shapes = (svg: string) => (svg.match(/<(path|line|polyline) /g) ?? []).length
    // 4 groups x 10 digits: an error bar on each bar
    expect(shapes(drawn(grouped)) - shapes(drawn(bare))).toBeGreaterThanOrEqual(40)
  })
})
