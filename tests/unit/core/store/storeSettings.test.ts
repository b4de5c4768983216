import fs from 'node:fs'
import path from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { VaeLabService } from '../../../../src-main/api/service'
import { openRunStore, resolveStoreUri } from '../../../../src-main/core/store/openRunStore'
import {
  configuredStore,
  configureStore,
  settingsFile
} from '../../../../src-main/core/store/storeSettings'
import { tempDir } from '../../../helpers/fixtures'

const saved = { home: process.env.VAE_LAB_HOME, db: process.env.VAE_LAB_DB }
afterEach(() => {
  for (const [k, v] of [
    ['VAE_LAB_HOME', saved.home],
    ['VAE_LAB_DB', saved.db]
  ] as const)
    if (v === undefined) delete process.env[k]
    else process.env[k] = v
})

describe('the Store setting', () => {
  it('is kept in VAE_LAB_HOME/settings.json for its owner only, and comes after --db and VAE_LAB_DB', () => {
    const env = { VAE_LAB_HOME: tempDir() }
    expect(configuredStore(env)).toBeNull()
    configureStore('postgres://lab:pw@db.lab/runs', env)
    expect(configuredStore(env)).toBe('postgres://lab:pw@db.lab/runs')
    expect(fs.statSync(settingsFile(env)).mode & 0o777).toBe(0o600)
    expect(resolveStoreUri(undefined, env)).toBe('postgres://lab:pw@db.lab/runs')
    expect(resolveStoreUri(undefined, { ...env, VAE_LAB_DB: '/x.sqlite' })).toBe('/x.sqlite')
    expect(resolveStoreUri('/flag.sqlite', env)).toBe('/flag.sqlite')
    configureStore(null, env)
    expect(resolveStoreUri(undefined, env)).toBe(path.join(env.VAE_LAB_HOME, 'runs.sqlite'))
  })

  it('is set through the api only for a store that opens, and shows no password', async () => {
    process.env.VAE_LAB_HOME = tempDir()
    delete process.env.VAE_LAB_DB
    const store = await openRunStore(resolveStoreUri())
    const service = new VaeLabService(store, 1)
    try {
      expect(await service.api.storeInfo()).toMatchObject({
        backend: 'sqlite',
        configured: null,
        restartNeeded: false
      })
      await expect(service.api.useStore('postgres://lab:secret@127.0.0.1:1/runs')).rejects.toThrow(
        /cannot reach PostgreSQL/
      )
      expect(configuredStore()).toBeNull()
      const other = path.join(tempDir(), 'other.sqlite')
      expect(await service.api.useStore(other)).toMatchObject({
        configured: `sqlite:${other}`,
        restartNeeded: true
      })
      expect(fs.existsSync(other)).toBe(true)
      expect(await service.api.useStore(null)).toMatchObject({
        configured: null,
        restartNeeded: false
      })
    } finally {
      await store.close()
    }
  })
})
