/**
 * The Redis store's values on their own link (src/cluster/blob-link.ts), against a real
 * redis-server: large values byte for byte, many at once, ACL users and databases, a killed link,
 * and a Redis error, each ending as ioredis alone would.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { describe, expect, it } from "vitest";
import { RedisStore } from "../../dist/cluster/store.js";
import { HAS_REDIS, useRedis } from "../helpers/redis.js";

describe.skipIf(!HAS_REDIS)("cluster Redis store", () => {
  const clients: Redis[] = [];
  const stores: RedisStore[] = [];
  const redis = useRedis(async () => {
    for (const store of stores.splice(0)) store.close();
    for (const client of clients.splice(0)) client.disconnect();
  });

  const open = (url: string, name: string): { client: Redis; store: RedisStore } => {
    const client = new Redis(url, { maxRetriesPerRequest: 2 });
    clients.push(client);
    const store = new RedisStore(client, name);
    stores.push(store);
    return { client, store };
  };
  /** The CLIENT LIST line of the connection named `name` ("" when none). */
  const clientLine = (name: string): string => redis.cli("CLIENT", "LIST").split("\n").find((line) => line.includes(` name=${name} `)) ?? "";


  it("puts, gets and takes large values byte for byte on a connection of its own", async () => {
    const { store } = open(redis.url, "test-images");
    const value = randomBytes(3 * 1024 * 1024 + 17); // many socket reads, a length in no way aligned
    await store.put("t:big", value, 60_000);
    expect(clientLine("test-images")).toContain("cmd=set");
    expect(Number(redis.cli("PTTL", "t:big"))).toBeGreaterThan(50_000);
    expect((await store.get("t:big"))!.equals(value)).toBe(true);
    expect((await store.take("t:big"))!.equals(value)).toBe(true);
    expect(clientLine("test-images")).toContain("cmd=getdel");
    expect(redis.cli("EXISTS", "t:big")).toBe("0");
    expect(await store.take("t:big")).toBeNull();
    expect(await store.get("t:none")).toBeNull();
    await store.put("t:empty", Buffer.alloc(0), 60_000);
    expect((await store.take("t:empty"))!.length).toBe(0);
  });

  it("takes a value straight into a file; a failed write fails the call with its code, and the link carries on", async () => {
    const { store } = open(redis.url, "test-file");
    const dir = mkdtempSync(join(tmpdir(), "pdfraster-store-test-"));
    try {
      const value = randomBytes(2 * 1024 * 1024 + 5);
      await store.put("t:file", value, 60_000);
      expect(await store.takeToFile("t:file", join(dir, "a.jpg"))).toBe(true);
      expect(readFileSync(join(dir, "a.jpg")).equals(value)).toBe(true);
      expect(redis.cli("EXISTS", "t:file")).toBe("0");
      expect(await store.takeToFile("t:file", join(dir, "b.jpg"))).toBe(false);
      expect(existsSync(join(dir, "b.jpg"))).toBe(false);
      await store.put("t:empty", Buffer.alloc(0), 60_000);
      expect(await store.takeToFile("t:empty", join(dir, "c.jpg"))).toBe(true);
      expect(readFileSync(join(dir, "c.jpg")).length).toBe(0);

      const id = /(?:^| )id=(\d+) /.exec(clientLine("test-file"))?.[1];
      await store.put("t:nodir", value, 60_000);
      await expect(store.takeToFile("t:nodir", join(dir, "missing", "d.jpg"))).rejects.toMatchObject({ code: "ENOENT" });
      await store.put("t:after", Buffer.from("after"), 60_000);
      expect((await store.take("t:after"))!.toString()).toBe("after");
      expect(/(?:^| )id=(\d+) /.exec(clientLine("test-file"))?.[1]).toBe(id); // the same link: the value was read past
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("keeps many calls at once in order, small and large values mixed", async () => {
    const { store } = open(redis.url, "test-many");
    const values = Array.from({ length: 40 }, (_, i) => randomBytes(i % 3 === 0 ? 1_300_000 + i : 10 + i));
    await Promise.all(values.map((value, i) => store.put(`t:many:${i}`, value, 60_000)));
    const back = await Promise.all(values.map((_, i) => (i % 2 === 0 ? store.take(`t:many:${i}`) : store.get(`t:many:${i}`))));
    back.forEach((value, i) => expect(value!.equals(values[i]!)).toBe(true));
    expect(clientLine("test-many")).not.toBe("");
  });

  it("logs in as the URL's ACL user and uses its database", async () => {
    expect(redis.cli("ACL", "SETUSER", "alice", "on", ">s3cret", "~*", "+@all")).toBe("OK");
    const { store } = open(`redis://alice:s3cret@127.0.0.1:${redis.port}/3`, "test-acl");
    const value = randomBytes(200_000);
    await store.put("t:acl", value, 60_000);
    expect(clientLine("test-acl")).toContain(" user=alice ");
    expect(clientLine("test-acl")).toContain(" db=3 ");
    expect(redis.cli("-n", "3", "EXISTS", "t:acl")).toBe("1");
    expect(redis.cli("EXISTS", "t:acl")).toBe("0");
    expect((await store.take("t:acl"))!.equals(value)).toBe(true);
  });

  it("gives the link up when Redis refuses its handshake, and carries on through ioredis", async () => {
    expect(redis.cli("ACL", "SETUSER", "bob", "on", ">pw", "~*", "+@all", "-client")).toBe("OK");
    const { client, store } = open(`redis://bob:pw@127.0.0.1:${redis.port}`, "test-refused");
    await client.ping();
    const bobs = (): number => redis.cli("CLIENT", "LIST").split("\n").filter((line) => line.includes(" user=bob ")).length;
    for (let i = 0; i < 5; i++) {
      await store.put(`t:bob:${i}`, Buffer.from(`v${i}`), 60_000);
      expect((await store.take(`t:bob:${i}`))!.toString()).toBe(`v${i}`);
    }
    expect(bobs()).toBe(1); // ioredis's connection alone: no link kept, none reopened per call
  });

  it("opens a new link after its connection is killed, and a Redis error is ioredis's error", async () => {
    const { store } = open(redis.url, "test-kill");
    await store.put("t:kill", Buffer.from("one"), 60_000);
    const id = /(?:^| )id=(\d+) /.exec(clientLine("test-kill"))?.[1];
    expect(id).toBeDefined();
    expect(redis.cli("CLIENT", "KILL", "ID", id!)).toBe("1");
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await store.take("t:kill"))!.toString()).toBe("one");
    expect(clientLine("test-kill")).not.toBe(""); // a new link, under the same name
    expect(/(?:^| )id=(\d+) /.exec(clientLine("test-kill"))?.[1]).not.toBe(id);

    redis.cli("RPUSH", "t:list", "x");
    await expect(store.take("t:list")).rejects.toThrow(/WRONGTYPE/);
  });
});
