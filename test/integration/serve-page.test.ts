/**
 * The upload page at `/` in a real browser: Debian's headless Chromium, driven over the DevTools
 * protocol (test/helpers/cdp.ts), against a real `pdfraster serve`. Once with JavaScript (async
 * job, progress, download link) and once without (the plain form posts and the PDF downloads).
 * In CI a missing Chromium fails the test (.ci/run installs it); elsewhere it is skipped with a note.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Browser, findChromium } from "../helpers/cdp.js";
import { runCli, SAMPLE, scratch } from "../helpers/cli.js";
import { waitFor } from "../helpers/processes.js";
import { metric, ready, startServe, stopAll, type RunningService } from "../helpers/serve.js";

const chromium = findChromium();
const CI = process.env.CI === "true";
if (!chromium && !CI) console.warn("chromium not installed: the upload page test is skipped (apt-get install chromium)");

async function cliPdf(args: string[]): Promise<Buffer> {
  const out = join(scratch(), "cli.pdf");
  const result = await runCli([SAMPLE, out, "--quiet", ...args]);
  expect(result.code, result.stderr).toBe(0);
  return readFileSync(out);
}

describe.skipIf(!chromium && !CI)("the upload page in headless Chromium", () => {
  let service: RunningService;
  let browser: Browser;
  beforeAll(async () => {
    if (!chromium) throw new Error("chromium is not installed (CI=true): apt-get install chromium");
    service = await startServe(["--workers", "2"]);
    await ready(service);
    browser = await Browser.launch(chromium);
  });
  afterAll(async () => {
    await browser?.close();
    await stopAll();
  });

  /** Opens the page in a new tab that saves downloads in a fresh folder. */
  async function open(script: boolean) {
    const downloads = scratch("pdfraster-downloads-");
    const page = await browser.newPage();
    await browser.send("Browser.setDownloadBehavior", { behavior: "allow", downloadPath: downloads, eventsEnabled: true });
    await page.send("Page.enable");
    if (!script) await page.send("Emulation.setScriptExecutionDisabled", { value: true });
    const loaded = browser.waitFor("Page.loadEventFired", undefined, page.sessionId);
    await page.send("Page.navigate", { url: `${service.url}/` });
    await loaded;
    const { root } = (await page.send("DOM.getDocument")) as { root: { nodeId: number } };
    const node = async (selector: string) => ((await page.send("DOM.querySelector", { nodeId: root.nodeId, selector })) as { nodeId: number }).nodeId;
    await page.send("DOM.setFileInputFiles", { files: [SAMPLE], nodeId: await node("#file") });
    return { page, downloads, node };
  }

  /** Listens for a download (before the click: a small one may complete at once); resolves with its bytes and name. */
  function download(downloads: string): Promise<{ name: string; bytes: Buffer }> {
    const started = browser.waitFor("Browser.downloadWillBegin");
    const completed = browser.waitFor("Browser.downloadProgress", (p) => p.state === "completed");
    return downloaded(downloads, started, completed);
  }

  async function downloaded(downloads: string, started: Promise<Record<string, unknown>>, completed: Promise<Record<string, unknown>>): Promise<{ name: string; bytes: Buffer }> {
    const { guid, suggestedFilename } = (await started) as { guid: string; suggestedFilename: string };
    expect((await completed).guid).toBe(guid);
    const path = join(downloads, suggestedFilename);
    await waitFor(() => existsSync(path), 5000, "the downloaded file");
    return { name: suggestedFilename, bytes: readFileSync(path) };
  }

  it("with JavaScript: uploads the fixture as a job, shows progress, and downloads the CLI's PDF", async () => {
    const { page, downloads } = await open(true);
    const evaluate = async (expression: string) => ((await page.send("Runtime.evaluate", { expression, returnByValue: true })) as { result: { value: unknown } }).result.value;
    await evaluate(`document.querySelector("[name=dpi]").value = "72"; document.querySelector("[name=size]").value = "A4";`);
    const file = download(downloads);
    await evaluate(`document.getElementById("go").click()`);
    const { name, bytes } = await file;
    expect(name).toBe("sample-raster.pdf");
    expect(bytes.equals(await cliPdf(["--dpi", "72", "--size", "A4"]))).toBe(true);
    let status = "";
    await waitFor(() => status.startsWith("Done: 5 page(s)"), 5000, "the page to say it is done", async () => {
      status = String(await evaluate(`document.getElementById("status").textContent`));
    });
    expect(await evaluate(`document.getElementById("bar").value === document.getElementById("bar").max`)).toBe(true);
    const shot = (await page.send("Page.captureScreenshot", { format: "png" })) as { data: string };
    const path = process.env.SERVE_SCREENSHOT ?? join(scratch(), "upload-page.png");
    writeFileSync(path, Buffer.from(shot.data, "base64"));
    console.log(`upload page screenshot: ${path}`);
    expect(readFileSync(path).subarray(1, 4).toString()).toBe("PNG");
    expect(service.jobDirs()).toHaveLength(1); // the job's result is kept until it expires
  });

  it("without JavaScript: the plain form posts and the PDF downloads", async () => {
    const { page, downloads, node } = await open(false);
    await page.send("DOM.setAttributeValue", { nodeId: await node("[name=dpi]"), name: "value", value: "36" });
    const { model } = (await page.send("DOM.getBoxModel", { nodeId: await node("#go") })) as { model: { content: number[] } };
    const [x1, y1, , , x2, y2] = model.content as [number, number, number, number, number, number];
    const at = { x: (x1 + x2) / 2, y: (y1 + y2) / 2, button: "left", clickCount: 1 };
    const pending = download(downloads);
    await page.send("Input.dispatchMouseEvent", { type: "mousePressed", ...at });
    await page.send("Input.dispatchMouseEvent", { type: "mouseReleased", ...at });
    const file = await pending;
    expect(file.name).toBe("sample-raster.pdf");
    expect(file.bytes.equals(await cliPdf(["--dpi", "36"]))).toBe(true);
    expect(readdirSync(downloads)).toEqual(["sample-raster.pdf"]);
  });

  it("a page of another local port cannot make the service render: its no-cors posts are refused (403)", async () => {
    // The attacker's page: another origin on the same machine (same site), posting the fixture the two
    // ways a page can without a preflight: a multipart form body, and a raw body as a "form" type.
    const attacker = createServer((req, res) => {
      if (req.url === "/sample.pdf") {
        res.end(readFileSync(SAMPLE));
        return;
      }
      res.setHeader("content-type", "text/html");
      res.end(`<!doctype html><title>attacker</title><script>
        (async () => {
          const pdf = await (await fetch("/sample.pdf")).blob();
          const form = new FormData();
          form.append("file", pdf, "x.pdf");
          await fetch(${JSON.stringify(service.url)} + "/v1/rasterize?dpi=36", { method: "POST", mode: "no-cors", body: form }).catch(() => {});
          await fetch(${JSON.stringify(service.url)} + "/v1/jobs?dpi=36", { method: "POST", mode: "no-cors", body: pdf, headers: { "content-type": "application/x-www-form-urlencoded" } }).catch(() => {});
          document.title = "sent";
        })();
      </script>`);
    });
    await new Promise<void>((resolve) => attacker.listen(0, "127.0.0.1", resolve));
    try {
      const counts = async () => {
        const text = await (await fetch(`${service.url}/metrics`)).text();
        return { done: metric(text, 'pdfraster_documents_total{status="done"}'), refused: metric(text, 'pdfraster_rejected_total{reason="cross_site"}') };
      };
      const before = await counts();
      const page = await browser.newPage();
      await page.send("Page.enable");
      await page.send("Page.navigate", { url: `http://127.0.0.1:${(attacker.address() as AddressInfo).port}/` });
      const title = async () => ((await page.send("Runtime.evaluate", { expression: "document.title", returnByValue: true })) as { result: { value: string } }).result.value;
      let seen = "";
      await waitFor(() => seen === "sent", 20_000, "the attacker's page to send its posts", async () => {
        seen = await title();
      });
      await new Promise((resolve) => setTimeout(resolve, 1000)); // a job the service took would have started by now
      const after = await counts();
      expect(after.refused - before.refused).toBe(2);
      expect(after.done).toBe(before.done); // before the fix: 2 documents more
      expect(service.jobDirs().length).toBeLessThanOrEqual(1); // the first test's kept result, nothing more
    } finally {
      attacker.close();
    }
  });
});
