// Issue 17 in the browser: dragging in the 2-D latent explorer changes the decoded image, and the
// epoch slider changes the reconstruction grid; screenshots of both, looked at. A tiny 2-D run of
// three epochs is trained through the CLI into the served database first.
import fs from 'node:fs'
import path from 'node:path'
import { expect, test } from '@playwright/test'
import { CHROMIUM } from '../../playwright.config'
import { serveBuilt, SHOTS, trainInto, type Served } from './serveFixture'

const chromiumMissing = !fs.existsSync(CHROMIUM)
  ? `no Chromium at ${CHROMIUM}: install it (apt-get install -y chromium) or set VAE_LAB_CHROMIUM`
  : null
test.skip(chromiumMissing !== null, chromiumMissing ?? '')
test.describe.configure({ mode: 'serial' })

let app: Served
let runId = 0

test.beforeAll(async () => {
  app = await serveBuilt(1)
  runId = trainInto(app, [
    ...['--latent', '2', '--epochs', '3', '--limit-train', '2000', '--limit-test', '300'],
    ...['--hidden', '64']
  ])[0].id
})
test.afterAll(async () => app?.stop())

const at = (hash: string) => {
  const u = new URL(app.url)
  u.hash = hash
  return u.toString()
}

test('dragging in the 2-D explorer changes the decoded image', async ({ page }) => {
  const problems: string[] = []
  page.on('pageerror', (e) => problems.push(e.message))
  await page.goto(at(`#/run/${runId}`))
  const image = page.getByTestId('explorer-image')
  await expect(image).toHaveAttribute('data-digest', /.+/, { timeout: 30_000 })
  const plane = page.getByTestId('explorer-plane')
  await plane.scrollIntoViewIfNeeded()
  const box = (await plane.boundingBox())!
  await page.mouse.move(box.x + box.width * 0.2, box.y + box.height * 0.8)
  await page.mouse.down()
  await expect(image).not.toHaveAttribute('data-digest', '')
  const first = await image.getAttribute('data-digest')
  const z1 = await page.getByTestId('explorer-z').textContent()
  await page.mouse.move(box.x + box.width * 0.8, box.y + box.height * 0.2, { steps: 8 })
  await page.mouse.up()
  await expect(page.getByTestId('explorer-z')).not.toHaveText(z1!)
  await expect(image).not.toHaveAttribute('data-digest', first!)
  await page
    .getByTestId('latent-explorer')
    .screenshot({ path: path.join(SHOTS, 'explorer-2d-drag.png') })
  expect(problems).toEqual([])
})

test('the epoch slider changes the reconstruction grid', async ({ page }) => {
  await page.goto(at(`#/run/${runId}`))
  const recon = page.locator('[data-figure="recon"] svg image').first()
  await expect(recon).toHaveAttribute('href', /^data:image/, { timeout: 30_000 })
  const final = await recon.getAttribute('href')
  await expect(page.getByTestId('epoch-shown')).toHaveText('final')
  const slider = page.getByTestId('epoch-slider').locator('input[type=range]')
  await expect(slider).toHaveAttribute('max', '3')
  await slider.fill('0')
  await expect(page.getByTestId('epoch-shown')).toHaveText('epoch 1')
  await expect(recon).not.toHaveAttribute('href', final!, { timeout: 30_000 })
  await page.getByTestId('epoch-slider').scrollIntoViewIfNeeded()
  await page.screenshot({ path: path.join(SHOTS, 'run-detail-epoch-1.png'), fullPage: true })
})
