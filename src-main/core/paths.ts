import os from 'node:os'
import path from 'node:path'

/** Where VAE Lab keeps its database by default: VAE_LAB_HOME, else the OS's per-user data directory. */
export function defaultHome(
  env: NodeJS.ProcessEnv = process.env,
  platform = process.platform
): string {
  if (env.VAE_LAB_HOME) return path.resolve(env.VAE_LAB_HOME)
  const home = os.homedir()
  if (platform === 'win32')
    return path.join(env.APPDATA ?? path.join(home, 'AppData', 'Roaming'), 'VAE Lab')
  if (platform === 'darwin') return path.join(home, 'Library', 'Application Support', 'VAE Lab')
  return path.join(env.XDG_DATA_HOME ?? path.join(home, '.local', 'share'), 'vae-lab')
}

export function defaultDatabase(env: NodeJS.ProcessEnv = process.env): string {
  return path.join(defaultHome(env), 'runs.sqlite')
}
