// End-to-end tests of the workbench. The browser-mode suite drives Debian's Chromium
// (/usr/bin/chromium, or VAE_LAB_CHROMIUM): Playwright's own browser download does not work
// offline, so it is never used. Screenshots land in test-results/ as artifacts.
import { defineConfig } from '@playwright/test'

export const CHROMIUM = process.env.VAE_LAB_CHROMIUM ?? '/usr/bin/chromium'

export default defineConfig({
  testDir: 'tests/e2e',
  testMatch: '**/*.spec.ts',
  outputDir: 'test-results',
  timeout: 150_000,
  expect: { timeout: 15_000 },
  workers: 1,
  fullyParallel: false,
  reporter: [['list']],
  use: {
    viewport: { width: 1440, height: 900 },
    launchOptions: {
      executablePath: CHROMIUM,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run'
      ]
    }
  }
})
