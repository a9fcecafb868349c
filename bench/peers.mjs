// The tools pdfraster is compared with, each doing the same job: PDF in, image-only PDF out, at the
// same pixel size and JPEG quality. Each peer is a shell command line so that pipelines and page
// splits run as one measured process tree.
import { spawnSync } from "node:child_process";
import { join } from "node:path";

/** Quotes one shell word. */
const q = (s) => `'${String(s).replace(/'/g, "'\\''")}'`;

function has(tool) {
  return spawnSync("sh", ["-c", `command -v ${tool}`], { stdio: "ignore" }).status === 0;
}

/** Tries apt-get for missing Debian tools when running as root; quiet when it cannot. */
export function installMissing(log) {
  const wanted = { gs: "ghostscript", pdftoppm: "poppler-utils", img2pdf: "img2pdf", qpdf: "qpdf", convert: "imagemagick" };
  const missing = Object.entries(wanted).filter(([tool]) => !has(tool)).map(([, pkg]) => pkg);
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0 || !has("apt-get")) {
    log(`missing peers (${missing.join(", ")}): not root or no apt-get, so they are skipped`);
    return;
  }
  log(`installing missing peers: ${missing.join(" ")}`);
  const r = spawnSync("sh", ["-c", `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${missing.join(" ")}`], { stdio: "ignore" });
  if (r.status !== 0) log("apt-get install failed: the missing peers are skipped");
}

/** Why ImageMagick cannot read PDF here, or undefined when it can. */
function magickBlocked(probePdf) {
  if (!has("convert")) return "ImageMagick is not installed";
  const r = spawnSync("convert", ["-density", "10", `${probePdf}[0]`, "-compress", "jpeg", "/dev/null"], { encoding: "utf8" });
  if (/security policy/i.test(r.stderr)) {
    return "blocked by ImageMagick's security policy (policy.xml: coder PDF rights none); the system policy cannot be overridden per user, and the benchmark does not edit it";
  }
  if (r.status !== 0) return `convert fails: ${r.stderr.trim().split("\n")[0]}`;
  return undefined;
}

/**
 * The peer command lines for one job. `job`: { input, pages, dpi, quality, paper, pixelScale, cores, work },
 * where `pixelScale` is the page-to-paper scale pdfraster uses (1 for original size), so that every tool
 * renders the same number of pixels, and `paper` is an img2pdf/gs page size name or undefined.
 * Returns [{ name, command, output, processes } | { name, skipped }].
 */
export function peerCommands(job) {
  const { input, pages, dpi, quality, paper, pixelScale, cores, work } = job;
  const res = dpi * pixelScale;
  const out = (name) => join(work, `${name}.pdf`);
  const peers = [];

  if (has("gs")) {
    const media = paper ? `-sPAPERSIZE=${paper.toLowerCase()} -dFIXEDMEDIA -dPDFFitPage -r${dpi}` : `-r${dpi}`;
    const gs = (aa) =>
      `gs -q -dNOPAUSE -dBATCH -dSAFER -sDEVICE=pdfimage24 ${media} ${aa ? "-dTextAlphaBits=4 -dGraphicsAlphaBits=4 " : ""}` +
      `-sCompression=JPEG -dJPEGQ=${quality} -sOutputFile=${q(out(aa ? "gs-aa" : "gs"))} ${q(input)}`;
    peers.push({ name: "gs pdfimage24 (no AA)", command: gs(false), output: out("gs"), processes: 1 });
    peers.push({ name: "gs pdfimage24 AA=4", command: gs(true), output: out("gs-aa"), processes: 1 });
  } else {
    peers.push({ name: "gs pdfimage24", skipped: "ghostscript is not installed" });
  }

  if (has("pdftoppm") && has("img2pdf")) {
    const fit = paper ? `--pagesize ${paper} --fit into ` : "";
    const ppm = (dir, first, last) =>
      `pdftoppm -r ${res} -jpeg -jpegopt quality=${quality} -f ${first} -l ${last} ${q(input)} ${q(join(dir, "p"))}`;
    // pdftoppm names pages p-01.jpg ... zero-padded to the page count, so the glob sorts in page order.
    const one = join(work, "ppm1");
    peers.push({
      name: "pdftoppm | img2pdf",
      command: `rm -rf ${q(one)} && mkdir ${q(one)} && ${ppm(one, 1, pages)} && img2pdf ${fit}${q(one)}/p-*.jpg -o ${q(out("ppm1"))} && rm -rf ${q(one)}`,
      output: out("ppm1"),
      processes: 1,
    });
    const n = Math.min(cores, pages);
    if (n > 1) {
      const split = join(work, "ppmN");
      const parts = Array.from({ length: n }, (_, k) => {
        const first = Math.floor((k * pages) / n) + 1;
        const last = Math.floor(((k + 1) * pages) / n);
        return `${ppm(split, first, last)} &`;
      });
      peers.push({
        name: `pdftoppm x${n} | img2pdf`,
        command: `rm -rf ${q(split)} && mkdir ${q(split)} && ${parts.join(" ")} wait && img2pdf ${fit}${q(split)}/p-*.jpg -o ${q(out("ppmN"))} && rm -rf ${q(split)}`,
        output: out("ppmN"),
        processes: n,
      });
    }
  } else {
    peers.push({ name: "pdftoppm | img2pdf", skipped: "poppler-utils or img2pdf is not installed" });
  }

  const blocked = magickBlocked(input);
  if (blocked) peers.push({ name: "convert -density", skipped: blocked });
  else {
    const page = paper ? ` -resize ${Math.round(pixelScale * 100)}%` : "";
    peers.push({
      name: "convert -density",
      command: `convert -density ${dpi} ${q(input)}${page} -quality ${quality} -compress jpeg ${q(out("magick"))}`,
      output: out("magick"),
      processes: 1,
    });
  }
  return peers;
}

/** One line naming each peer's version, for the report. */
export function peerVersions() {
  const v = (cmd) => spawnSync("sh", ["-c", cmd], { encoding: "utf8" }).stdout?.trim().split("\n")[0] || "absent";
  return {
    gs: v("gs --version 2>/dev/null"),
    pdftoppm: v("pdftoppm -v 2>&1 | head -1"),
    img2pdf: v("img2pdf --version 2>/dev/null"),
    convert: v("convert -version 2>/dev/null | head -1"),
    qpdf: v("qpdf --version 2>/dev/null | head -1"),
  };
}
