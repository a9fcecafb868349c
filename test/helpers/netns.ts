/**
 * Test hosts made of Linux network namespaces (`ip netns`): each host has one interface (a veth pair
 * whose other end is on a bridge in a switch namespace of its own), an address on a private /24 and
 * its loopback. Nothing is created in the machine's own namespace and no route leads out: traffic
 * only ever goes between the namespaces made here. Names are unique per process; everything is
 * removed by destroy() (call it in afterAll) and, as a last resort, when the process exits.
 */
import { execFileSync, spawn, spawnSync, type ChildProcess, type SpawnOptions } from "node:child_process";

function ip(...args: string[]): void {
  execFileSync("ip", args, { stdio: ["ignore", "ignore", "pipe"] });
}

const live = new Set<Network>();
process.on("exit", () => {
  for (const network of live) network.destroy();
});

let made = 0;

/** Why namespaces cannot be made here (not root, no `ip`, a kernel or container that refuses), or undefined when they can. */
export function netnsUnavailable(): string | undefined {
  if (process.platform !== "linux") return `network namespaces are Linux only (${process.platform})`;
  const name = `pdfr-probe-${process.pid}`;
  const added = spawnSync("ip", ["netns", "add", name], { encoding: "utf8" });
  if (added.error) return `ip: ${added.error.message}`;
  if (added.status !== 0) return `ip netns add: ${added.stderr.trim()}`;
  const bridge = spawnSync("ip", ["-n", name, "link", "add", "br0", "type", "bridge"], { encoding: "utf8" });
  spawnSync("ip", ["netns", "del", name]);
  return bridge.status === 0 ? undefined : `ip link add type bridge: ${bridge.stderr.trim()}`;
}

export class Network {
  /** Each host's namespace name and address. */
  readonly hosts = new Map<string, { ns: string; address: string; peer: string }>();
  private readonly switchNs: string;
  private readonly processes = new Set<ChildProcess>();
  private destroyed = false;

  /** Hosts named `names`, on 10.<n>.<m>.0/24 (addresses that exist only inside these namespaces). */
  constructor(names: readonly string[]) {
    const id = `${process.pid % 100_000}${String.fromCharCode(97 + (made++ % 26))}`;
    this.switchNs = `pdfr-${id}-switch`;
    live.add(this);
    const subnet = `10.${200 + (process.pid % 50)}.${made % 250}`;
    try {
      ip("netns", "add", this.switchNs);
      ip("-n", this.switchNs, "link", "add", "br0", "type", "bridge");
      ip("-n", this.switchNs, "link", "set", "br0", "up");
      names.forEach((name, index) => {
        const ns = `pdfr-${id}-${name}`;
        const peer = `p${id}s${index}`; // at most 15 characters
        ip("netns", "add", ns);
        ip("-n", ns, "link", "set", "lo", "up");
        ip("-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", peer, "netns", this.switchNs);
        ip("-n", this.switchNs, "link", "set", peer, "master", "br0", "up");
        const address = `${subnet}.${index + 1}`;
        ip("-n", ns, "addr", "add", `${address}/24`, "dev", "eth0");
        ip("-n", ns, "link", "set", "eth0", "up");
        this.hosts.set(name, { ns, address, peer });
      });
    } catch (error) {
      this.destroy();
      throw error;
    }
  }

  private host(name: string): { ns: string; address: string; peer: string } {
    const host = this.hosts.get(name);
    if (!host) throw new Error(`no host ${name}`);
    return host;
  }

  address(name: string): string {
    return this.host(name).address;
  }

  /** Starts `command` inside host `name` (`ip netns exec`, which execs it: the pid is the command's); killed by destroy(). */
  spawn(name: string, command: string, args: readonly string[], options: SpawnOptions = {}): ChildProcess {
    const child = spawn("ip", ["netns", "exec", this.host(name).ns, command, ...args], options);
    this.processes.add(child);
    child.once("exit", () => this.processes.delete(child));
    return child;
  }

  /** Runs `command` inside host `name` to its end. */
  run(name: string, command: string, args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
    return spawnSync("ip", ["netns", "exec", this.host(name).ns, command, ...args], { encoding: "utf8" });
  }

  /** Cuts host `name` off (its port on the switch goes down: packets are lost, its sockets are not told), or puts it back. */
  setLink(name: string, up: boolean): void {
    ip("-n", this.switchNs, "link", "set", this.host(name).peer, up ? "up" : "down");
  }

  /** Kills what was started in the hosts and removes every namespace (their interfaces go with them). Never throws. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    live.delete(this);
    for (const child of this.processes) child.kill("SIGKILL");
    for (const { ns } of this.hosts.values()) {
      // Processes started inside by others (a worker's render processes) die with their parents; kill any left.
      const pids = spawnSync("ip", ["netns", "pids", ns], { encoding: "utf8" }).stdout.split("\n").filter(Boolean);
      for (const pid of pids) {
        try {
          process.kill(Number(pid), "SIGKILL");
        } catch {
          // gone
        }
      }
      spawnSync("ip", ["netns", "del", ns]);
    }
    spawnSync("ip", ["netns", "del", this.switchNs]);
  }
}
