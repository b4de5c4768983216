// postinstall: the downloads that package.json's allowScripts skips (the Electron binary,
// tfjs-node's libtensorflow) and the optional native BLAS kernels, each tried with a time limit.
// Offline (as in CI) each prints one line and the install still succeeds: training uses wasm.
import { fileURLToPath } from 'node:url'
import { spawnSync } from 'node:child_process'
import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

const require = createRequire(import.meta.url)
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const TIMEOUT_MS = Number(process.env.VAE_LAB_FETCH_TIMEOUT_MS ?? 180_000)

if (process.env.VAE_LAB_SKIP_NATIVE_FETCH === '1') {
  console.log('vae-lab: VAE_LAB_SKIP_NATIVE_FETCH=1, not fetching Electron or libtensorflow')
} else {
  fetchStep(
    'Electron binary',
    'electron/package.json',
    ['install.js'],
    '`npm start` opens the workbench in a browser instead; for the desktop app, with internet, run `node node_modules/electron/install.js`'
  )
  fetchStep(
    'libtensorflow for @tensorflow/tfjs-node',
    '@tensorflow/tfjs-node/package.json',
    ['scripts/install.js'],
    'training uses the wasm backend; with internet, run `npm rebuild @tensorflow/tfjs-node --foreground-scripts`'
  )
}
const blas = path.join(root, 'scripts', 'build-native-blas.mjs')
if (existsSync(blas))
  spawnSync(process.execPath, [blas], { stdio: 'inherit', cwd: root, timeout: TIMEOUT_MS })

function fetchStep(what, manifest, args, fallback) {
  let dir
  try {
    dir = path.dirname(require.resolve(manifest, { paths: [root] }))
  } catch {
    return // optional package not installed: nothing to fetch
  }
  const started = Date.now()
  const r = spawnSync(process.execPath, args, {
    cwd: dir,
    timeout: TIMEOUT_MS,
    encoding: 'utf8',
    env: { ...process.env, npm_config_nodedir: undefined }
  })
  const seconds = ((Date.now() - started) / 1000).toFixed(0)
  if (r.status === 0) {
    console.log(`vae-lab: ${what} installed (${seconds} s)`)
    return
  }
  const why =
    r.error?.code === 'ETIMEDOUT'
      ? `timed out after ${seconds} s`
      : firstError(r.stderr || r.stdout) || `exit code ${r.status}`
  console.log(`vae-lab: ${what} not installed: ${why}; ${fallback}`)
}

function firstError(text) {
  const lines = (text ?? '')
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
  const network = lines.find((l) => /ENOTFOUND|EAI_AGAIN|ECONNREFUSED|ETIMEDOUT/.test(l))
  return (network ?? lines.find((l) => /Error:/.test(l)) ?? lines.pop())?.slice(0, 160)
}
