// Files and stdio: JSON lines, CSV and plain lines in and out.
export { jsonLines, csvLines, plainLines } from './formats';
export type { LineFormat, CsvOptions } from './formats';
export { parseCsvLine, formatCsvLine } from './csv';
export { fileSource } from './file-source';
export type { FileSourceOptions, FileOffset } from './file-source';
export { fileSink, streamSink, stdoutSink } from './file-sink';
export type { FileSinkOptions, StreamSinkOptions } from './file-sink';
export { lineStreamSource, stdinSource } from './stream-source';
export type { LineStreamSourceOptions, LineNumber } from './stream-source';
