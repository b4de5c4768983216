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
      const info = await getClient().importDataset({ ...f, name: f.name.trim() })
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
