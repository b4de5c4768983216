// `vae-lab export` and the UI's export: figures as SVG, PNG or PDF, or a whole report (one PDF,
// SVG and PNG per figure, metrics as CSV and JSON, each run's config). Cheap checks come first,
// then everything is written to a staging folder that is moved into place only at the end.
import {
  REPORT_FIGURES,
  ExportRequestSchema,
  type ExportFigure,
  type ExportProgress,
  type ExportRequest,
  type ExportResult
} from '../common/exportContract'
import { collectFigureInputs, type Collected } from './collectFigureInputs'
import { validate } from '../common/validate'
import { VaeLabError } from '../common/errors'
import type { FigureSpec } from '../common/figures/figureInputs'
import { figureSpecs } from '../common/figures/figureSpecs'
import { minDimCsv, toCsv } from '../core/figures/export/metricsTables'
import { renderPdf } from '../core/figures/export/renderPdf'
import { renderReportPdf, type ReportFigure } from '../core/figures/export/renderReportPdf'
import { configLines } from '../common/protocolLine'
import { protocolLine } from '../core/train/protocolLine'
import { renderPng } from '../core/figures/export/renderPng'
import { assembleApng } from '../core/figures/export/renderApng'
import { renderSvg } from '../core/figures/export/renderSvg'
import { StagedDirectory } from '../core/figures/export/stagedDirectory'
import type { RunRecord, RunStore } from '../core/store/runStore'
import { codeVersion } from '../core/version'

/** Which runs a request names, in its order (a sweep's by latent dim); NOT_FOUND names what is missing. */
export async function resolveRuns(
  store: RunStore,
  req: Pick<ExportRequest, 'runIds' | 'sweep'>
): Promise<RunRecord[]> {
  const records = async (ids: number[]) => {
    const out: (RunRecord | null)[] = []
    for (const id of ids) out.push(await store.getRun(id))
    return out
  }
  if (req.sweep !== undefined) {
    const runs = await store.listRuns({ sweep: req.sweep })
    if (!runs.length)
      throw new VaeLabError(
        'NOT_FOUND',
        `no runs in a sweep named "${req.sweep}"; \`vae-lab runs list\` shows the sweeps`,
        { field: 'sweep' }
      )
    return (await records(runs.map((r) => r.id)))
      .map((r) => r!)
      .sort((a, b) => a.latent - b.latent || a.id - b.id)
  }
  const ids = [...new Set(req.runIds ?? [])]
  const found = await records(ids)
  const missing = ids.filter((_id, i) => !found[i])
  if (missing.length) {
    throw new VaeLabError(
      'NOT_FOUND',
      `no run with id ${missing.join(', ')}; \`vae-lab runs list\` shows the runs`,
      { field: 'runIds' }
    )
  }
  return found.map((r) => r!)
}

export async function exportFigures(
  store: RunStore,
  request: unknown,
  onProgress: (p: ExportProgress) => void = () => {}
): Promise<ExportResult> {
  const started = performance.now()
  const req = validate(ExportRequestSchema, request)
  const runs = await resolveRuns(store, req)
  const figures = new Set<ExportFigure>(req.report ? REPORT_FIGURES : req.figures)
  if (!req.report && figures.has('manifold') && !runs.some((r) => r.latent === 2)) {
    const dims = runs.map((r) => `run ${r.id} has latent dim ${r.latent}`).join(', ')
    throw new VaeLabError(
      'INVALID_INPUT',
      `the manifold figure needs a run with a 2-D latent space, but ${dims}; leave manifold out or add a 2-D run`,
      { field: 'figures' }
    )
  }

  if (req.animate) return exportAnimations(store, req, runs, figures, started, onProgress)
  const out = StagedDirectory.open(req.outDir)
  try {
    onProgress({
      stage: 'collect',
      message: `reading ${runs.length} run${runs.length > 1 ? 's' : ''}`
    })
    const collected = await collectFigureInputs(store, runs, {
      ...req,
      figures,
      strict: !req.report,
      onProgress: (message) => onProgress({ stage: 'analyse', message })
    })
    // Images in the figures are enlarged to at least 3 device pixels per CSS pixel, so PDF viewers
    // that smooth images (most do) still show square digit pixels.
    const specs = figureSpecs(collected.inputs, { pixelRatio: Math.max(3, Math.ceil(req.scale)) })
    if (req.report) await writeReport(out, specs, collected, req, onProgress)
    else await writeFigures(out, specs, req, onProgress)
    return finish(out, req, runs, collected.skipped, started, onProgress)
  } catch (e) {
    out.abort()
    throw e
  }
}

/** Refuses to replace files unless allowed, then moves the staged files into place. */
function finish(
  out: StagedDirectory,
  req: ExportRequest,
  runs: readonly RunRecord[],
  skipped: string[],
  started: number,
  onProgress: (p: ExportProgress) => void
): ExportResult {
  const existing = req.overwrite ? [] : out.existing()
  if (existing.length) {
    const list = existing.slice(0, 5).join(', ') + (existing.length > 5 ? ', …' : '')
    throw new VaeLabError(
      'INVALID_INPUT',
      `${existing.length} file${existing.length > 1 ? 's' : ''} would be replaced in ${out.target}: ${list}; allow replacing them or choose another folder`,
      { field: 'overwrite' }
    )
  }
  onProgress({ stage: 'write', message: `moving ${out.files().length} files into ${req.outDir}` })
  out.commit()
  return {
    outDir: out.target,
    files: out.files(),
    runIds: runs.map((r) => r.id),
    skipped,
    seconds: (performance.now() - started) / 1000
  }
}

/** Frames of an animation at most: a longer run shows every k-th epoch, and its last. */
const MAX_FRAMES = 120

/**
 * `--animate`: each per-epoch figure drawn at every epoch the runs share, as one APNG per figure
 * (NAME-animated.png). The epochs are those every run has figure data for.
 */
async function exportAnimations(
  store: RunStore,
  req: ExportRequest,
  runs: readonly RunRecord[],
  figures: ReadonlySet<ExportFigure>,
  started: number,
  onProgress: (p: ExportProgress) => void
): Promise<ExportResult> {
  const perRun = await Promise.all(runs.map((r) => store.figureEpochs(r.id)))
  let epochs = perRun[0].filter((e) => perRun.every((list) => list.includes(e)))
  if (!epochs.length) {
    const old = runs.filter((_, i) => !perRun[i].length).map((r) => r.id)
    throw new VaeLabError(
      'INVALID_INPUT',
      old.length
        ? `run${old.length > 1 ? 's' : ''} ${old.join(', ')} ha${old.length > 1 ? 've' : 's'} no figures stored per epoch (trained before VAE Lab kept them): nothing to animate`
        : 'these runs have no epoch with figure data in common: animate them one at a time',
      { field: 'animate' }
    )
  }
  if (epochs.length > MAX_FRAMES) {
    const step = Math.ceil(epochs.length / MAX_FRAMES)
    epochs = epochs.filter((_, i) => i % step === 0 || i === epochs.length - 1)
  }
  const out = StagedDirectory.open(req.outDir)
  try {
    const frames = new Map<string, FigureSpec[]>()
    const skipped = new Set<string>()
    for (const epoch of epochs) {
      onProgress({ stage: 'collect', message: `epoch ${epoch}` })
      const collected = await collectFigureInputs(store, runs, {
        ...req,
        figures,
        strict: true,
        epoch,
        // The curves' marker and per-class numbers do not animate: the stored figures do.
        groupSeeds: false
      })
      for (const s of collected.skipped) skipped.add(s)
      for (const spec of figureSpecs(collected.inputs, {
        pixelRatio: Math.max(2, Math.ceil(req.scale))
      })) {
        const list = frames.get(spec.name) ?? []
        list.push(spec)
        frames.set(spec.name, list)
      }
    }
    for (const [name, specs] of frames) {
      // One canvas for every frame: the largest (titles and legends may differ a little).
      const width = Math.max(...specs.map((s) => s.width))
      const height = Math.max(...specs.map((s) => s.height))
      const pngs = specs.map((spec, i) => {
        onProgress({ stage: 'render', message: `${name} frame ${i + 1}/${specs.length}` })
        return renderPng(renderSvg({ ...spec, width, height }), req.scale)
      })
      out.write(`${name}-animated.png`, assembleApng(pngs, { frameMs: 400, lastMs: 2000 }))
    }
    return finish(out, req, runs, [...skipped], started, onProgress)
  } catch (e) {
    out.abort()
    throw e
  }
}

async function writeFigures(
  out: StagedDirectory,
  specs: FigureSpec[],
  req: ExportRequest,
  onProgress: (p: ExportProgress) => void
) {
  for (const spec of specs) {
    onProgress({ stage: 'render', message: `${spec.name}.${req.format}` })
    const svg = renderSvg(spec)
    if (req.format === 'svg') out.write(`${spec.name}.svg`, svg)
    else if (req.format === 'png') out.write(`${spec.name}.png`, renderPng(svg, req.scale))
    else
      out.write(
        `${spec.name}.pdf`,
        await renderPdf([{ svg, width: spec.width, height: spec.height }], { title: spec.title })
      )
  }
}

async function writeReport(
  out: StagedDirectory,
  specs: FigureSpec[],
  c: Collected,
  req: ExportRequest,
  onProgress: (p: ExportProgress) => void
) {
  const figures: ReportFigure[] = []
  for (const spec of specs) {
    onProgress({ stage: 'render', message: spec.name })
    const svg = renderSvg(spec)
    // The figures beside the report come in the format asked for; the report itself is a PDF.
    if (req.format === 'svg') out.write(`figures/${spec.name}.svg`, svg)
    else if (req.format === 'png') out.write(`figures/${spec.name}.png`, renderPng(svg, req.scale))
    else
      out.write(
        `figures/${spec.name}.pdf`,
        await renderPdf([{ svg, width: spec.width, height: spec.height }], { title: spec.title })
      )
    figures.push({ svg, width: spec.width, height: spec.height, caption: spec.caption })
  }
  onProgress({ stage: 'render', message: 'report.pdf' })
  const sep = new Map(c.separability.map((s) => [s.runId, s]))
  out.write(
    'report.pdf',
    await renderReportPdf({
      title: 'VAE Lab report',
      sweeps: [...new Set(c.runs.map((r) => r.record.sweep ?? 'no sweep'))],
      datasets: [...new Set(c.runs.map((r) => r.record.dataset))],
      date: new Date(),
      codeVersion: codeVersion(),
      runs: c.runs.map((r) => {
        const test = r.final?.test ?? r.metrics.at(-1)?.test
        return {
          id: r.record.id,
          name: r.label.name,
          latent: r.record.latent,
          dataset: r.record.dataset,
          status: r.record.status,
          epochs: `${r.record.epochsDone}/${r.record.epochs}`,
          nelbo: test?.nelbo ?? null,
          rec: test?.rec ?? null,
          kl: test?.kl ?? null,
          activeUnits: r.final ? `${r.final.activeUnits.active}/${r.record.latent}` : null,
          knn: sep.get(r.record.id)?.latent ?? null,
          config: configLines(r.record.config),
          protocol: protocolLine(r.record),
          codeVersion: r.record.codeVersion
        }
      }),
      figures,
      skipped: c.skipped
    })
  )

  const metrics = {
    generatedAt: new Date().toISOString(),
    codeVersion: codeVersion(),
    units: 'nats per image',
    runs: c.runs.map((r) => ({
      id: r.record.id,
      name: r.label.name,
      sweep: r.record.sweep,
      latentDim: r.record.latent,
      dataset: r.record.dataset,
      status: r.record.status,
      backend: r.record.backend,
      epochs: r.record.epochsDone,
      final: r.final,
      testPerDigit: r.perDigit,
      separability: sep.get(r.record.id) ?? null,
      metrics: r.metrics
    })),
    minimalLatentDim: c.inputs.minDim ?? null,
    skipped: c.skipped
  }
  out.write('metrics.json', JSON.stringify(metrics, null, 2) + '\n')
  const digits = Array.from({ length: 10 }, (_, d) => d)
  out.write(
    'runs.csv',
    toCsv(
      [
        'run_id',
        'name',
        'sweep',
        'latent_dim',
        'dataset',
        'status',
        'backend',
        'epochs',
        'test_nelbo',
        'test_rec',
        'test_kl',
        'active_units',
        ...digits.map((d) => `test_nelbo_digit_${d}`),
        'knn_k',
        'knn_accuracy_latent',
        'knn_accuracy_2d',
        'projection'
      ],
      c.runs.map((r) => {
        const s = sep.get(r.record.id)
        const test = r.final?.test ?? r.metrics.at(-1)?.test
        return [
          r.record.id,
          r.label.name,
          r.record.sweep,
          r.record.latent,
          r.record.dataset,
          r.record.status,
          r.record.backend,
          r.record.epochsDone,
          test?.nelbo,
          test?.rec,
          test?.kl,
          r.final?.activeUnits.active,
          ...digits.map((d) => r.perDigit?.[d]),
          s?.k,
          s?.latent,
          s?.projected,
          s?.method
        ]
      })
    )
  )
  out.write(
    'epochs.csv',
    toCsv(
      [
        'run_id',
        'latent_dim',
        'epoch',
        'train_nelbo',
        'train_rec',
        'train_kl',
        'test_nelbo',
        'test_rec',
        'test_kl',
        'img_per_s',
        'seconds'
      ],
      c.runs.flatMap((r) =>
        r.metrics.map((m) => [
          r.record.id,
          r.record.latent,
          m.epoch,
          m.train.nelbo,
          m.train.rec,
          m.train.kl,
          m.test.nelbo,
          m.test.rec,
          m.test.kl,
          m.imgPerSec,
          m.seconds
        ])
      )
    )
  )
  if (c.inputs.minDim) out.write('mindim.csv', minDimCsv(c.inputs.minDim))
  for (const r of c.runs)
    out.write(
      `configs/run-${r.record.id}.json`,
      JSON.stringify(
        {
          id: r.record.id,
          name: r.record.name,
          sweep: r.record.sweep,
          codeVersion: r.record.codeVersion,
          config: r.record.config
        },
        null,
        2
      ) + '\n'
    )
}
