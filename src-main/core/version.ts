import fs from 'node:fs'
import path from 'node:path'

let cached: string | undefined

/** The folder holding package.json: the checkout, or the installed app. */
export function repoRoot(): string {
  // Compiled code lives in out/node/core, sources in src-main/core: both are two levels below the root.
  let dir = __dirname
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir)
    dir = path.dirname(dir)
  return dir
}

/** package version plus the git commit when run from a checkout: recorded with every run. */
export function codeVersion(): string {
  if (cached) return cached
  const root = repoRoot()
  const { version } = JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as {
    version: string
  }
  let commit = ''
  try {
    const head = fs.readFileSync(path.join(root, '.git', 'HEAD'), 'utf8').trim()
    const ref = head.startsWith('ref: ') ? head.slice(5) : null
    const sha = ref ? fs.readFileSync(path.join(root, '.git', ref), 'utf8').trim() : head
    commit = `+${sha.slice(0, 10)}`
  } catch {
    // not a git checkout (an installed app), or a packed ref: the version alone is honest
  }
  cached = `${version}${commit}`
  return cached
}
