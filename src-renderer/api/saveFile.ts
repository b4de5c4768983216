// Saving a file the api sent (a zip of an export, a checkpoint, a CSV): a download in the browser,
// the save dialog in Electron (both handle <a download> on a blob: URL).
import type { FilePayload } from '../../src-main/common/workbenchContract'

export function payloadBlob(p: FilePayload): Blob {
  const bin = atob(p.base64)
  const bytes = new Uint8Array(bin.length)
  for (let i = 0; i < bin.length; i++) bytes[i] = bin.charCodeAt(i)
  return new Blob([bytes], { type: p.mimeType })
}

export function saveFile(p: FilePayload, doc: Document = document): void {
  const url = URL.createObjectURL(payloadBlob(p))
  const a = doc.createElement('a')
  a.href = url
  a.download = p.fileName
  a.rel = 'noopener'
  doc.body.appendChild(a)
  a.click()
  a.remove()
  // Give the browser time to start the download before the URL goes.
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}
