// Figure export from the UI: the output folder the user typed (remembered), the format, and the
// result of the last export. The api writes the files; the renderer never touches the disk.
import { defineStore } from 'pinia'
import { ref } from 'vue'
import {
  EXPORT_FIGURES,
  type ExportFigure,
  type ExportResult
} from '../../src-main/common/exportContract'
import { getClient } from '../api/client'
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

export const useFigures = defineStore('figures', () => {
  const notices = useNotices()
  const outDir = ref(storedDir())
  const format = ref<ExportFormat>('png')
  const busy = ref<string | null>(null)
  const last = ref<ExportResult | null>(null)

  /** Exports `figures` of `runIds`, or a whole report (PDF + every figure + metrics) when figures is 'report'. */
  async function exportFigures(
    runIds: readonly number[],
    figures: ExportFigure[] | 'report',
    o: CompareOptions
  ): Promise<ExportResult | null> {
    const dir = outDir.value.trim()
    if (!dir) {
      notices.alert(
        'Choose an output folder first',
        'Type the folder the files should go to, e.g. /home/you/vae-figures, in the export bar.'
      )
      return null
    }
    try {
      localStorage.setItem(OUT_DIR_KEY, dir)
    } catch {
      // Private windows refuse storage; the folder is then asked again next time.
    }
    busy.value = figures === 'report' ? 'report' : figures.join(',')
    try {
      const r = await getClient().exportFigures({
        runIds: [...runIds],
        ...(figures === 'report' ? { report: true } : { figures }),
        format: format.value,
        outDir: dir,
        manifoldGrid: o.manifoldGrid,
        manifoldRange: [o.manifoldRange[0], o.manifoldRange[1]],
        projection: o.projection
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
      notices.error(e, 'Export')
      return null
    } finally {
      busy.value = null
    }
  }

  return { outDir, format, busy, last, exportFigures }
})
