/** A small document with text, bookmarks, links and document information, for the keep and PDF/A tests. */
import { writeFileSync } from "node:fs";
import { degrees, PDFDocument, PDFHexString, PDFName, PDFNull, PDFString, StandardFonts } from "pdf-lib";

export interface NavigationInfo {
  title: string;
  author: string;
  subject: string;
  keywords: string[];
  creationDate: Date;
}

export const NAVIGATION_INFO: NavigationInfo = {
  title: "Navigation test",
  author: "pdfraster tests",
  subject: "keep options",
  keywords: ["bookmarks", "links"],
  creationDate: new Date("2020-05-06T07:08:09Z"),
};

/**
 * A 3-page document with everything the keep options carry: text, an outline (nested, one item
 * with FitH), links (an explicit GoTo, a named GoTo, a URI and a JavaScript one), document
 * information. Page 3 is turned by /Rotate 90.
 */
export async function makeNavigationPdf(path: string, info: Partial<NavigationInfo> = {}): Promise<void> {
  const doc = await PDFDocument.create();
  const font = await doc.embedFont(StandardFonts.Helvetica);
  const pages = [1, 2, 3].map((n) => {
    const page = doc.addPage([612, 792]);
    page.drawText(`Chapter ${n} starts here`, { x: 72, y: 700, size: 24, font });
    return page;
  });
  pages[2]!.setRotation(degrees(90));
  const ctx = doc.context;
  const xyz = (page: number, left: number, top: number) => ctx.obj([pages[page]!.ref, PDFName.of("XYZ"), left, top, PDFNull]);
  const annot = (rect: number[], entries: Record<string, unknown>) =>
    ctx.register(ctx.obj({ Type: "Annot", Subtype: "Link", Rect: rect, Border: [0, 0, 0], ...entries } as never));
  pages[0]!.node.set(
    PDFName.of("Annots"),
    ctx.obj([
      annot([72, 600, 272, 620], { Dest: xyz(2, 100, 500) }),
      annot([72, 560, 272, 580], { A: ctx.obj({ S: "GoTo", D: PDFString.of("chapter-two") }) }),
      annot([72, 520, 272, 540], { A: ctx.obj({ S: "URI", URI: PDFString.of("https://example.com/pdfraster?q=1") }) }),
      annot([72, 480, 272, 500], { A: ctx.obj({ S: "JavaScript", JS: PDFString.of("app.alert('hi')") }) }),
    ]),
  );
  doc.catalog.set(
    PDFName.of("Names"),
    ctx.obj({ Dests: ctx.obj({ Names: ctx.obj([PDFString.of("chapter-two"), xyz(1, 0, 792)]) }) }),
  );
  // Outline: Chapter 1, Chapter 2 > Section 2.1 (on page 3, FitH).
  const [root, one, two, section] = [0, 1, 2, 3].map(() => ctx.nextRef());
  ctx.assign(root!, ctx.obj({ Type: "Outlines", First: one, Last: two, Count: 3 }));
  ctx.assign(one!, ctx.obj({ Title: PDFHexString.fromText("Chapter 1"), Parent: root, Next: two, Dest: xyz(0, 0, 792) }));
  ctx.assign(
    two!,
    ctx.obj({ Title: PDFHexString.fromText("Chapter 2 — zwei"), Parent: root, Prev: one, First: section, Last: section, Count: 1, Dest: xyz(1, 0, 792) }),
  );
  ctx.assign(section!, ctx.obj({ Title: PDFHexString.fromText("Section 2.1"), Parent: two, Dest: ctx.obj([pages[2]!.ref, PDFName.of("FitH"), 400]) }));
  doc.catalog.set(PDFName.of("Outlines"), root!);
  const { title, author, subject, keywords, creationDate } = { ...NAVIGATION_INFO, ...info };
  doc.setTitle(title);
  doc.setAuthor(author);
  doc.setSubject(subject);
  doc.setKeywords(keywords);
  doc.setCreator("make-navigation");
  doc.setProducer("pdf-lib");
  doc.setCreationDate(creationDate);
  writeFileSync(path, await doc.save({ useObjectStreams: false }));
}
