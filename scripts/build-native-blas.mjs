#!/usr/bin/env node
// Builds native/blas (BLAS kernels for the tfjs wasm backend) from source with npm's bundled
// node-gyp. Optional: with no compiler, no BLAS or no Node headers it prints one line and exits 0,
// and training simply runs on the plain wasm backend. Never fails an install.
import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const dir = path.join(root, 'native', 'blas')
const TIMEOUT_MS = 180_000
const PREFIX = 'vae-lab: native BLAS kernels not built'
const SUFFIX = 'training uses the plain wasm backend'

function skip(why) {
  console.log(`${PREFIX} (${why}); ${SUFFIX}`)
  process.exit(0)
}

if (process.env.VAE_LAB_SKIP_NATIVE === '1') skip('VAE_LAB_SKIP_NATIVE=1')
if (process.platform === 'win32') skip('no BLAS build is set up for Windows')

function has(cmd, args = ['--version']) {
  const r = spawnSync(cmd, args, { stdio: 'ignore', timeout: 10_000 })
  return r.status === 0
}

const cc = process.env.CC || 'cc'
if (!has(cc))
  skip(
    `no C compiler (${cc}) found; install build-essential (Linux) or the Xcode command line tools (macOS), then \`npm run build:native\``
  )

if (process.platform !== 'darwin') {
  // Compile a one-line program against cblas.h and -lopenblas: finds header and library at once.
  const probe = spawnSync(cc, ['-x', 'c', '-', '-o', '/dev/null', '-lopenblas'], {
    input: '#include <cblas.h>\nint main(void){return (int)cblas_sdot(0,0,1,0,1);}\n',
    encoding: 'utf8',
    timeout: 30_000
  })
  if (probe.status !== 0) {
    const noHeader = /cblas\.h/.test(probe.stderr ?? '')
    skip(
      `${noHeader ? 'cblas.h not found' : 'libopenblas not found'}; on Debian/Ubuntu \`apt-get install libopenblas-dev\`, on Fedora \`dnf install openblas-devel\`, then \`npm run build:native\``
    )
  }
}

// npm's bundled node-gyp; a global one as a fallback.
const npmDir = path.join(path.dirname(path.dirname(process.execPath)), 'lib', 'node_modules', 'npm')
const candidates = [
  process.env.npm_config_node_gyp,
  path.join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'),
  path.join(root, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js')
].filter(Boolean)
const gyp = candidates.find((f) => fs.existsSync(f))
if (!gyp) skip('node-gyp not found (it ships with npm)')

// Use this Node's own headers when they are installed (distribution packages put them next to the
// binary): node-gyp would otherwise download them, which fails offline.
const args = [gyp, 'rebuild', '--directory', dir]
const prefix = path.dirname(path.dirname(process.execPath))
if (
  !process.env.npm_config_nodedir &&
  fs.existsSync(path.join(prefix, 'include', 'node', 'node_api.h'))
) {
  args.push(`--nodedir=${prefix}`)
}
const r = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: TIMEOUT_MS })
if (r.error || r.status !== 0) {
  const log = `${r.stdout ?? ''}${r.stderr ?? ''}`
  const lines = log
    .split('\n')
    .filter(
      (l) =>
        /error|not found|No such file/i.test(l) &&
        !/gyp ERR! (stack|System|command|cwd|node -v|node-gyp -v|not ok)/.test(l)
    )
  const why =
    r.error?.code === 'ETIMEDOUT'
      ? `build timed out after ${TIMEOUT_MS / 1000} s`
      : (lines[0] ?? `node-gyp exited with ${r.status}`).trim()
  skip(`${why.slice(0, 200)}; run \`npm run build:native\` to see the full log`)
}
console.log(
  `vae-lab: native BLAS kernels built (${path.relative(root, path.join(dir, 'build', 'Release', 'vae_lab_blas.node'))})`
)
