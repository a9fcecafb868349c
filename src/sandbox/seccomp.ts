/**
 * A seccomp filter for the render processes (Linux x86-64), handed to bubblewrap (`--seccomp FD`),
 * which installs it after `no_new_privs` and before it runs the command. Classic BPF, assembled here:
 * no native build, nothing to install. It refuses what a renderer never needs and what kernel exploits
 * reach for: debugging other processes, mounting, modules, keys, BPF, perf, userfaultfd, io_uring,
 * new namespaces, network sockets (only AF_UNIX), and any foreign system call ABI. Everything else is
 * allowed (an allow-list would break with every Node, glibc or Skia update). A refused call fails with
 * EPERM (or ENOSYS for clone3, so that glibc falls back to clone, whose flags the filter can read).
 *
 * The numbers are x86-64's (asm/unistd_64.h; a unit test checks them against the system's header
 * where it is installed). On another architecture there is no filter, and the sandbox says so.
 */

/** System calls refused with EPERM, by x86-64 number. */
export const DENIED_X86_64: Readonly<Record<string, number>> = {
  ptrace: 101,
  syslog: 103,
  uselib: 134,
  ustat: 136,
  sysfs: 139,
  pivot_root: 155,
  _sysctl: 156,
  chroot: 161,
  acct: 163,
  mount: 165,
  umount2: 166,
  swapon: 167,
  swapoff: 168,
  reboot: 169,
  sethostname: 170,
  setdomainname: 171,
  iopl: 172,
  ioperm: 173,
  create_module: 174,
  init_module: 175,
  delete_module: 176,
  quotactl: 179,
  lookup_dcookie: 212,
  kexec_load: 246,
  add_key: 248,
  request_key: 249,
  keyctl: 250,
  unshare: 272,
  perf_event_open: 298,
  name_to_handle_at: 303,
  open_by_handle_at: 304,
  setns: 308,
  process_vm_readv: 310,
  process_vm_writev: 311,
  finit_module: 313,
  kexec_file_load: 320,
  bpf: 321,
  userfaultfd: 323,
  io_uring_setup: 425,
  io_uring_enter: 426,
  io_uring_register: 427,
  open_tree: 428,
  move_mount: 429,
  fsopen: 430,
  fsconfig: 431,
  fsmount: 432,
  fspick: 433,
  mount_setattr: 442,
};

/** Calls the filter looks into: socket(domain), clone(flags), clone3 (its flags are in memory: ENOSYS). */
export const CHECKED_X86_64 = { socket: 41, clone: 56, clone3: 435 } as const;

const AUDIT_ARCH_X86_64 = 0xc000003e;
/** x32 system calls carry this bit; their numbers would alias the checks above. */
const X32_SYSCALL_BIT = 0x40000000;
const AF_UNIX = 1;
/** CLONE_NEWNS | CLONE_NEWCGROUP | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID | CLONE_NEWNET. */
const CLONE_NAMESPACES = 0x7e020000;

const EPERM = 1;
const ENOSYS = 38;
const EAFNOSUPPORT = 97;
const RET_ALLOW = 0x7fff0000;
const RET_KILL_PROCESS = 0x80000000;
const retErrno = (errno: number): number => 0x00050000 | errno;

// struct seccomp_data: nr at 0, arch at 4, instruction pointer at 8, args[6] (u64) from 16.
const NR = 0;
const ARCH = 4;
const ARG0 = 16; // its low 32 bits (little-endian)

// Classic BPF opcodes.
const LD_W_ABS = 0x20;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const AND_K = 0x54;
const RET_K = 0x06;

type Label = "eperm" | "enosys" | "kill" | "socket" | "clone" | "eafnosupport";
/** One instruction; a jump names its targets by label (resolved when the program is laid out). */
type Op = { code: number; k: number; jt?: Label; jf?: Label } | { label: Label };

function program(): Op[] {
  const ops: Op[] = [
    { code: LD_W_ABS, k: ARCH },
    { code: JEQ_K, k: AUDIT_ARCH_X86_64, jf: "kill" },
    { code: LD_W_ABS, k: NR },
    { code: JGE_K, k: X32_SYSCALL_BIT, jt: "eperm" },
  ];
  for (const nr of Object.values(DENIED_X86_64)) ops.push({ code: JEQ_K, k: nr, jt: "eperm" });
  ops.push(
    { code: JEQ_K, k: CHECKED_X86_64.clone3, jt: "enosys" },
    { code: JEQ_K, k: CHECKED_X86_64.socket, jt: "socket" },
    { code: JEQ_K, k: CHECKED_X86_64.clone, jt: "clone" },
    { code: RET_K, k: RET_ALLOW },
    // Jumps go forward only: each check ends in its own allow.
    { label: "socket" },
    { code: LD_W_ABS, k: ARG0 },
    { code: JEQ_K, k: AF_UNIX, jf: "eafnosupport" },
    { code: RET_K, k: RET_ALLOW },
    { label: "clone" },
    { code: LD_W_ABS, k: ARG0 },
    { code: AND_K, k: CLONE_NAMESPACES },
    { code: JEQ_K, k: 0, jf: "eperm" },
    { code: RET_K, k: RET_ALLOW },
    { label: "eperm" },
    { code: RET_K, k: retErrno(EPERM) },
    { label: "enosys" },
    { code: RET_K, k: retErrno(ENOSYS) },
    { label: "eafnosupport" },
    { code: RET_K, k: retErrno(EAFNOSUPPORT) },
    { label: "kill" },
    { code: RET_K, k: RET_KILL_PROCESS },
  );
  return ops;
}

/** Lays out `ops` as `struct sock_filter[]` (u16 code, u8 jt, u8 jf, u32 k; little-endian). */
function assemble(ops: Op[]): Buffer {
  const at = new Map<Label, number>();
  const instructions: Exclude<Op, { label: Label }>[] = [];
  for (const op of ops) {
    if ("label" in op) at.set(op.label, instructions.length);
    else instructions.push(op);
  }
  const out = Buffer.alloc(instructions.length * 8);
  instructions.forEach((op, i) => {
    // A jump's offsets count from the next instruction, forward only, at most 255.
    const offset = (label: Label | undefined): number => {
      if (label === undefined) return 0;
      const distance = at.get(label)! - (i + 1);
      if (distance < 0 || distance > 255) throw new Error(`seccomp: jump to ${label} out of range`);
      return distance;
    };
    out.writeUInt16LE(op.code, i * 8);
    out.writeUInt8(offset(op.jt), i * 8 + 2);
    out.writeUInt8(offset(op.jf), i * 8 + 3);
    out.writeUInt32LE(op.k >>> 0, i * 8 + 4);
  });
  return out;
}

let x64Filter: Buffer | undefined;

/**
 * The filter for this machine's architecture, or undefined where there is none (not x86-64 Linux).
 * Assembled once: every render process launch asks for it. Callers only read it (written to bwrap's stdin).
 */
export function seccompFilter(arch: string = process.arch, platform: string = process.platform): Buffer | undefined {
  if (platform !== "linux" || arch !== "x64") return undefined;
  x64Filter ??= assemble(program());
  return x64Filter;
}
