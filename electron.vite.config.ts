import { resolve } from 'node:path'
import vue from '@vitejs/plugin-vue'
import { defineConfig } from 'electron-vite'

// Our roots are src-main and src-renderer, not electron-vite's src/{main,preload,renderer}:
// every input is named explicitly (pitfalls.md section 4).
export default defineConfig(({ command }) => ({
  main: {
    // Only `electron-vite dev` trusts ELECTRON_RENDERER_URL (src-main/electron/appUrls.ts).
    define: { __VAE_LAB_DEV_BUILD__: JSON.stringify(command === 'serve') },
    build: {
      rollupOptions: { input: { index: resolve(__dirname, 'src-main/electron/main.ts') } }
    }
  },
  preload: {
    build: {
      // Sandboxed preloads cannot be ESM or require chunks: one CommonJS file.
      rollupOptions: {
        input: { index: resolve(__dirname, 'src-main/electron/preload.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' }
      }
    }
  },
  renderer: {
    root: resolve(__dirname, 'src-renderer'),
    plugins: [vue()],
    build: {
      rollupOptions: { input: resolve(__dirname, 'src-renderer/index.html') }
    }
  }
}))
