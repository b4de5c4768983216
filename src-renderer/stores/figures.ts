// Figure export from the UI: to a folder on the computer that runs VAE Lab (typed, or picked in
// the desktop app's dialog; remembered), or as a zip download in browser mode; in the format
// chosen. Files already in the folder are replaced only after the user says so.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import {
  EXPORT_FIGURES,
  type ExportFigure,
  type ExportRequestInput,
  type ExportResult
} from '../../src-main/common/exportContract'
import { getClient, toApiError } from '../api/client'
import { saveFile } from '../api/saveFile'
import type { CompareOptions } from './compare'
import { useNotices } from './notices'

export type ExportFormat = 'png' | 'svg' | 'pdf'

const OUT_DIR_KEY = 'vae-lab.exportDir'

/** A figure spec's name ('recon', 'manifold-run-3', 'scatter', ...) as the export figure it is. */
export function exportKindOf(specName: string): ExportFigure | null {
  const kind = specName.replace(/-run-\d+$/, '')
  return (EXPORT_FIGURES as readonly string[]).includes(kind) ? (kind as ExportFigure) : null
}

function storedDir(): string {
  try {
    return localStorage.getItem(OUT_DIR_KEY) ?? ''
  } catch {
    return ''
  }
}

type What = ExportFigure[] | 'report'

export const useFigures = defineStore('figures', () => {
  const notices = useNotices()
  const outDir = ref(storedDir())
  const format = ref<ExportFormat>('png')
  const busy = ref<string | null>(null)
  const last = ref<ExportResult | null>(null)
  /** An export that would replace files, waiting for the user's answer. */
  const overwrite = ref<{ message: string; retry: () => Promise<unknown> } | null>(null)

  function request(runIds: readonly number[], what: What, o: CompareOptions) {
    return {
      runIds: [...runIds],
      ...(what === 'report' ? { report: true } : { figures: what }),
      format: format.value,
      manifoldGrid: o.manifoldGrid,
      manifoldRange: [o.manifoldRange[0], o.manifoldRange[1]] as [number, number],
      manifoldSpacing: o.manifoldSpacing,
      manifoldFit: o.manifoldFit,
      projection: o.projection
    } satisfies Omit<ExportRequestInput, 'outDir'>
  }

  /** Exports `what` of `runIds` into the output folder; asks before replacing files. */
  async function exportFigures(
    runIds: readonly number[],
    what: What,
    o: CompareOptions,
    replace = false
  ): Promise<ExportResult | null> {
    const dir = outDir.value.trim()
    if (!dir) {
      notices.alert(
        'Choose an output folder first',
        'Type the folder the files should go to, e.g. ~/vae-figures (a relative folder is under your home folder).'
      )
      return null
    }
    try {
      localStorage.setItem(OUT_DIR_KEY, dir)
    } catch {
      // Private windows refuse storage; the folder is then asked again next time.
    }
    busy.value = what === 'report' ? 'report' : what.join(',')
    try {
      const r = await getClient().exportFigures({
        ...request(runIds, what, o),
        outDir: dir,
        overwrite: replace
      })
      last.value = r
      notices.info(
        `Exported ${r.files.length} file${r.files.length === 1 ? '' : 's'} to ${r.outDir}`,
        r.skipped.length
          ? `Skipped: ${r.skipped.join('; ')}`
          : r.files.slice(0, 4).join(', ') + (r.files.length > 4 ? ', …' : '')
      )
      return r
    } catch (e) {
      const err = toApiError(e)
      if (err.field === 'overwrite' && !replace) {
        overwrite.value = {
          message: err.message.replace(/^overwrite: /, ''),
          retry: () => exportFigures(runIds, what, o, true)
        }
        return null
      }
      notices.error(e, 'Export')
      return null
    } finally {
      busy.value = null
    }
  }

  async function answerOverwrite(yes: boolean): Promise<void> {
    const pending = overwrite.value
    overwrite.value = null
    if (yes && pending) await pending.retry()
  }

  /** The same export as one zip, downloaded by the browser (browser mode: the server may be elsewhere). */
  async function download(runIds: readonly number[], what: What, o: CompareOptions) {
    busy.value = what === 'report' ? 'report' : what.join(',')
    try {
      const r = await getClient().exportArchive(request(runIds, what, o))
      saveFile(r)
      notices.info(
        `Downloading ${r.fileName}`,
        `${r.export.files.length} files${r.export.skipped.length ? `; skipped: ${r.export.skipped.join('; ')}` : ''}`
      )
    } catch (e) {
      notices.error(e, 'Download the export')
    } finally {
      busy.value = null
    }
  }

  /** The desktop app's native folder dialog. */
  async function chooseFolder(): Promise<void> {
    try {
      const dir = await getClient().chooseFolder()
      if (dir) outDir.value = dir
    } catch (e) {
      notices.error(e, 'Choose a folder')
    }
  }

  return {
    outDir,
    format,
    busy,
    last,
    overwrite,
    exportFigures,
    answerOverwrite,
    download,
    chooseFolder
  }
})
