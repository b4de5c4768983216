// The desktop workbench end to end (issue 5): the Electron app trains a small sweep over IPC, shows
// its progress, and draws the Compare view's figures. Runs where an Electron binary is installed
// (and better-sqlite3 is built for it); elsewhere it reports itself skipped, with the reason
// (pitfalls.md section 5: `require('electron')` throws when the binary download never happened).
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { _electron as electron, expect, test, type Page } from '@playwright/test'

const ROOT = path.resolve(__dirname, '../..')

/** The Electron executable, or why this machine can't run the app. */
function electronApp(): { exe: string } | { why: string } {
  let exe: unknown
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    exe = require('electron')
  } catch {
    return {
      why: 'no Electron binary (node_modules/electron has no dist: its download needs internet)'
    }
  }
  if (typeof exe !== 'string' || !fs.existsSync(exe))
    return { why: `no Electron binary at ${String(exe)}` }
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { why: 'no display: run under xvfb-run' }
  }
  if (!fs.existsSync(path.join(ROOT, 'out/main/index.js')))
    return { why: 'the app is not built: run `npm run build`' }
  const probe = spawnSync(exe, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], {
    cwd: ROOT,
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    encoding: 'utf8',
    timeout: 30_000
  })
  if (probe.status !== 0)
    return {
      why: `better-sqlite3 is not built for this Electron: ${(probe.stderr ?? '').split('\n')[0]}`
    }
  return { exe }
}

const app = electronApp()
// Playwright's list reporter shows a skip without its reason: say it once, from the runner.
if ('why' in app && !process.env.TEST_WORKER_INDEX)
  console.log(`electron.spec.ts: skipped: ${app.why}`)

/** True when the element shows more than one colour: a figure, not an empty box. */
async function drawn(page: Page, selector: string): Promise<boolean> {
  return page
    .locator(selector)
    .first()
    .evaluate((el) => {
      for (const c of Array.from(el.querySelectorAll('canvas'))) {
        const ctx = c.getContext('2d')
        if (!ctx || c.width === 0 || c.height === 0) continue
        const data = ctx.getImageData(0, 0, c.width, c.height).data
        for (let i = 4; i < data.length; i += 4)
          if (data[i] !== data[0] || data[i + 3] !== data[3]) return true
      }
      // SVG figures: Fig 6/7 are one PNG image each, Fig 8 hundreds of markers.
      return (
        el.querySelectorAll('svg image').length > 0 || el.querySelectorAll('svg path').length > 100
      )
    })
}

test.describe('Electron workbench', () => {
  test.skip(!('exe' in app), `skipped: ${'why' in app ? app.why : ''}`)

  test('trains a small sweep, shows its progress, and draws the Compare figures', async () => {
    const testInfo = test.info()
    test.setTimeout(300_000)
    const home = fs.mkdtempSync(path.join(os.tmpdir(), 'vae-lab-electron-'))
    const launched = await electron.launch({
      executablePath: (app as { exe: string }).exe,
      args: [path.join(ROOT, 'out/main/index.js')],
      env: { ...process.env, VAE_LAB_HOME: home } as Record<string, string>
    })
    try {
      const page = await launched.firstWindow()
      await page.waitForLoadState('domcontentloaded')
      // The security baseline as the page sees it: no Node, only the bridge.
      expect(await page.evaluate(() => typeof (globalThis as { require?: unknown }).require)).toBe(
        'undefined'
      )
      expect(
        await page.evaluate(
          () => Object.keys((window as unknown as { vaeLab: object }).vaeLab).length
        )
      ).toBeGreaterThan(10)

      // The same flow as browserMode.spec.ts, through the window's IPC bridge instead of HTTP.
      await page.getByRole('link', { name: 'New sweep' }).first().click()
      await page.locator('input[name=latentDim]').fill('2, 5')
      await page.locator('input[name=epochs]').fill('1')
      await page.locator('input[name=limitTrain]').fill('3000')
      await page.locator('input[name=hidden]').fill('200')
      await page.locator('input[name=sweepName]').fill('electron e2e')
      // Progress may be brief on a fast machine: note any progress bar that ever appears.
      await page.evaluate(() => {
        const w = window as unknown as { sawProgress: boolean }
        w.sawProgress = false
        new MutationObserver(() => {
          if (document.querySelector('[role=progressbar]')) w.sawProgress = true
        }).observe(document.body, { childList: true, subtree: true })
      })
      await page.getByRole('button', { name: 'Queue 2 runs' }).click()
      await expect(page.locator('[data-run-id]')).toHaveCount(2)
      await page.waitForFunction(
        () => (window as unknown as { sawProgress: boolean }).sawProgress,
        null,
        { timeout: 60_000 }
      )
      await page.screenshot({ path: testInfo.outputPath('electron-training.png') })
      await expect(page.locator('[data-run-id] .status-completed')).toHaveCount(2, {
        timeout: 240_000
      })

      await page.getByRole('link', { name: 'Compare' }).click()
      await expect(page.getByTestId('metrics-table').locator('tbody tr')).toHaveCount(2)
      for (const selector of [
        '[data-figure="recon"]',
        '[data-figure^="manifold"]',
        '[data-figure="scatter"]'
      ]) {
        await expect(page.locator(selector).first()).toBeVisible({ timeout: 60_000 })
        await expect.poll(() => drawn(page, selector), { timeout: 30_000 }).toBe(true)
      }
      await page.screenshot({ path: testInfo.outputPath('electron-compare.png'), fullPage: true })
    } finally {
      await launched.close()
      fs.rmSync(home, { recursive: true, force: true })
    }
  })
})
