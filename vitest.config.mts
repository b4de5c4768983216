import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'vitest/config'

export default defineConfig({
  // .vue files are compiled for the component tests (tests/unit/renderer/components, views),
  // which run in happy-dom (a `@vitest-environment happy-dom` line at their top).
  plugins: [vue()],
  test: {
    include: ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts'],
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // tfjs keeps one global engine per process: isolate test files in forked processes.
    pool: 'forks',
    reporters: ['default']
  }
})
