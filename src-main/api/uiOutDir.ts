// Where the UI's export goes. The app's working directory is its install folder (or wherever
// `npm start` ran), never what a user means by "figures": a relative folder or ~ is under home.
import os from 'node:os'
import path from 'node:path'

export function uiOutDir(dir: string, home = os.homedir()): string {
  const t = dir.trim()
  if (t === '~') return home
  if (t.startsWith('~/') || t.startsWith('~\\')) return path.join(home, t.slice(2))
  return path.isAbsolute(t) ? path.normalize(t) : path.join(home, t)
}
