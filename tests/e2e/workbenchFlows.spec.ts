// The workbench's flows as a new student would take them (issue 13), in browser mode on Debian's
// Chromium: first launch, the paper sweep, a quick sweep watched live in Compare, export in each
// format, a dataset import with class names, run actions, a server that stops; then screenshots
// of Runs, New sweep, Compare and Run detail at 1280 x 800 and 900 px wide, light and dark.
// Tiny runs (hundreds to a few thousand images, small hidden layers) keep it to about a minute.
import fs from 'node:fs'
import path from 'node:path'
import { expect, test, type Page } from '@playwright/test'
import { CHROMIUM } from '../../playwright.config'
import { syntheticSet, writeIdxDataset } from '../helpers/fixtures'
import { built, serve, SHOTS, type Served } from './serveFixture'

const chromiumMissing = !fs.existsSync(CHROMIUM)
  ? `no Chromium at ${CHROMIUM}: install it (apt-get install -y chromium) or set VAE_LAB_CHROMIUM`
  : null
test.skip(chromiumMissing !== null, chromiumMissing ?? '')
test.describe.configure({ mode: 'serial' })

let app: Served
let sweepIds: number[] = []

test.beforeAll(async () => {
  if (!built()) throw new Error('the app is not built: run `npm run build` first')
  fs.mkdirSync(SHOTS, { recursive: true })
  app = await serve(2)
})
test.afterAll(async () => app?.stop())

const at = (hash: string) => {
  const u = new URL(app.url)
  u.hash = hash
  return u.toString()
}

function watchErrors(page: Page): string[] {
  const problems: string[] = []
  page.on('pageerror', (e) => problems.push(e.message))
  return problems
}

async function runIdsOf(page: Page): Promise<number[]> {
  return (await page
    .locator('[data-run-id]')
    .evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-run-id'))))) as number[]
}

async function fillSweep(page: Page, values: Record<string, string>) {
  for (const [name, v] of Object.entries(values)) await page.locator(`[name=${name}]`).fill(v)
}

test('first launch: an empty workbench says what to do, with two honest presets', async ({
  page
}) => {
  const problems = watchErrors(page)
  await page.goto(app.url)
  await expect(page.getByRole('heading', { name: 'No runs yet' })).toBeVisible()
  await expect(page.getByRole('button', { name: 'Train the modern default…' })).toBeVisible()
  await expect(page.getByRole('button', { name: 'Train the paper as published…' })).toBeVisible()
  await page.getByRole('link', { name: 'New sweep' }).first().click()
  await expect(page.locator('[data-preset=paper]')).toContainText('Adagrad')
  await expect(page.locator('[data-preset=paper]')).toContainText('N(0, 0.01²)')
  await expect(page.locator('[data-preset=modern]')).toContainText('Adam')
  await page.screenshot({ path: path.join(SHOTS, 'flow-first-launch.png') })
  expect(problems).toEqual([])
})

test('the paper sweep: an honest estimate before it queues; cancel and delete', async ({
  page
}) => {
  await page.goto(app.url)
  await page.getByRole('button', { name: 'Train the paper as published…' }).click()
  const dialog = page.getByRole('dialog')
  await expect(dialog).toContainText('1,667 epochs')
  // Hours of training on this machine: the estimate says so before anything is queued.
  await expect(page.getByTestId('launch-estimate')).toContainText(/ h /)
  await page.screenshot({ path: path.join(SHOTS, 'flow-paper-confirm.png') })
  await dialog.getByRole('button', { name: 'Queue 4 runs' }).click()
  await expect(page.locator('[data-run-id]')).toHaveCount(4)
  await expect(page.getByTestId('runs-lede')).toContainText('left for all 4')
  await page.getByRole('checkbox', { name: 'Select all shown runs' }).check()
  await page
    .getByRole('region', { name: 'Selected runs' })
    .getByRole('button', { name: 'Cancel' })
    .click()
  await expect(page.locator('[data-run-id] .status-cancelled')).toHaveCount(4, { timeout: 30_000 })
  await page.getByRole('button', { name: 'Delete…' }).click()
  await page.getByRole('dialog').getByRole('button', { name: 'Delete 4 runs' }).click()
  await expect(page.locator('[data-run-id]')).toHaveCount(0)
})

test('a quick sweep: Compare follows epochs live', async ({ page }) => {
  const problems = watchErrors(page)
  await page.goto(at('#/new'))
  await page.locator('[data-preset=modern]').getByRole('button', { name: 'Fill the form' }).click()
  await fillSweep(page, {
    latentDim: '2, 5',
    epochs: '4',
    limitTrain: '8000',
    limitTest: '300',
    hidden: '300',
    sweepName: 'e2e quick'
  })
  await expect(page.getByTestId('form-estimate')).toContainText('about')
  await page.getByRole('button', { name: 'Queue 2 runs' }).click()
  await expect(page.locator('[data-run-id]')).toHaveCount(2)
  sweepIds = (await runIdsOf(page)).sort((a, b) => a - b)

  // Compare opened while they train shows each new epoch without a reload.
  await page.goto(at(`#/compare?runs=${sweepIds.join(',')}`))
  const epochs = page.getByTestId('metrics-epochs')
  await expect(epochs).toHaveCount(2)
  const seen = new Set<string>()
  await expect(async () => {
    for (const t of await epochs.allTextContents()) seen.add(t.trim())
    expect(await epochs.allTextContents()).toEqual(['4', '4'])
  }).toPass({ timeout: 90_000, intervals: [100] })
  expect(
    [...seen].some((v) => Number(v) < 4),
    `saw epochs ${[...seen]}`
  ).toBe(true)
  await expect(page.locator('[data-figure="recon"] svg image')).toHaveCount(1, { timeout: 60_000 })
  await expect(page.locator('[data-figure^="manifold"] svg image')).toHaveCount(1)
  expect(problems).toEqual([])
})

test('export in each format, asking before replacing files, and as a zip download', async ({
  page
}) => {
  await page.goto(at(`#/compare?runs=${sweepIds.join(',')}`))
  await expect(page.locator('[data-figure="recon"] svg image')).toHaveCount(1, { timeout: 60_000 })
  // A relative folder lands under the home folder (here the test's temporary folder).
  await page.getByRole('textbox', { name: 'Output folder' }).fill('exports')
  const out = path.join(app.dir, 'exports')
  for (const [format, i] of [
    ['png', 0],
    ['svg', 1],
    ['pdf', 2]
  ] as const) {
    await page.getByRole('combobox', { name: 'Export format' }).selectOption(format)
    await page.getByTestId('export-report').click()
    if (i > 0) {
      const dialog = page.getByRole('dialog', { name: 'Replace files?' })
      await expect(dialog).toContainText('would be replaced', { timeout: 60_000 })
      await dialog.getByRole('button', { name: 'Replace them' }).click()
    }
    const figuresDir = path.join(out, 'figures')
    await expect
      .poll(() => fs.existsSync(path.join(figuresDir, `recon.${format}`)), { timeout: 60_000 })
      .toBe(true)
  }
  await expect(page.getByRole('status').filter({ hasText: 'Exported' }).first()).toBeVisible()
  expect(fs.existsSync(path.join(out, 'report.pdf'))).toBe(true)
  const download = page.waitForEvent('download')
  await page.getByTestId('download-report').click()
  const file = await download
  expect(file.suggestedFilename()).toMatch(/^vae-lab-report-.*\.zip$/)
  const saved = path.join(app.dir, file.suggestedFilename())
  await file.saveAs(saved)
  expect(fs.readFileSync(saved).subarray(0, 2).toString()).toBe('PK')
})

test('a dataset import with class names; comparing across datasets warns', async ({ page }) => {
  const idx = path.join(app.dir, 'idx')
  fs.mkdirSync(idx)
  const files = writeIdxDataset(idx, syntheticSet(300), syntheticSet(100, 2))
  await page.goto(at('#/datasets'))
  const importOne = async (name: string, classNames = '') => {
    await page.locator('[name=name]').fill(name)
    await page.locator('[name=classNames]').fill(classNames)
    for (const [k, v] of Object.entries(files)) await page.locator(`[name=${k}]`).fill(v)
    await page.getByRole('button', { name: 'Import' }).click()
    await expect(page.getByRole('row').filter({ hasText: name }).first()).toBeVisible()
  }
  await page.locator('[name=name]').fill('fashion')
  await expect(page.getByText("Fashion-MNIST's ten names")).toBeVisible()
  await importOne('fashion')
  await expect(page.getByRole('row').filter({ hasText: 'fashion' })).toContainText('T-shirt/top')
  await importOne('letters', 'a, b, c, d, e, f, g, h, i, j')
  await expect(page.getByRole('row').filter({ hasText: 'letters' })).toContainText('a, b, c')

  await page.goto(at('#/new'))
  await page.locator('[data-preset=modern]').getByRole('button', { name: 'Fill the form' }).click()
  await page.locator('[name=dataset]').selectOption('fashion')
  await fillSweep(page, { latentDim: '2', epochs: '1', hidden: '16', sweepName: 'e2e fashion' })
  await page.getByRole('button', { name: 'Queue 1 run' }).click()
  await expect(page.locator('[data-run-id]').first()).toBeVisible()
  const fashionId = Math.max(...(await runIdsOf(page)))
  await expect(page.locator(`[data-run-id="${fashionId}"] .status-completed`)).toBeVisible({
    timeout: 60_000
  })
  await page.goto(at(`#/compare?runs=${fashionId}`))
  await expect(page.locator('[data-figure="perdigit"] svg')).toContainText('Ankle boot', {
    timeout: 30_000
  })
  await page.goto(at(`#/compare?runs=${sweepIds[0]},${fashionId}`))
  await expect(page.getByTestId('mixed-datasets')).toContainText('different datasets')
  await expect(page.locator('[data-figure="perdigit"]')).toHaveCount(0)
})

test('run actions: rename, tags, note, IWAE, downloads, clone, cancel, resume, delete', async ({
  page
}) => {
  const id = sweepIds[0]
  await page.goto(at(`#/run/${id}`))
  const actions = page.getByTestId('run-actions')
  await actions.getByRole('button', { name: 'Rename…' }).click()
  await actions.getByRole('textbox', { name: 'Run name' }).fill('best 2-D run')
  await actions.getByRole('button', { name: 'Save', exact: true }).click()
  await expect(page.getByRole('heading', { level: 1 })).toContainText('best 2-D run')

  const tag = actions.getByRole('textbox', { name: 'Tag to add' })
  await tag.fill('no spaces')
  await actions.getByRole('button', { name: 'Add' }).click()
  await expect(actions.getByRole('alert')).toContainText('a tag is')
  await expect(tag).toHaveValue('no spaces')
  await tag.fill('keep')
  await actions.getByRole('button', { name: 'Add' }).click()
  await expect(actions.getByRole('button', { name: 'Remove tag keep' })).toBeVisible()
  await actions.getByRole('button', { name: 'Remove tag keep' }).click()
  await expect(actions.getByRole('button', { name: 'Remove tag keep' })).toHaveCount(0)

  await actions.getByLabel('Note').fill('smallest latent that still reads digits')
  await actions.getByRole('button', { name: 'Save note' }).click()
  await page.reload()
  await expect(page.getByTestId('run-actions').getByLabel('Note')).toHaveValue(
    'smallest latent that still reads digits'
  )

  const iwae = page.getByTestId('iwae-panel')
  await iwae.getByRole('spinbutton', { name: 'k' }).fill('5')
  await iwae.getByRole('button', { name: 'Compute' }).click()
  await expect(iwae).toContainText('k = 5', { timeout: 60_000 })

  const csv = page.waitForEvent('download')
  await page.getByRole('button', { name: 'Metrics CSV' }).click()
  expect((await csv).suggestedFilename()).toBe(`vae-lab-run-${id}-metrics.csv`)
  const ckpt = page.waitForEvent('download')
  await page.getByRole('button', { name: 'Download checkpoint' }).click()
  expect((await ckpt).suggestedFilename()).toMatch(/\.vaelab-tensors$/)

  await page.getByRole('button', { name: 'Clone settings…' }).click()
  await expect(page.getByTestId('cloned-from')).toContainText(`#${id}`)
  await expect(page.locator('[name=latentDim]')).toHaveValue('2')
  // Cancel and resume a run while it trains.
  await fillSweep(page, { epochs: '200', limitTrain: '2000', hidden: '32', sweepName: 'e2e long' })
  await page.getByRole('button', { name: 'Queue 1 run' }).click()
  await expect(page.locator('[data-run-id]').first()).toBeVisible()
  const longId = Math.max(...(await runIdsOf(page)))
  // Typing while runs train: live updates never reset the box (issue 13, item 5).
  const search = page.getByRole('searchbox', { name: 'Search runs' })
  await search.pressSequentially('latent:2 status:running', { delay: 60 })
  await expect(search).toHaveValue('latent:2 status:running')
  await expect(page.locator('[data-run-id]')).toHaveCount(1)
  await expect(page).toHaveURL(/q=latent%3A2\+status%3Arunning/)

  // A reload keeps the search from the URL.
  await page.goto(at('#/runs?q=latent%3A5'))
  await page.reload()
  await expect(page.getByRole('searchbox', { name: 'Search runs' })).toHaveValue('latent:5')
  await expect(page.locator('[data-run-id]')).toHaveCount(1)
  await page.goto(at(`#/run/${longId}`))
  await page.getByRole('button', { name: 'Cancel training' }).click()
  await expect(page.locator('.lede .status')).toHaveText(/cancelled/, { timeout: 30_000 })
  await page.getByRole('button', { name: 'Resume' }).click()
  await expect(page.locator('.lede .status')).toHaveText(/queued|running/)
  await page.getByRole('button', { name: 'Cancel training' }).click()
  await expect(page.locator('.lede .status')).toHaveText(/cancelled/, { timeout: 30_000 })
  await page.getByRole('button', { name: 'Delete…' }).click()
  await page.getByRole('dialog').getByRole('button', { name: 'Delete the run' }).click()
  await expect(page.getByRole('heading', { name: 'Runs', exact: true })).toBeVisible()
  await expect(page.locator(`[data-run-id="${longId}"]`)).toHaveCount(0)
})

test('a server that stops shows a banner instead of frozen progress', async ({ page }) => {
  const other = await serve(1)
  try {
    await page.goto(other.url)
    await expect(page.getByRole('heading', { name: 'No runs yet' })).toBeVisible()
    await other.stop()
    await expect(page.getByTestId('connection-lost')).toBeVisible({ timeout: 15_000 })
    await page.screenshot({ path: path.join(SHOTS, 'flow-connection-lost.png') })
  } finally {
    await other.stop()
  }
})

test('screenshots of Runs, New sweep, Compare and Run detail, at two widths, light and dark', async ({
  page
}) => {
  const views: [string, string][] = [
    ['runs', '#/runs'],
    ['new-sweep', '#/new'],
    ['compare', `#/compare?runs=${sweepIds.join(',')}`],
    ['run-detail', `#/run/${sweepIds[1]}`]
  ]
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme })
    for (const [w, h] of [
      [1280, 800],
      [900, 800]
    ]) {
      await page.setViewportSize({ width: w, height: h })
      for (const [name, hash] of views) {
        await page.goto(at(hash))
        if (name === 'compare' || name === 'run-detail')
          await expect(page.locator('[data-figure] svg').first()).toBeVisible({ timeout: 60_000 })
        else await expect(page.locator('h1')).toBeVisible()
        await page.waitForTimeout(300)
        await page.screenshot({ path: path.join(SHOTS, `${name}-${w}-${scheme}.png`) })
        if (w === 1280)
          await page.screenshot({
            path: path.join(SHOTS, `${name}-${w}-${scheme}-full.png`),
            fullPage: true
          })
      }
    }
  }
})
