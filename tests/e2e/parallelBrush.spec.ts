// Issue 17 in the browser: brushing an axis of the parallel coordinates in Compare selects the runs
// that pass through it, and "Compare only these" narrows the comparison to them. Four tiny runs
// (latent 2 and 5, two learning rates) are trained through the CLI into the served database.
import fs from 'node:fs'
import path from 'node:path'
import { expect, test } from '@playwright/test'
import { CHROMIUM } from '../../playwright.config'
import { serveBuilt, SHOTS, trainInto, type Served } from './serveFixture'

const chromiumMissing = !fs.existsSync(CHROMIUM)
  ? `no Chromium at ${CHROMIUM}: install it (apt-get install -y chromium) or set VAE_LAB_CHROMIUM`
  : null
test.skip(chromiumMissing !== null, chromiumMissing ?? '')

let app: Served
let runs: { id: number; latent: number }[] = []

test.beforeAll(async () => {
  app = await serveBuilt(1)
  runs = trainInto<{ id: number; latent: number }>(app, [
    ...['--latent', '2,5', '--lr', '0.001,0.003', '--epochs', '1'],
    ...['--limit-train', '1000', '--limit-test', '300', '--hidden', '32']
  ])
})
test.afterAll(async () => app?.stop())

test('brushing the latent axis selects those runs, and Compare narrows to them', async ({
  page
}) => {
  const problems: string[] = []
  page.on('pageerror', (e) => problems.push(e.message))
  const u = new URL(app.url)
  u.hash = `#/compare/${runs.map((r) => r.id).join(',')}`
  await page.goto(u.toString())
  const figure = page.locator('[data-figure="parallel"]')
  // One line per run (the series' lines are the strokes at its 0.85 opacity): the chart is
  // drawn, as it was not before its ECharts parts were registered.
  await expect(figure.locator('path[stroke-opacity="0.85"]')).toHaveCount(runs.length, {
    timeout: 30_000
  })
  const bar = page.getByTestId('parallel-brush')
  await expect(bar).toContainText('Drag along an axis')

  // The latent axis is the first, at x = 60 of the figure; latent 5, the upper of its two
  // categories, sits at a quarter of the 300-pixel plot below its top (y = 108).
  await figure.scrollIntoViewIfNeeded()
  const box = (await figure.boundingBox())!
  // The figure is drawn at its own size, then scaled to fit its column.
  const scale = box.width / (await figure.evaluate((el) => (el as HTMLElement).offsetWidth))
  const axisX = box.x + 60 * scale
  await page.mouse.move(axisX, box.y + 150 * scale)
  await page.mouse.down()
  await page.mouse.move(axisX, box.y + 220 * scale, { steps: 6 })
  await page.mouse.up()

  const latent5 = runs.filter((r) => r.latent === 5)
  await expect(bar).toContainText(`${latent5.length} of ${runs.length} runs selected`)
  await expect(bar).not.toContainText('latent 2')
  await page
    .locator('[data-figure-card="parallel"]')
    .screenshot({ path: path.join(SHOTS, 'compare-parallel-brushed.png') })

  // Clearing the brush gives every run back.
  await bar.getByRole('button', { name: 'Clear selection' }).click()
  await expect(bar).toContainText('Drag along an axis')

  await page.mouse.move(axisX, box.y + 150 * scale)
  await page.mouse.down()
  await page.mouse.move(axisX, box.y + 220 * scale, { steps: 6 })
  await page.mouse.up()
  await bar.getByRole('button', { name: `Compare only these ${latent5.length}` }).click()
  await expect(page).toHaveURL(
    new RegExp(`#/compare\\?runs=${latent5.map((r) => r.id).join(',')}$`)
  )
  expect(problems).toEqual([])
})
