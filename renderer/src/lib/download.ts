/** Saves an exported report through the browser's download, the same under Electron and over HTTP. */
import type { ExportedFile } from '../../../main/api/types.js';

function base64ToBytes(base64: string): Uint8Array<ArrayBuffer> {
  const binary = atob(base64);
  const bytes = new Uint8Array(binary.length);
  for (let index = 0; index < binary.length; index++) bytes[index] = binary.charCodeAt(index);
  return bytes;
}

/** Converts an ExportedFile to a Blob: UTF-8 text as is, PDF and other binaries from base64. */
export function exportedFileBlob(file: ExportedFile): Blob {
  const content = file.encoding === 'base64' ? base64ToBytes(file.content) : file.content;
  return new Blob([content], { type: file.contentType });
}

/** Starts the download of an exported file under its own file name. */
export function downloadExportedFile(file: ExportedFile): void {
  const url = URL.createObjectURL(exportedFileBlob(file));
  const link = document.createElement('a');
  link.href = url;
  link.download = file.fileName;
  link.rel = 'noopener';
  link.style.display = 'none';
  document.body.append(link);
  link.click();
  link.remove();
  // Revoking the URL at once can cancel a download that has not started reading it yet.
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}
