// `npm start`: the workbench. Builds what is missing, then opens the Electron app when an Electron
// binary is installed and can use the database module; otherwise serves the same built UI in the
// browser (`vae-lab serve`) and says in one line why, and how to get the desktop app.
// Arguments after `npm start --` go to `vae-lab serve` (e.g. `--port 8080 --no-open`).
import { fileURLToPath } from 'node:url'
import { spawn, spawnSync } from 'node:child_process'
import fs from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'

const require = createRequire(import.meta.url)
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
const built = [
  'out/node/adapters/cli/main.js',
  'out/node/core/train/worker.js',
  'out/main/index.js',
  'out/preload/index.cjs',
  'out/renderer/index.html'
]

const missing = built.filter((f) => !fs.existsSync(path.join(root, f)))
if (missing.length > 0) {
  console.error(`vae-lab: building first (${missing[0]} is missing)...`)
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm'
  const r = spawnSync(npm, ['run', 'build'], {
    cwd: root,
    stdio: 'inherit',
    shell: process.platform === 'win32'
  })
  if (r.status !== 0) {
    console.error('vae-lab: the build failed; see above')
    process.exit(r.status ?? 1)
  }
}

/** The Electron executable, or why there is none. */
function electronBinary() {
  let exe
  try {
    exe = require('electron') // the path of the binary; throws when its download never happened
  } catch {
    return { why: 'the Electron binary is not installed (its download needs internet)' }
  }
  if (typeof exe !== 'string' || !fs.existsSync(exe))
    return { why: `the Electron binary is missing (${exe})` }
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    return { why: 'there is no display (DISPLAY and WAYLAND_DISPLAY are unset)' }
  }
  // better-sqlite3 is built for one ABI (pitfalls.md section 3): npm builds it for Node.
  const probe = spawnSync(exe, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], {
    cwd: root,
    env: { ...process.env, ELECTRON_RUN_AS_NODE: '1' },
    encoding: 'utf8',
    timeout: 30_000
  })
  if (probe.status !== 0) {
    const abi = /NODE_MODULE_VERSION (\d+)[\s\S]*?NODE_MODULE_VERSION (\d+)/.exec(
      probe.stderr ?? ''
    )
    return {
      why: abi
        ? `better-sqlite3 is built for Node (ABI ${abi[1]}), not Electron (ABI ${abi[2]}); rebuild it with \`npm_config_nodedir= npx @electron/rebuild -f -w better-sqlite3\``
        : `Electron cannot load better-sqlite3: ${(probe.stderr || probe.error?.message || '').trim().split('\n')[0]}`
    }
  }
  return { exe }
}

function run(cmd, args, env = process.env) {
  const child = spawn(cmd, args, { cwd: root, stdio: 'inherit', env })
  // Ctrl-C reaches the child too (same process group); wait for it to stop cleanly.
  for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => child.kill(s))
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 130 : 1)))
}

const electron = electronBinary()
if (electron.exe) {
  run(electron.exe, ['.'])
} else {
  console.error(
    `vae-lab: opening the workbench in the browser: ${electron.why}. For the desktop app, run \`node node_modules/electron/install.js\` with internet access.`
  )
  run(process.execPath, [path.join(root, 'bin/vae-lab.js'), 'serve', ...process.argv.slice(2)])
}
