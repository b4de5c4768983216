// The api methods the UI gained in issue 13, on tiny real runs: exports that respect the format,
// land under home for a relative folder and ask before replacing files; a zip for the browser;
// run files; facets; tag removal; IWAE in a worker with progress; datasets with class names.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { VaeLabService } from '../../src-main/api/service'
import { uiOutDir } from '../../src-main/api/uiOutDir'
import { FASHION_MNIST_NAMES } from '../../src-main/common/classNames'
import type { WorkbenchEvent } from '../../src-main/common/workbenchContract'
import { openRunStore } from '../../src-main/core/store/openRunStore'
import type { RunStore } from '../../src-main/core/store/runStore'
import { filesBelow, trainTinyRuns } from '../helpers/exportFixtures'
import { syntheticSet, tempDir, writeIdxDataset } from '../helpers/fixtures'

let store: RunStore
let service: VaeLabService
let ids: number[] = []

beforeAll(async () => {
  const db = path.join(tempDir(), 'runs.sqlite')
  ids = trainTinyRuns(db, [2, 5], 'ui-api')
  store = await openRunStore(db)
  service = new VaeLabService(store, 1)
})
afterAll(() => store?.close())

describe('the UI export', () => {
  it('writes the chosen format only, and asks before replacing files', async () => {
    const out = path.join(tempDir(), 'figs')
    const first = await service.api.exportFigures({
      runIds: ids,
      report: true,
      format: 'svg',
      outDir: out
    })
    expect(
      first.files.filter((f) => f.startsWith('figures/')).every((f) => f.endsWith('.svg'))
    ).toBe(true)
    expect(first.files).toContain('report.pdf')
    const again = service.invoke('exportFigures', [
      { runIds: ids, report: true, format: 'svg', outDir: out }
    ])
    const answer = await again
    expect(answer.ok).toBe(false)
    if (answer.ok) return
    expect(answer.error.field).toBe('overwrite')
    expect(answer.error.message).toMatch(/would be replaced/)
    const replaced = await service.api.exportFigures({
      runIds: ids,
      figures: ['recon'],
      format: 'png',
      outDir: out,
      overwrite: true
    })
    expect(replaced.files).toEqual(['recon.png'])
    expect(filesBelow(out)).toContain('recon.png')
  })

  it('puts a relative folder under the home folder, never the working directory', () => {
    expect(uiOutDir('figs', '/home/me')).toBe('/home/me/figs')
    expect(uiOutDir('~/a/b', '/home/me')).toBe('/home/me/a/b')
    expect(uiOutDir('/tmp/x', '/home/me')).toBe('/tmp/x')
  })

  it('answers an export as a zip that unzip reads', async () => {
    const zip = await service.api.exportArchive({
      runIds: ids,
      figures: ['recon', 'curves'],
      format: 'png'
    })
    expect(zip.fileName).toMatch(/\.zip$/)
    const file = path.join(tempDir(), zip.fileName)
    fs.writeFileSync(file, Buffer.from(zip.base64, 'base64'))
    const listing = execFileSync('unzip', ['-l', file], { encoding: 'utf8' })
    expect(listing).toContain('recon.png')
    expect(listing).toContain('curves.png')
    execFileSync('unzip', ['-tq', file])
  })
})

describe('run management', () => {
  it('gives the checkpoint and the metrics CSV of a run', async () => {
    const csv = await service.api.runFile(ids[0], 'metrics')
    const text = Buffer.from(csv.base64, 'base64').toString('utf8').trim().split('\n')
    expect(text[0]).toMatch(/^run_id,epoch,train_nelbo/)
    expect(text).toHaveLength(2)
    const ckpt = await service.api.runFile(ids[0], 'checkpoint')
    const bytes = Buffer.from(ckpt.base64, 'base64')
    expect(bytes.length).toBe(ckpt.bytes)
    const headerLength = bytes.readUInt32LE(0)
    expect(JSON.parse(bytes.subarray(4, 4 + headerLength).toString()).format).toBe(
      'vae-lab-tensors/1'
    )
  })

  it('adds and removes tags, and lists every run\u2019s tags, note and config', async () => {
    await service.api.tagRun(ids[0], 'keep')
    await service.api.noteRun(ids[0], 'looks good')
    let facets = await service.api.runFacets()
    expect(facets.find((f) => f.id === ids[0])).toMatchObject({
      tags: ['keep'],
      note: 'looks good'
    })
    expect(facets.find((f) => f.id === ids[1])?.config.latentDim).toBe(5)
    await service.api.untagRun(ids[0], 'keep')
    facets = await service.api.runFacets()
    expect(facets.find((f) => f.id === ids[0])?.tags).toEqual([])
  })

  it('computes the IWAE bound in a worker, reporting progress, and stores it', async () => {
    const events: WorkbenchEvent[] = []
    const off = service.subscribe((e) => events.push(e))
    const r = await service.api.evaluateIwae(ids[0], 3)
    off()
    expect(r.k).toBe(3)
    expect(r.nll).toBeGreaterThan(0)
    const progress = events.filter((e) => e.type === 'evaluation')
    expect(progress.length).toBeGreaterThan(2)
    expect(progress.at(-1)).toMatchObject({ done: r.images, total: r.images })
    expect((await service.api.getRun(ids[0])).evaluations['iwae/k=3']).toBeTruthy()
  })
})

describe('datasets with class names', () => {
  it('recognises Fashion-MNIST by name, and takes the names an import gives', async () => {
    const dir = tempDir()
    const files = writeIdxDataset(dir, syntheticSet(200), syntheticSet(50, 2))
    const fashion = await service.api.importDataset({ name: 'fashion', ...files })
    expect(fashion.classNames).toEqual(FASHION_MNIST_NAMES)
    const names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']
    await service.api.importDataset({ name: 'letters', ...files, classNames: names })
    const list = await service.api.listDatasets()
    expect(list.find((d) => d.name === 'letters')?.classNames).toEqual(names)
    expect(list.find((d) => d.name === 'mnist')?.classNames[3]).toBe('3')
    const bad = await service.invoke('importDataset', [{ name: 'x', ...files, classNames: ['a'] }])
    expect(bad.ok).toBe(false)
  })

  it('warns and refuses per-class figures for runs on different datasets', async () => {
    const same = await service.api.figureInputs({ runIds: ids, figures: ['perdigit', 'curves'] })
    expect(same.inputs.perDigit).toBeTruthy()
    expect(same.inputs.classes?.[0]).toBe('0')
    const files = writeIdxDataset(tempDir(), syntheticSet(200), syntheticSet(50, 2))
    await service.api.importDataset({ name: 'fashion-mnist', ...files })
    const { runs } = await service.trainSweep(
      {
        base: { dataset: 'fashion-mnist', epochs: 1, hidden: 16, batchSize: 50, backend: 'cpu' },
        grid: { latentDim: [2] },
        sweepName: 'fashion-tiny'
      },
      () => {},
      { workers: 1 }
    )
    const mixed = await service.api.figureInputs({
      runIds: [ids[0], runs[0].id],
      figures: ['perdigit', 'mindim', 'scatter', 'curves']
    })
    expect(mixed.inputs.perDigit).toBeUndefined()
    expect(mixed.inputs.scatter).toBeUndefined()
    expect(mixed.inputs.curves?.runs).toHaveLength(2)
    expect(mixed.skipped.join(' ')).toMatch(/different datasets \(mnist, fashion-mnist\)/)
    const fashionOnly = await service.api.figureInputs({
      runIds: [runs[0].id],
      figures: ['perdigit']
    })
    expect(fashionOnly.inputs.classes).toEqual(FASHION_MNIST_NAMES)
  })
})
