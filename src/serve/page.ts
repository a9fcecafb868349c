import { createHash } from "node:crypto";

/**
 * The upload page at `/`: a plain form that posts to /v1/rasterize and downloads the PDF (works
 * without JavaScript), and a little script that sends it as an async job instead, shows the
 * progress from the job's event stream and offers the result (and, with a token, sends it).
 */
export const UPLOAD_PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pdfraster</title>
<style>
  body { font: 16px/1.45 system-ui, sans-serif; max-width: 40rem; margin: 2rem auto; padding: 0 1rem; color: #1d1d1f; }
  h1 { font-size: 1.6rem; margin-bottom: .2rem; }
  p.lead { margin-top: 0; color: #555; }
  form { display: grid; gap: .9rem; }
  #drop { border: 2px dashed #8a8f98; border-radius: .6rem; padding: 1.6rem 1rem; text-align: center; background: #f6f7f9; }
  #drop.over { border-color: #2563eb; background: #eef3ff; }
  .row { display: flex; flex-wrap: wrap; gap: .9rem; }
  label { display: grid; gap: .25rem; font-size: .9rem; color: #333; }
  select, input[type=number], input[type=password] { font: inherit; padding: .3rem .4rem; min-width: 7rem; }
  button { font: inherit; padding: .55rem 1.2rem; border: 0; border-radius: .4rem; background: #2563eb; color: #fff; cursor: pointer; justify-self: start; }
  button:disabled { background: #9aa5b8; }
  progress { width: 100%; height: 1.1rem; }
  #status { min-height: 1.5rem; }
  .error { color: #b00020; }
  .hidden { display: none; }
</style>
</head>
<body>
<h1>pdfraster</h1>
<p class="lead">Flatten a PDF: every page becomes an image, at the size and resolution you choose.</p>
<form id="form" action="/v1/rasterize" method="post" enctype="multipart/form-data">
  <div id="drop">
    <label for="file">Drop a PDF here, or choose one</label>
    <input id="file" name="file" type="file" accept="application/pdf,.pdf" required>
  </div>
  <div class="row">
    <label>Paper
      <select name="size">
        <option value="original">Original</option>
        <option>A4</option><option>A3</option><option>A5</option><option>Letter</option><option>Legal</option>
      </select>
    </label>
    <label>DPI <input name="dpi" type="number" min="36" max="1200" step="1" value="150"></label>
    <label>Images
      <select name="format">
        <option value="">Smallest (a PDF: auto; images: JPEG)</option><option value="auto">Auto (per page)</option><option value="jpeg">JPEG (fastest)</option><option value="png">PNG (lossless)</option>
      </select>
    </label>
    <label>Colour
      <select name="color"><option value="rgb">Colour</option><option value="gray">Gray</option><option value="mono">1-bit</option></select>
    </label>
    <label>Output
      <select name="output"><option value="pdf">PDF</option><option value="zip">ZIP of images</option><option value="tiff">TIFF</option></select>
    </label>
  </div>
  <label class="hidden" id="token-row">Access token (if the service asks for one)
    <input id="token" type="password" autocomplete="off">
  </label>
  <button id="go" type="submit">Rasterize</button>
  <progress id="bar" class="hidden" max="1" value="0"></progress>
  <div id="status" role="status" aria-live="polite"></div>
</form>
<script>
(() => {
  const form = document.getElementById("form");
  const file = document.getElementById("file");
  const drop = document.getElementById("drop");
  const bar = document.getElementById("bar");
  const status = document.getElementById("status");
  const go = document.getElementById("go");
  const token = document.getElementById("token");
  document.getElementById("token-row").classList.remove("hidden");
  const say = (text, error) => { status.textContent = text; status.className = error ? "error" : ""; };
  const auth = () => (token.value ? { authorization: "Bearer " + token.value } : {});
  for (const type of ["dragenter", "dragover"]) drop.addEventListener(type, (e) => { e.preventDefault(); drop.classList.add("over"); });
  for (const type of ["dragleave", "drop"]) drop.addEventListener(type, () => drop.classList.remove("over"));
  drop.addEventListener("drop", (e) => { e.preventDefault(); if (e.dataTransfer.files.length) file.files = e.dataTransfer.files; });
  async function failure(response) {
    try { const body = await response.json(); return body.message || response.statusText; } catch { return response.status + " " + response.statusText; }
  }
  async function events(id, onEvent) {
    const response = await fetch("/v1/jobs/" + id + "/events", { headers: { accept: "text/event-stream", ...auth() } });
    if (!response.ok) throw new Error(await failure(response));
    const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buffer += value;
      let end;
      while ((end = buffer.indexOf("\\n\\n")) !== -1) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const data = block.split("\\n").filter((l) => l.startsWith("data: ")).map((l) => l.slice(6)).join("\\n");
        if (data && onEvent(JSON.parse(data)) === false) return;
      }
    }
  }
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    if (!file.files.length) return say("Choose a PDF first.", true);
    go.disabled = true;
    bar.classList.remove("hidden");
    bar.removeAttribute("value");
    say("Uploading " + file.files[0].name + "...");
    try {
      const response = await fetch("/v1/jobs", { method: "POST", body: new FormData(form), headers: { accept: "application/json", ...auth() } });
      if (!response.ok) throw new Error(await failure(response));
      const job = await response.json();
      let end;
      await events(job.id, (event) => {
        if (event.type === "document-open") say("Rendering " + event.selected + " page(s)...");
        if (event.type === "page-done" || (event.type === "page-failed" && !event.willRetry)) {
          bar.max = event.total; bar.value = event.done;
          say("Page " + event.done + " of " + event.total);
        }
        if (event.type === "end") { end = event.job; return false; }
      });
      if (!end || end.status !== "done") throw new Error(end && end.error ? end.error.message : "The job did not finish");
      const result = await fetch(end.result, { headers: auth() });
      if (!result.ok) throw new Error(await failure(result));
      const blob = await result.blob();
      const name = (/filename="([^"]+)"/.exec(result.headers.get("content-disposition") || "") || [])[1] || "rasterized";
      const link = document.createElement("a");
      link.href = URL.createObjectURL(blob);
      link.download = name;
      link.id = "download";
      link.textContent = "Download " + name;
      bar.max = 1; bar.value = 1;
      say("Done: " + end.report.outputPages + " page(s), " + Math.round(blob.size / 1024) + " KB. ");
      status.append(link);
      link.click();
    } catch (error) {
      say(error.message, true);
    } finally {
      go.disabled = false;
    }
  });
})();
</script>
</body>
</html>
`;

/** Content-Security-Policy of the page: only its own inline script and style (by hash), requests to this origin, no framing. */
export const UPLOAD_PAGE_CSP = (() => {
  const hash = (tag: string): string => {
    const body = new RegExp(`<${tag}>([\\s\\S]*?)</${tag}>`).exec(UPLOAD_PAGE)![1]!;
    return `'sha256-${createHash("sha256").update(body).digest("base64")}'`;
  };
  return `default-src 'none'; script-src ${hash("script")}; style-src ${hash("style")}; connect-src 'self'; form-action 'self'; img-src 'self'; base-uri 'none'; frame-ancestors 'none'`;
})();
