import { open, readFile } from "node:fs/promises";
import { crc32 } from "node:zlib";
import { LimitError } from "../errors.js";

/**
 * A store-only ZIP (no compression: page images are JPEG or PNG, compressed already) of files read
 * from disk one at a time, so memory holds one page image. Classic ZIP, no ZIP64: at most 65,535
 * entries and 4 GiB, refused beyond with a LimitError. Names are UTF-8 (general-purpose flag bit 11).
 */
export async function writeZip(path: string, entries: ReadonlyArray<{ name: string; path: string }>, date = new Date()): Promise<number> {
  if (entries.length > 0xffff) throw new LimitError(`A ZIP holds at most 65535 files, not ${entries.length}: ask for fewer pages`, "ERR_TOO_LARGE");
  const { time, day } = dosDateTime(date);
  const file = await open(path, "w");
  const central: Buffer[] = [];
  let offset = 0;
  try {
    for (const entry of entries) {
      const name = Buffer.from(entry.name, "utf8");
      const data = await readFile(entry.path);
      const crc = crc32(data);
      if (offset + 30 + name.length + data.length > 0xffffffff) {
        throw new LimitError("The pages make a ZIP over 4 GiB: ask for fewer pages or a lower dpi", "ERR_TOO_LARGE");
      }
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      describe(local, 4, { time, day, crc, size: data.length, nameLength: name.length });
      await file.write(Buffer.concat([local, name]));
      await file.write(data);
      const header = Buffer.alloc(46);
      header.writeUInt32LE(0x02014b50, 0);
      header.writeUInt16LE(0x0314, 4); // made by: Unix, 2.0
      describe(header, 6, { time, day, crc, size: data.length, nameLength: name.length });
      // extra, comment, disk number, internal attributes: 0
      header.writeUInt32LE((0o100644 << 16) >>> 0, 38); // external attributes: a regular file, rw-r--r--
      header.writeUInt32LE(offset, 42);
      central.push(header, name);
      offset += local.length + name.length + data.length;
    }
    const directory = Buffer.concat(central);
    if (offset + directory.length > 0xffffffff) throw new LimitError("The pages make a ZIP over 4 GiB: ask for fewer pages or a lower dpi", "ERR_TOO_LARGE");
    const end = Buffer.alloc(22);
    end.writeUInt32LE(0x06054b50, 0);
    end.writeUInt16LE(entries.length, 8);
    end.writeUInt16LE(entries.length, 10);
    end.writeUInt32LE(directory.length, 12);
    end.writeUInt32LE(offset, 16);
    await file.write(Buffer.concat([directory, end]));
    return offset + directory.length + end.length;
  } finally {
    await file.close();
  }
}

/** The fields a local header and a central directory entry share, from `at`: version needed, flags, method, time, date, CRC, sizes, name length. */
function describe(buffer: Buffer, at: number, entry: { time: number; day: number; crc: number; size: number; nameLength: number }): void {
  buffer.writeUInt16LE(20, at); // version needed: 2.0
  buffer.writeUInt16LE(0x0800, at + 2); // UTF-8 names
  buffer.writeUInt16LE(0, at + 4); // stored
  buffer.writeUInt16LE(entry.time, at + 6);
  buffer.writeUInt16LE(entry.day, at + 8);
  buffer.writeUInt32LE(entry.crc, at + 10);
  buffer.writeUInt32LE(entry.size, at + 14); // compressed = uncompressed
  buffer.writeUInt32LE(entry.size, at + 18);
  buffer.writeUInt16LE(entry.nameLength, at + 22);
}

/** MS-DOS time and date fields (local time, 2-second resolution, years 1980-2107). */
function dosDateTime(date: Date): { time: number; day: number } {
  const year = Math.min(2107, Math.max(1980, date.getFullYear()));
  return {
    time: (date.getHours() << 11) | (date.getMinutes() << 5) | Math.floor(date.getSeconds() / 2),
    day: ((year - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate(),
  };
}
