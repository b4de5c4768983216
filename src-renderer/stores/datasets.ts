// Datasets: the built-in MNIST and imported IDX sets, sample previews, and import.
import { defineStore } from 'pinia'
import { ref, shallowReactive } from 'vue'
import type { DatasetInfo } from '../../src-main/common/contract'
import type { DatasetPreview } from '../../src-main/common/workbenchContract'
import { getClient } from '../api/client'
import { useNotices } from './notices'

export type ImportForm = {
  name: string
  trainImages: string
  trainLabels: string
  testImages: string
  testLabels: string
  /** Ten names for labels 0..9, comma-separated; empty: a known set's names, or the digits. */
  classNames: string
}

/** "T-shirt, Trouser, ..." as ten names, or undefined when empty. */
export function parseClassNames(text: string): string[] | undefined {
  const names = text
    .split(',')
    .map((n) => n.trim())
    .filter((n, i, all) => n !== '' || all.length > 1)
  return names.length ? names : undefined
}

export const PREVIEW_COUNT = 40

export const useDatasets = defineStore('datasets', () => {
  const notices = useNotices()
  const list = ref<DatasetInfo[]>([])
  const loaded = ref(false)
  const previews = shallowReactive(new Map<string, DatasetPreview>())
  const importing = ref(false)

  async function load(): Promise<void> {
    try {
      list.value = await getClient().listDatasets()
    } catch (e) {
      notices.error(e, 'List the datasets')
    } finally {
      loaded.value = true
    }
  }

  async function preview(name: string): Promise<void> {
    if (previews.has(name)) return
    try {
      previews.set(name, await getClient().datasetPreview(name, PREVIEW_COUNT))
    } catch (e) {
      notices.error(e, `Preview "${name}"`)
    }
  }

  async function importDataset(f: ImportForm): Promise<DatasetInfo | null> {
    importing.value = true
    try {
      const { classNames, ...files } = f
      const names = parseClassNames(classNames)
      const info = await getClient().importDataset({
        ...files,
        name: f.name.trim(),
        ...(names ? { classNames: names } : {})
      })
      notices.info(
        `Imported "${info.name}"`,
        `${info.nTrain.toLocaleString('en-US')} training and ${info.nTest.toLocaleString('en-US')} test images.`
      )
      previews.delete(info.name)
      await load()
      return info
    } catch (e) {
      notices.error(e, 'Import the dataset')
      return null
    } finally {
      importing.value = false
    }
  }

  return { list, loaded, previews, importing, load, preview, importDataset }
})
