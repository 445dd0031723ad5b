// In-kernel ARP replies: an XDP program, assembled here instruction by instruction (no clang, no libbpf), that turns
// an ARP request for an owned IPv4 address into the reply in place and transmits it (XDP_TX). Everything it does not
// answer goes on (XDP_PASS) to the AF_PACKET responder, which counts it. Owned addresses live in a hash map per
// program; the interface's MAC is part of the program. The attachment is a bpf_link: closing its fd, or the process
// dying, detaches it at once.
#include <linux/bpf.h>
#include <linux/if_link.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <string>
#include <vector>

#include "util.h"
#include "xdp_asm.h"

namespace lbctl {

static const char* kBpfHint = "loading XDP needs CAP_BPF and CAP_NET_ADMIN (CAP_SYS_ADMIN on kernels before 5.8; "
                              "before 5.11 also a large enough RLIMIT_MEMLOCK)";

static long Bpf(int cmd, bpf_attr* attr) { return syscall(__NR_bpf, cmd, attr, sizeof *attr); }

static uint64_t Ptr(const void* p) { return static_cast<uint64_t>(reinterpret_cast<uintptr_t>(p)); }

// Number of possible CPUs: per-CPU map values come back as one slot each (/sys/devices/system/cpu/possible, "0-3,5").
static int PossibleCpus() {
  std::ifstream f("/sys/devices/system/cpu/possible");
  std::string s;
  int n = 0;
  if (f && std::getline(f, s)) {
    size_t i = 0;
    while (i < s.size()) {
      size_t end = s.find(',', i);
      std::string part = s.substr(i, end == std::string::npos ? std::string::npos : end - i);
      size_t dash = part.find('-');
      int a = atoi(part.c_str());
      int b = dash == std::string::npos ? a : atoi(part.c_str() + dash + 1);
      if (b >= a) n = std::max(n, b + 1);
      if (end == std::string::npos) break;
      i = end + 1;
    }
  }
  if (n <= 0) n = static_cast<int>(sysconf(_SC_NPROCESSORS_CONF));
  return n > 0 ? n : 1;
}

enum Counter : uint32_t { kAnswered = 0, kPassed = 1, kCounters = 2 };

// The program. Offsets are into the Ethernet frame; ARP body at 14 (htype 14, ptype 16, hlen/plen 18, op 20, sha 22,
// spa 28, tha 32, tpa 38). Only 16-bit packet accesses, so every access is aligned on strict-alignment machines.
// The checks mirror src/lib/l2/responder.ts: anything it would not answer, this does not answer either.
static std::vector<bpf_insn> ArpProgram(int addrMap, int counterMap, const uint8_t mac[6]) {
  using namespace xdpasm;
  enum : int { PASS_RAW, PASS, COUNT, OUT, NOT_FROM_US, DST_OK, NOT_GRATUITOUS };
  const int32_t m0 = Half(mac[0], mac[1]), m1 = Half(mac[2], mac[3]), m2 = Half(mac[4], mac[5]);
  Asm a;
  a.Emit(LdxMem(BPF_W, R2, R1, 0));                 // r2 = xdp->data
  a.Emit(LdxMem(BPF_W, R3, R1, 4));                 // r3 = xdp->data_end
  a.Emit(Mov64Reg(R7, R2));                         // r7 = frame (callee-saved: survives helper calls)
  a.Emit(Mov64Reg(R4, R2));
  a.Emit(Alu64Imm(BPF_ADD, R4, 42));
  a.JumpReg(BPF_JGT, R4, R3, PASS_RAW);             // shorter than Ethernet + ARP for Ethernet/IPv4: not ours
  a.Emit(LdxMem(BPF_H, R4, R7, 12));
  a.Jump(BPF_JNE, R4, Half(0x08, 0x06), PASS_RAW);  // EtherType ARP, else not counted
  // fromUs: our own frame seen again.
  a.Emit(LdxMem(BPF_H, R4, R7, 6));
  a.Jump(BPF_JNE, R4, m0, NOT_FROM_US);
  a.Emit(LdxMem(BPF_H, R4, R7, 8));
  a.Jump(BPF_JNE, R4, m1, NOT_FROM_US);
  a.Emit(LdxMem(BPF_H, R4, R7, 10));
  a.Jump(BPF_JEQ, R4, m2, PASS);
  a.Bind(NOT_FROM_US);
  // targetMacNotUs: unicast to another MAC. Multicast (broadcast included) is for everyone.
  a.Emit(LdxMem(BPF_B, R4, R7, 0));
  a.Jump(BPF_JSET, R4, 1, DST_OK);
  a.Emit(LdxMem(BPF_H, R4, R7, 0));
  a.Jump(BPF_JNE, R4, m0, PASS);
  a.Emit(LdxMem(BPF_H, R4, R7, 2));
  a.Jump(BPF_JNE, R4, m1, PASS);
  a.Emit(LdxMem(BPF_H, R4, R7, 4));
  a.Jump(BPF_JNE, R4, m2, PASS);
  a.Bind(DST_OK);
  // unsupported / notRequest: Ethernet/IPv4 (1, 0x0800, 6, 4) and op 1 only.
  a.Emit(LdxMem(BPF_H, R4, R7, 14));
  a.Jump(BPF_JNE, R4, Half(0x00, 0x01), PASS);
  a.Emit(LdxMem(BPF_H, R4, R7, 16));
  a.Jump(BPF_JNE, R4, Half(0x08, 0x00), PASS);
  a.Emit(LdxMem(BPF_H, R4, R7, 18));
  a.Jump(BPF_JNE, R4, Half(0x06, 0x04), PASS);
  a.Emit(LdxMem(BPF_H, R4, R7, 20));
  a.Jump(BPF_JNE, R4, Half(0x00, 0x01), PASS);
  // malformed: a multicast sender MAC.
  a.Emit(LdxMem(BPF_B, R4, R7, 22));
  a.Jump(BPF_JSET, R4, 1, PASS);
  // gratuitous: sender address = target address (an announcement, RFC 5227 §3), never answered.
  a.Emit(LdxMem(BPF_H, R8, R7, 38));                // r8, r9 = tpa, the address asked for
  a.Emit(LdxMem(BPF_H, R9, R7, 40));
  a.Emit(LdxMem(BPF_H, R4, R7, 28));
  a.JumpReg(BPF_JNE, R4, R8, NOT_GRATUITOUS);
  a.Emit(LdxMem(BPF_H, R4, R7, 30));
  a.JumpReg(BPF_JEQ, R4, R9, PASS);
  a.Bind(NOT_GRATUITOUS);
  // notOwned: look tpa up.
  a.Emit(StxMem(BPF_H, R10, R8, -4));
  a.Emit(StxMem(BPF_H, R10, R9, -2));
  a.LdMapFd(R1, addrMap);
  a.Emit(Mov64Reg(R2, R10));
  a.Emit(Alu64Imm(BPF_ADD, R2, -4));
  a.Emit(Call(BPF_FUNC_map_lookup_elem));
  a.Jump(BPF_JEQ, R0, 0, PASS);
  // The reply, in place (RFC 826): tha = sha, tpa = spa, spa = the address, sha = us, op = reply. Sent to the sender
  // MAC (sha), as the user-space responder and the Linux kernel do, whatever the Ethernet source was.
  for (int16_t i = 0; i < 6; i += 2) {
    a.Emit(LdxMem(BPF_H, R4, R7, 22 + i));
    a.Emit(StxMem(BPF_H, R7, R4, 32 + i));
    a.Emit(StxMem(BPF_H, R7, R4, i));
  }
  for (int16_t i = 0; i < 4; i += 2) {
    a.Emit(LdxMem(BPF_H, R4, R7, 28 + i));
    a.Emit(StxMem(BPF_H, R7, R4, 38 + i));
  }
  a.Emit(StxMem(BPF_H, R7, R8, 28));
  a.Emit(StxMem(BPF_H, R7, R9, 30));
  a.Emit(StMem(BPF_H, R7, 22, m0));
  a.Emit(StMem(BPF_H, R7, 24, m1));
  a.Emit(StMem(BPF_H, R7, 26, m2));
  a.Emit(StMem(BPF_H, R7, 20, Half(0x00, 0x02)));
  // Ethernet source: us.
  a.Emit(StMem(BPF_H, R7, 6, m0));
  a.Emit(StMem(BPF_H, R7, 8, m1));
  a.Emit(StMem(BPF_H, R7, 10, m2));
  a.Emit(Mov64Imm(R6, XDP_TX));
  a.Emit(Mov64Imm(R1, kAnswered));
  a.Goto(COUNT);
  a.Bind(PASS);
  a.Emit(Mov64Imm(R6, XDP_PASS));
  a.Emit(Mov64Imm(R1, kPassed));
  a.Bind(COUNT);                                    // counters[r1] += 1 (per CPU), then return r6
  a.Emit(StxMem(BPF_W, R10, R1, -8));
  a.LdMapFd(R1, counterMap);
  a.Emit(Mov64Reg(R2, R10));
  a.Emit(Alu64Imm(BPF_ADD, R2, -8));
  a.Emit(Call(BPF_FUNC_map_lookup_elem));
  a.Jump(BPF_JEQ, R0, 0, OUT);
  a.Emit(Mov64Imm(R1, 1));
  a.Emit(AtomicAdd(BPF_DW, R0, R1, 0));
  a.Bind(OUT);
  a.Emit(Mov64Reg(R0, R6));
  a.Emit(Exit());
  a.Bind(PASS_RAW);
  a.Emit(Mov64Imm(R0, XDP_PASS));
  a.Emit(Exit());
  return a.Finish();
}

class XdpArp : public Napi::ObjectWrap<XdpArp> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "XdpArp", {
      InstanceMethod("attach", &XdpArp::Attach), InstanceMethod("detach", &XdpArp::Detach),
      InstanceMethod("set", &XdpArp::Set), InstanceMethod("addresses", &XdpArp::Addresses),
      InstanceMethod("stats", &XdpArp::Stats), InstanceMethod("testRun", &XdpArp::TestRun),
      InstanceMethod("close", &XdpArp::Close), InstanceAccessor("mode", &XdpArp::Mode, nullptr),
      InstanceAccessor("progId", &XdpArp::ProgId, nullptr),
    });
  }

  // new XdpArp(mac: Buffer(6), maxAddresses = 16384): creates the maps and loads the program; attach() separately.
  XdpArp(const Napi::CallbackInfo& info) : Napi::ObjectWrap<XdpArp>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsBuffer() || info[0].As<Napi::Buffer<uint8_t>>().Length() != 6) throw Napi::TypeError::New(env, "new XdpArp(mac: 6-byte Buffer, maxAddresses?)");
    uint32_t max = 16384;
    if (!info[1].IsUndefined()) {
      if (!info[1].IsNumber() || info[1].As<Napi::Number>().DoubleValue() < 1 || info[1].As<Napi::Number>().DoubleValue() > 1 << 20) {
        throw Napi::RangeError::New(env, "maxAddresses must be 1–1048576");
      }
      max = info[1].As<Napi::Number>().Uint32Value();
    }
    memcpy(mac_, info[0].As<Napi::Buffer<uint8_t>>().Data(), 6);
    cpus_ = PossibleCpus();
    try {
      addrs_ = CreateMap(env, BPF_MAP_TYPE_HASH, 4, 1, max, BPF_F_NO_PREALLOC, "lbctl_arp_addrs");
      counters_ = CreateMap(env, BPF_MAP_TYPE_PERCPU_ARRAY, 4, 8, kCounters, 0, "lbctl_arp_stats");
      Load(env);
    } catch (...) {
      CloseAll();
      throw;
    }
  }

  ~XdpArp() override { CloseAll(); }

 private:
  int CreateMap(Napi::Env env, uint32_t type, uint32_t key, uint32_t value, uint32_t max, uint32_t flags, const char* name) {
    bpf_attr attr{};
    attr.map_type = type;
    attr.key_size = key;
    attr.value_size = value;
    attr.max_entries = max;
    attr.map_flags = flags;
    snprintf(attr.map_name, sizeof attr.map_name, "%s", name);
    int fd = static_cast<int>(Bpf(BPF_MAP_CREATE, &attr));
    if (fd < 0 && errno == EINVAL) {  // map names need 4.15
      memset(attr.map_name, 0, sizeof attr.map_name);
      fd = static_cast<int>(Bpf(BPF_MAP_CREATE, &attr));
    }
    if (fd < 0) throw ErrnoError(env, errno, "bpf(BPF_MAP_CREATE)", errno == EPERM ? kBpfHint : "");
    return fd;
  }

  // Loaded without a verifier log first (fast path); on failure loaded again with one, and the log is in the error.
  void Load(Napi::Env env) {
    std::vector<bpf_insn> prog;
    try {
      prog = ArpProgram(addrs_, counters_, mac_);
    } catch (const std::logic_error& e) {
      throw Napi::Error::New(env, std::string("XDP program assembly: ") + e.what());
    }
    static const char license[] = "Apache-2.0";  // only non-GPL helpers are used
    std::vector<char> log;
    for (int attempt = 0; attempt < 2; attempt++) {
      bpf_attr attr{};
      attr.prog_type = BPF_PROG_TYPE_XDP;
      attr.insns = Ptr(prog.data());
      attr.insn_cnt = static_cast<uint32_t>(prog.size());
      attr.license = Ptr(license);
      attr.expected_attach_type = BPF_XDP;
      snprintf(attr.prog_name, sizeof attr.prog_name, "%s", "lbctl_arp");
      if (attempt == 1) {
        log.assign(1 << 16, 0);
        attr.log_level = 1;
        attr.log_buf = Ptr(log.data());
        attr.log_size = static_cast<uint32_t>(log.size());
      }
      prog_ = static_cast<int>(Bpf(BPF_PROG_LOAD, &attr));
      if (prog_ >= 0) break;
      int err = errno;
      if (err == EPERM || attempt == 1) {
        std::string hint = err == EPERM ? kBpfHint : "the verifier rejected the program";
        if (!log.empty() && log[0]) {
          std::string text(log.data());
          if (text.size() > 4000) text = "…" + text.substr(text.size() - 4000);
          hint += "; verifier log:\n" + text;
        }
        Napi::Error e = ErrnoError(env, err, "bpf(BPF_PROG_LOAD)", hint);
        if (!log.empty()) e.Set("verifierLog", Napi::String::New(env, log.data()));
        throw e;
      }
    }
    bpf_prog_info pi{};
    bpf_attr attr{};
    attr.info.bpf_fd = prog_;
    attr.info.info_len = sizeof pi;
    attr.info.info = Ptr(&pi);
    if (Bpf(BPF_OBJ_GET_INFO_BY_FD, &attr) == 0) progId_ = pi.id;
  }

  void CloseAll() {
    for (int* fd : {&link_, &prog_, &counters_, &addrs_}) {
      if (*fd >= 0) ::close(*fd);
      *fd = -1;
    }
    mode_.clear();
  }

  void Live(Napi::Env env) {
    if (prog_ < 0) throw Napi::Error::New(env, "XDP program is closed");
  }

  // attach(ifindex, mode: 'auto' | 'native' | 'generic') → the mode in use. 'auto' tries the driver first.
  Napi::Value Attach(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Live(env);
    if (!info[0].IsNumber() || info[0].As<Napi::Number>().Int32Value() <= 0) throw Napi::TypeError::New(env, "attach(ifindex > 0, mode)");
    std::string want = info[1].IsString() ? info[1].As<Napi::String>().Utf8Value() : "auto";
    if (want != "auto" && want != "native" && want != "generic") throw Napi::TypeError::New(env, "mode must be 'auto', 'native' or 'generic'");
    if (link_ >= 0) throw Napi::Error::New(env, "XDP program is already attached; detach() first");
    int ifindex = info[0].As<Napi::Number>().Int32Value();
    char ifname[IF_NAMESIZE];
    // The kernel says EINVAL for a missing device; say what it is.
    if (!if_indextoname(static_cast<unsigned>(ifindex), ifname)) throw ErrnoError(env, ENODEV, "bpf(BPF_LINK_CREATE)", "no interface with index " + std::to_string(ifindex));
    std::string errors;
    int lastErr = 0;
    for (const char* mode : {"native", "generic"}) {
      if (want != "auto" && want != mode) continue;
      bpf_attr attr{};
      attr.link_create.prog_fd = static_cast<uint32_t>(prog_);
      attr.link_create.target_ifindex = static_cast<uint32_t>(ifindex);
      attr.link_create.attach_type = BPF_XDP;
      attr.link_create.flags = strcmp(mode, "native") == 0 ? XDP_FLAGS_DRV_MODE : XDP_FLAGS_SKB_MODE;
      int fd = static_cast<int>(Bpf(BPF_LINK_CREATE, &attr));
      if (fd >= 0) {
        link_ = fd;
        mode_ = mode;
        return Napi::String::New(env, mode);
      }
      lastErr = errno;
      errors += std::string(errors.empty() ? "" : "; ") + mode + ": " + strerror(errno);
    }
    std::string hint = errors;
    if (lastErr == EPERM) hint += " — " + std::string(kBpfHint);
    else if (lastErr == EBUSY || lastErr == EEXIST) hint += " — another XDP program is attached to this interface";
    else if (lastErr == EINVAL) hint += " — the kernel refused the link (BPF links for XDP need Linux 5.9 or later)";
    else if (lastErr == ENODEV) hint += " — no interface with that index";
    throw ErrnoError(env, lastErr, "bpf(BPF_LINK_CREATE)", hint);
  }

  Napi::Value Detach(const Napi::CallbackInfo& info) {
    if (link_ >= 0) ::close(link_);
    link_ = -1;
    mode_.clear();
    return info.Env().Undefined();
  }

  static const uint8_t* AddressArg(const Napi::Value& v) {
    if (!v.IsBuffer() || v.As<Napi::Buffer<uint8_t>>().Length() != 4) throw Napi::TypeError::New(v.Env(), "IPv4 address must be a 4-byte Buffer (network order)");
    return v.As<Napi::Buffer<uint8_t>>().Data();
  }

  // set(address: Buffer(4), present: boolean): answer for it in the kernel, or stop at once.
  Napi::Value Set(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Live(env);
    const uint8_t* key = AddressArg(info[0]);
    if (!info[1].IsBoolean()) throw Napi::TypeError::New(env, "set(address, present: boolean)");
    bpf_attr attr{};
    attr.map_fd = static_cast<uint32_t>(addrs_);
    attr.key = Ptr(key);
    uint8_t one = 1;
    if (info[1].As<Napi::Boolean>()) {
      attr.value = Ptr(&one);
      attr.flags = BPF_ANY;
      if (Bpf(BPF_MAP_UPDATE_ELEM, &attr) < 0) throw ErrnoError(env, errno, "bpf(BPF_MAP_UPDATE_ELEM)", errno == E2BIG ? "the address map is full" : "");
    } else if (Bpf(BPF_MAP_DELETE_ELEM, &attr) < 0 && errno != ENOENT) {
      throw ErrnoError(env, errno, "bpf(BPF_MAP_DELETE_ELEM)");
    }
    return env.Undefined();
  }

  // addresses() → the map's keys, each a 4-byte Buffer (what the kernel answers for right now).
  Napi::Value Addresses(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Live(env);
    Napi::Array out = Napi::Array::New(env);
    uint8_t key[4], next[4];
    bool first = true;
    for (uint32_t n = 0; n < (1u << 21); n++) {
      bpf_attr attr{};
      attr.map_fd = static_cast<uint32_t>(addrs_);
      attr.key = first ? 0 : Ptr(key);
      attr.next_key = Ptr(next);
      if (Bpf(BPF_MAP_GET_NEXT_KEY, &attr) < 0) {
        if (errno == ENOENT) break;
        throw ErrnoError(env, errno, "bpf(BPF_MAP_GET_NEXT_KEY)");
      }
      out.Set(out.Length(), Napi::Buffer<uint8_t>::Copy(env, next, 4));
      memcpy(key, next, 4);
      first = false;
    }
    return out;
  }

  // stats() → {answered, passed}: requests answered in the kernel, ARP frames passed on to user space (totals).
  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Live(env);
    Napi::Object o = Napi::Object::New(env);
    std::vector<uint64_t> per(cpus_);
    for (uint32_t k = 0; k < kCounters; k++) {
      bpf_attr attr{};
      attr.map_fd = static_cast<uint32_t>(counters_);
      attr.key = Ptr(&k);
      attr.value = Ptr(per.data());
      if (Bpf(BPF_MAP_LOOKUP_ELEM, &attr) < 0) throw ErrnoError(env, errno, "bpf(BPF_MAP_LOOKUP_ELEM)");
      uint64_t sum = 0;
      for (uint64_t v : per) sum += v;
      o.Set(k == kAnswered ? "answered" : "passed", Napi::Number::New(env, static_cast<double>(sum)));
    }
    return o;
  }

  // testRun(frame) → {action, frame}: one run of the program on a frame (BPF_PROG_TEST_RUN), no interface needed.
  Napi::Value TestRun(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Live(env);
    if (!info[0].IsBuffer()) throw Napi::TypeError::New(env, "testRun(frame: Buffer)");
    auto in = info[0].As<Napi::Buffer<uint8_t>>();
    if (in.Length() < 14 || in.Length() > 1514) throw Napi::RangeError::New(env, "testRun frame must be 14–1514 bytes");
    std::vector<uint8_t> out(in.Length() + 256);
    bpf_attr attr{};
    attr.test.prog_fd = static_cast<uint32_t>(prog_);
    attr.test.data_in = Ptr(in.Data());
    attr.test.data_size_in = static_cast<uint32_t>(in.Length());
    attr.test.data_out = Ptr(out.data());
    attr.test.data_size_out = static_cast<uint32_t>(out.size());
    attr.test.repeat = 1;
    if (Bpf(BPF_PROG_TEST_RUN, &attr) < 0) throw ErrnoError(env, errno, "bpf(BPF_PROG_TEST_RUN)");
    Napi::Object o = Napi::Object::New(env);
    o.Set("action", Napi::Number::New(env, attr.test.retval));
    o.Set("frame", Napi::Buffer<uint8_t>::Copy(env, out.data(), std::min<size_t>(attr.test.data_size_out, out.size())));
    return o;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    CloseAll();
    return info.Env().Undefined();
  }

  Napi::Value Mode(const Napi::CallbackInfo& info) {
    return mode_.empty() ? info.Env().Null() : Napi::String::New(info.Env(), mode_);
  }

  Napi::Value ProgId(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), progId_); }

  uint8_t mac_[6] = {};
  int addrs_ = -1, counters_ = -1, prog_ = -1, link_ = -1;
  int cpus_ = 1;
  uint32_t progId_ = 0;
  std::string mode_;
};

void InitXdp(Napi::Env env, Napi::Object exports) {
  exports.Set("XdpArp", XdpArp::Init(env));
  exports.Set("XDP_ACTION", [&] {
    Napi::Object o = Napi::Object::New(env);
    o.Set("ABORTED", static_cast<int>(XDP_ABORTED));
    o.Set("DROP", static_cast<int>(XDP_DROP));
    o.Set("PASS", static_cast<int>(XDP_PASS));
    o.Set("TX", static_cast<int>(XDP_TX));
    return o;
  }());
}

}  // namespace lbctl
