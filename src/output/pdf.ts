import { randomBytes } from "node:crypto";
import type { TextStats } from "../report.js";
import { createReadStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { OrderedAssembler } from "../assemble.js";
import { describeError, OutputError } from "../errors.js";
import type { Keeper } from "../keep/keeper.js";
import type { NormalizedOptions } from "../options.js";
import type { PageLayout } from "../paper.js";
import { PdfStreamWriter } from "../pdf/writer.js";
import type { Committed, PageSink } from "./sink.js";

/**
 * An image-only PDF, assembled in page order into a temp file: beside the target (renamed into
 * place on commit) or, for a stream, in the run's temp dir (copied to the stream on commit).
 */
/** Why a file cannot be created in a folder, by error code (the error's own message names the partial file). */
const CANNOT_CREATE: Record<string, string> = {
  ENOENT: "no file can be created in its folder",
  EACCES: "permission denied in its folder",
  EPERM: "permission denied in its folder",
  EROFS: "its folder is on a read-only file system",
  ENOSPC: "no space left on the device",
  EDQUOT: "disk quota exceeded",
};

export class PdfSink implements PageSink {
  private constructor(
    private readonly writer: PdfStreamWriter,
    private readonly assembler: OrderedAssembler,
    private readonly partial: string,
    private readonly target: { path: string } | { stream: NodeJS.WritableStream },
    private readonly keeper: Keeper | undefined,
  ) {}

  static async create(
    target: { path: string } | { stream: NodeJS.WritableStream },
    tempDir: string,
    layouts: readonly PageLayout[],
    opts: NormalizedOptions,
    onBadImage: (index: number, reason: string) => void,
    /** The keep options' text, links, bookmarks and metadata, when any is on. */
    keeper?: Keeper,
    /** Called once when writing the PDF fails (e.g. disk full), so rendering can stop early. */
    onWriteError?: (error: unknown) => void,
  ): Promise<PdfSink> {
    const tag = randomBytes(4).toString("hex");
    const partial =
      "path" in target
        ? join(dirname(target.path), `.${basename(target.path)}.${tag}.pdfraster-tmp`)
        : join(tempDir, `output-${tag}.pdf`);
    let writer: PdfStreamWriter;
    try {
      writer = await PdfStreamWriter.create(partial, { pdfa: opts.pdfa });
    } catch (error) {
      // The reason without the hidden partial file's name, which the user never gave.
      const code = (error as NodeJS.ErrnoException).code ?? "";
      const reason = CANNOT_CREATE[code] ?? describeError(error).replaceAll(partial, "a file beside it");
      throw new OutputError(`Cannot write ${"path" in target ? target.path : "the output"}: ${reason}`, { cause: error });
    }
    const white = opts.background.every((c) => c === 255);
    const background = white ? undefined : (opts.background.map((c) => c / 255) as [number, number, number]);
    const assembler = new OrderedAssembler(writer, layouts, opts.onError, background, onBadImage, keeper, onWriteError);
    return new PdfSink(writer, assembler, partial, target, keeper);
  }

  accept: PageSink["accept"] = (index, outcome) => this.assembler.accept(index, outcome);

  flush(): Promise<void> {
    return this.assembler.flush();
  }

  get pagesWritten(): number {
    return this.assembler.pagesWritten;
  }

  get assembleMs(): number {
    return this.assembler.assembleMs;
  }

  textStats(): TextStats | undefined {
    return this.keeper?.textStats();
  }

  async commit(): Promise<Committed> {
    const bytes = await this.writer.close(this.keeper?.info(), this.keeper?.structure(), () => this.assembler.jbig2Globals());
    if ("path" in this.target) {
      try {
        await rename(this.partial, this.target.path);
      } catch (error) {
        throw new OutputError(`Cannot write ${this.target.path}: ${describeError(error)}`, { cause: error });
      }
      return { output: this.target.path, bytes };
    }
    try {
      await copyToStream(this.partial, this.target.stream);
    } catch (error) {
      throw new OutputError(`Cannot write the PDF to the output stream: ${describeError(error)}`, { cause: error });
    } finally {
      await rm(this.partial, { force: true });
    }
    return { output: "-", bytes };
  }

  async abort(): Promise<void> {
    // Aborting after a failure: that failure is the one to report, and the run's temp folder goes anyway.
    await this.writer.abort().catch(() => {});
    await rm(this.partial, { force: true }).catch(() => {});
  }
}

/** Copies a file to a stream that is left open (stdout), honouring backpressure; rejects on a stream error (EPIPE). */
async function copyToStream(path: string, stream: NodeJS.WritableStream): Promise<void> {
  let failed: ((error: Error) => void) | undefined;
  const failure = new Promise<never>((_, reject) => (failed = reject));
  failure.catch(() => {}); // raced below; when the copy ends first nobody awaits it: not an unhandled rejection
  const onError = (error: Error): void => failed?.(error);
  stream.on("error", onError);
  try {
    for await (const chunk of createReadStream(path)) {
      if (!stream.write(chunk as Buffer)) {
        await Promise.race([new Promise((resolve) => stream.once("drain", resolve)), failure]);
      }
    }
    await Promise.race([new Promise<void>((resolve) => stream.write("", () => resolve())), failure]);
  } finally {
    stream.off("error", onError);
  }
}
