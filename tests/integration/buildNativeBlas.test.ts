import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from 'vitest'
import { tempDir } from '../helpers/fixtures'

const SCRIPT = path.resolve(__dirname, '../../scripts/build-native-blas.mjs')

function build(cc: string) {
  const r = spawnSync(process.execPath, [SCRIPT], {
    encoding: 'utf8',
    env: { ...process.env, CC: cc },
    timeout: 60_000
  })
  return { code: r.status, out: r.stdout.trim() }
}

/** A stand-in compiler that answers --version but fails to compile, as gcc does without cblas.h. */
function compilerWithoutBlas(): string {
  const file = path.join(tempDir(), 'cc')
  fs.writeFileSync(
    file,
    '#!/bin/sh\n[ "$1" = "--version" ] && exit 0\necho "<stdin>:1:10: fatal error: cblas.h: No such file or directory" >&2\nexit 1\n'
  )
  fs.chmodSync(file, 0o755)
  return file
}

describe.skipIf(process.platform === 'win32')(
  'scripts/build-native-blas.mjs (the install step)',
  () => {
    it('without a C compiler: one line saying so and what to do, exit 0, so the install goes on', () => {
      const r = build('/nonexistent/cc')
      expect(r.code).toBe(0)
      expect(r.out.split('\n')).toHaveLength(1)
      expect(r.out).toMatch(
        /^vae-lab: native BLAS kernels not built \(no C compiler .*\); training uses the plain wasm backend$/
      )
    })

    it('without BLAS headers: names the missing package, exit 0', () => {
      const r = build(compilerWithoutBlas())
      expect(r.code).toBe(0)
      expect(r.out).toMatch(
        /^vae-lab: native BLAS kernels not built \(cblas\.h not found; on Debian\/Ubuntu `apt-get install libopenblas-dev`/
      )
    })
  }
)
