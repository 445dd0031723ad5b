// In-kernel ARP and NDP replies: an XDP program, assembled here instruction by instruction (no clang, no libbpf), that
// turns an ARP request for an owned IPv4 address, or a neighbor solicitation for an owned IPv6 address, into the
// reply in place and transmits it (XDP_TX). Everything it does not answer goes on (XDP_PASS) to the AF_PACKET
// responder, which counts it. Owned addresses live in two hash maps per program (IPv4, IPv6); the interface's MAC is
// part of the program. The attachment is a bpf_link: closing its fd, or the process
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

// The most CPUs a Linux kernel can be built for (NR_CPUS ≤ 8192 on every architecture that has XDP).
static const int kMaxCpus = 8192;

// Number of possible CPUs: per-CPU map values come back as one slot each (/sys/devices/system/cpu/possible, "0-3,5").
// The kernel writes that many slots, whatever sysconf says (possible ≥ configured ≥ online), so when the file cannot be
// read the buffer is sized for the largest kernel rather than guessed: unused slots stay zero and add nothing.
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
  return n > 0 ? std::max(n, 1) : kMaxCpus;
}

enum Counter : uint32_t { kArpAnswered = 0, kArpPassed = 1, kNdpAnswered = 2, kNdpPassed = 3, kCounters = 4 };

// The program. Offsets are into the Ethernet frame. ARP body at 14 (htype 14, ptype 16, hlen/plen 18, op 20, sha 22,
// spa 28, tha 32, tpa 38). IPv6 header at 14 (payload length 18, next header 20, hop limit 21, source 22, destination
// 38); ICMPv6 at 54 (type 54, code 55, checksum 56, NA flags 58, target 62, first option 78). Only 8- and 16-bit
// packet accesses at even offsets, so every access is aligned on strict-alignment machines. The checks mirror
// src/lib/l2/responder.ts: anything it would not answer, this does not answer either; and shapes it would answer but
// this does not handle (other options, padding) are passed on, so user space answers those as before.
// Registers: r6 = ctx, r7 = frame, r9 = the verdict at COUNT (callee-saved: they survive helper calls).
static std::vector<bpf_insn> L2Program(int arpMap, int ndMap, int counterMap, const uint8_t mac[6]) {
  using namespace xdpasm;
  enum : int { PASS_RAW, PASS, COUNT, OUT, NOT_FROM_US, DST_OK, NOT_GRATUITOUS, NDP, NDP_PASS, NOT_FROM_US6, DST_OK6,
               NO_OPTION, VERIFY, LEN_86, GROWN, UNICAST_DST, FROM_OPTION, ETH_DST_DONE, UNICAST_IP, IP_DST_DONE, NA_FLAGS_DONE };
  const int32_t m0 = Half(mac[0], mac[1]), m1 = Half(mac[2], mac[3]), m2 = Half(mac[4], mac[5]);
  Asm a;
  // r9 += the 16-bit words of the frame at [from, to), as loaded (host order: a one's complement sum does not depend
  // on byte order, RFC 1071 §2(B), so the folded result is the checksum as it sits in memory).
  auto sum = [&a](int16_t from, int16_t to) {
    for (int16_t i = from; i < to; i += 2) {
      a.Emit(LdxMem(BPF_H, R4, R7, i));
      a.Emit(Alu64Reg(BPF_ADD, R9, R4));
    }
  };
  // r9 folded to 16 bits with end-around carry: from < 2^22 (at most 40 words), three folds leave 1–0xffff.
  auto fold = [&a]() {
    for (int i = 0; i < 3; i++) {
      a.Emit(Mov64Reg(R4, R9));
      a.Emit(Alu64Imm(BPF_RSH, R4, 16));
      a.Emit(Alu64Imm(BPF_AND, R9, 0xffff));
      a.Emit(Alu64Reg(BPF_ADD, R9, R4));
    }
  };
  // Copy 16-bit words within the frame.
  auto copy = [&a](int16_t to, int16_t from, int16_t n) {
    for (int16_t i = 0; i < n; i += 2) {
      a.Emit(LdxMem(BPF_H, R4, R7, from + i));
      a.Emit(StxMem(BPF_H, R7, R4, to + i));
    }
  };
  // if frame + n > data_end (r3) goto label
  auto shorter = [&a](int32_t n, int label) {
    a.Emit(Mov64Reg(R4, R7));
    a.Emit(Alu64Imm(BPF_ADD, R4, n));
    a.JumpReg(BPF_JGT, R4, R3, label);
  };
  // if the MAC at frame + off is not ours goto differ (three 16-bit compares)
  auto macNotOurs = [&](int16_t off, int differ) {
    const int32_t ours[3] = {m0, m1, m2};
    for (int16_t i = 0; i < 3; i++) {
      a.Emit(LdxMem(BPF_H, R4, R7, off + 2 * i));
      a.Jump(BPF_JNE, R4, ours[i], differ);
    }
  };
  // fromUs (our own frame seen again) and targetMacNotUs (unicast to another MAC; multicast is for everyone) → pass.
  auto notForUs = [&](int pass, int notFromUs, int dstOk) {
    macNotOurs(6, notFromUs);                       // source MAC ours: our own frame
    a.Goto(pass);
    a.Bind(notFromUs);
    a.Emit(LdxMem(BPF_B, R4, R7, 0));
    a.Jump(BPF_JSET, R4, 1, dstOk);                 // group address: for everyone
    macNotOurs(0, pass);
    a.Bind(dstOk);
  };

  a.Emit(Mov64Reg(R6, R1));                         // r6 = ctx
  a.Emit(LdxMem(BPF_W, R7, R1, 0));                 // r7 = xdp->data
  a.Emit(LdxMem(BPF_W, R3, R1, 4));                 // r3 = xdp->data_end
  shorter(14, PASS_RAW);
  a.Emit(LdxMem(BPF_H, R4, R7, 12));
  a.Jump(BPF_JEQ, R4, Half(0x86, 0xdd), NDP);
  a.Jump(BPF_JNE, R4, Half(0x08, 0x06), PASS_RAW);  // neither ARP nor IPv6 (802.1Q tags included): not counted

  // ARP requests (RFC 826).
  shorter(42, PASS_RAW);                            // shorter than ARP for Ethernet/IPv4: not counted
  notForUs(PASS, NOT_FROM_US, DST_OK);
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
  a.LdMapFd(R1, arpMap);
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
  copy(38, 28, 4);
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
  a.Emit(Mov64Imm(R9, XDP_TX));
  a.Emit(Mov64Imm(R1, kArpAnswered));
  a.Goto(COUNT);

  // Neighbor solicitations (RFC 4861 §4.3, §7.1.1, §7.2.4), answered with the NA src/lib/l2/ndp.ts naReplyFrame builds.
  a.Bind(NDP);
  shorter(55, PASS_RAW);
  a.Emit(LdxMem(BPF_B, R4, R7, 20));
  a.Jump(BPF_JNE, R4, 58, PASS_RAW);                // ICMPv6 right after the IPv6 header (no extension headers)
  a.Emit(LdxMem(BPF_B, R4, R7, 54));
  a.Jump(BPF_JNE, R4, 135, PASS_RAW);
  // Counted from here on: what user space's kernel filter (bpf.ts neighborSolicitations) lets through.
  shorter(78, NDP_PASS);                            // shorter than IPv6 + an NS without options
  notForUs(NDP_PASS, NOT_FROM_US6, DST_OK6);
  a.Emit(LdxMem(BPF_B, R4, R7, 14));                // version 6
  a.Emit(Alu64Imm(BPF_AND, R4, 0xf0));
  a.Jump(BPF_JNE, R4, 0x60, NDP_PASS);
  a.Emit(LdxMem(BPF_B, R4, R7, 21));                // badHopLimit: not 255, so it crossed a router (§7.1.1)
  a.Jump(BPF_JNE, R4, 255, NDP_PASS);
  a.Emit(LdxMem(BPF_B, R4, R7, 55));                // code 0
  a.Jump(BPF_JNE, R4, 0, NDP_PASS);
  a.Emit(LdxMem(BPF_B, R4, R7, 62));                // a multicast target is invalid
  a.Jump(BPF_JEQ, R4, 0xff, NDP_PASS);
  a.Emit(Mov64Imm(R8, 0));                          // r8 = OR of the source's words: 0 for :: (DAD)
  for (int16_t i = 22; i < 38; i += 2) {
    a.Emit(LdxMem(BPF_H, R4, R7, i));
    a.Emit(Alu64Reg(BPF_OR, R8, R4));
  }
  // badChecksum (RFC 4443 §2.3): the sum over the pseudo-header (source, destination, payload length, next header 58)
  // and the ICMPv6 message, its checksum field included, folds to 0xffff when the checksum is right.
  a.Emit(Mov64Imm(R9, Half(0x00, 58)));
  a.Emit(LdxMem(BPF_H, R4, R7, 18));
  a.Emit(Alu64Reg(BPF_ADD, R9, R4));
  sum(22, 78);
  a.Emit(LdxMem(BPF_H, R4, R7, 18));                // payload length: 24 (no option) or 32 (one option), else pass
  a.Jump(BPF_JEQ, R4, Half(0x00, 24), NO_OPTION);
  a.Jump(BPF_JNE, R4, Half(0x00, 32), NDP_PASS);
  shorter(86, NDP_PASS);
  a.Jump(BPF_JEQ, R8, 0, NDP_PASS);                 // DAD carrying an option (invalid if a source LLA, §7.1.1)
  a.Emit(LdxMem(BPF_H, R4, R7, 78));
  a.Jump(BPF_JNE, R4, Half(1, 1), NDP_PASS);        // the one option is a source link-layer address (§4.6.1)
  sum(78, 86);
  a.Goto(VERIFY);
  a.Bind(NO_OPTION);
  a.Jump(BPF_JNE, R8, 0, VERIFY);                   // unicast NS without an option: the NA goes to the Ethernet source
  // DAD must go to a solicited-node group; user space checks ff02::1:ffXX:XXXX at bytes 0, 1, 11 and 12.
  a.Emit(LdxMem(BPF_H, R4, R7, 38));
  a.Jump(BPF_JNE, R4, Half(0xff, 0x02), NDP_PASS);
  a.Emit(LdxMem(BPF_B, R4, R7, 49));
  a.Jump(BPF_JNE, R4, 0x01, NDP_PASS);
  a.Emit(LdxMem(BPF_B, R4, R7, 50));
  a.Jump(BPF_JNE, R4, 0xff, NDP_PASS);
  a.Bind(VERIFY);
  fold();
  a.Jump(BPF_JNE, R9, 0xffff, NDP_PASS);
  a.Emit(LdxMem(BPF_H, R4, R7, 56));                // 0xffff sums right too, but user space expects 0 there then
  a.Jump(BPF_JEQ, R4, 0xffff, NDP_PASS);
  // notOwned: look the target up, the key straight from the packet.
  a.LdMapFd(R1, ndMap);
  a.Emit(Mov64Reg(R2, R7));
  a.Emit(Alu64Imm(BPF_ADD, R2, 62));
  a.Emit(Call(BPF_FUNC_map_lookup_elem));
  a.Jump(BPF_JEQ, R0, 0, NDP_PASS);
  // The NA is 86 bytes. An NS of 86 is rewritten as it is; one of 78 (no option) grows by 8 first, so that a failure
  // leaves it untouched for user space. Other lengths (padding after the payload) are left to user space.
  a.Emit(LdxMem(BPF_W, R3, R6, 4));
  a.Emit(Mov64Reg(R4, R7));
  a.Emit(Alu64Imm(BPF_ADD, R4, 78));
  a.JumpReg(BPF_JLT, R4, R3, LEN_86);
  a.Emit(Mov64Reg(R1, R6));
  a.Emit(Mov64Imm(R2, 8));
  a.Emit(Call(BPF_FUNC_xdp_adjust_tail));
  a.Jump(BPF_JNE, R0, 0, NDP_PASS);
  a.Emit(LdxMem(BPF_W, R7, R6, 0));                 // packet pointers are stale after adjust_tail
  a.Emit(LdxMem(BPF_W, R3, R6, 4));
  a.Goto(GROWN);
  a.Bind(LEN_86);
  a.Emit(Mov64Reg(R4, R7));
  a.Emit(Alu64Imm(BPF_ADD, R4, 86));
  a.JumpReg(BPF_JLT, R4, R3, NDP_PASS);             // longer than 86
  a.Bind(GROWN);
  shorter(86, NDP_PASS);                            // 79–85 bytes
  // Ethernet destination (§7.2.4): all nodes for DAD, else the source LLA, else the Ethernet source.
  a.Jump(BPF_JNE, R8, 0, UNICAST_DST);
  a.Emit(StMem(BPF_H, R7, 0, Half(0x33, 0x33)));
  a.Emit(StMem(BPF_H, R7, 2, 0));
  a.Emit(StMem(BPF_H, R7, 4, Half(0x00, 0x01)));
  a.Goto(ETH_DST_DONE);
  a.Bind(UNICAST_DST);
  a.Emit(LdxMem(BPF_H, R4, R7, 18));
  a.Jump(BPF_JEQ, R4, Half(0x00, 32), FROM_OPTION);
  copy(0, 6, 6);
  a.Goto(ETH_DST_DONE);
  a.Bind(FROM_OPTION);
  copy(0, 80, 6);
  a.Bind(ETH_DST_DONE);
  a.Emit(StMem(BPF_H, R7, 6, m0));                  // Ethernet source: us
  a.Emit(StMem(BPF_H, R7, 8, m1));
  a.Emit(StMem(BPF_H, R7, 10, m2));
  // IPv6: version 6, traffic class and flow label 0, payload 32, ICMPv6, hop limit 255; to ff02::1 for DAD, else to
  // the solicitor; from the target itself.
  a.Emit(StMem(BPF_H, R7, 14, Half(0x60, 0x00)));
  a.Emit(StMem(BPF_H, R7, 16, 0));
  a.Emit(StMem(BPF_H, R7, 18, Half(0x00, 32)));
  a.Emit(StMem(BPF_H, R7, 20, Half(58, 255)));
  a.Jump(BPF_JNE, R8, 0, UNICAST_IP);
  a.Emit(StMem(BPF_H, R7, 38, Half(0xff, 0x02)));
  for (int16_t i = 40; i < 52; i += 2) a.Emit(StMem(BPF_H, R7, i, 0));
  a.Emit(StMem(BPF_H, R7, 52, Half(0x00, 0x01)));
  a.Goto(IP_DST_DONE);
  a.Bind(UNICAST_IP);
  copy(38, 22, 16);
  a.Bind(IP_DST_DONE);
  copy(22, 62, 16);
  // NA: type 136, code 0, Override, and Solicited unless DAD; target unchanged; a target LLA option with our MAC.
  a.Emit(StMem(BPF_H, R7, 54, Half(136, 0)));
  a.Emit(StMem(BPF_H, R7, 56, 0));
  a.Emit(StMem(BPF_H, R7, 58, Half(0x60, 0x00)));
  a.Emit(StMem(BPF_H, R7, 60, 0));
  a.Jump(BPF_JNE, R8, 0, NA_FLAGS_DONE);
  a.Emit(StMem(BPF_H, R7, 58, Half(0x20, 0x00)));
  a.Bind(NA_FLAGS_DONE);
  a.Emit(StMem(BPF_H, R7, 78, Half(2, 1)));
  a.Emit(StMem(BPF_H, R7, 80, m0));
  a.Emit(StMem(BPF_H, R7, 82, m1));
  a.Emit(StMem(BPF_H, R7, 84, m2));
  a.Emit(Mov64Imm(R9, Half(0x00, 58) + Half(0x00, 32)));
  sum(22, 86);
  fold();
  a.Emit(Alu64Imm(BPF_XOR, R9, 0xffff));
  a.Emit(StxMem(BPF_H, R7, R9, 56));
  a.Emit(Mov64Imm(R9, XDP_TX));
  a.Emit(Mov64Imm(R1, kNdpAnswered));
  a.Goto(COUNT);

  a.Bind(NDP_PASS);
  a.Emit(Mov64Imm(R9, XDP_PASS));
  a.Emit(Mov64Imm(R1, kNdpPassed));
  a.Goto(COUNT);
  a.Bind(PASS);
  a.Emit(Mov64Imm(R9, XDP_PASS));
  a.Emit(Mov64Imm(R1, kArpPassed));
  a.Bind(COUNT);                                    // counters[r1] += 1 (per CPU), then return r9
  a.Emit(StxMem(BPF_W, R10, R1, -8));
  a.LdMapFd(R1, counterMap);
  a.Emit(Mov64Reg(R2, R10));
  a.Emit(Alu64Imm(BPF_ADD, R2, -8));
  a.Emit(Call(BPF_FUNC_map_lookup_elem));
  a.Jump(BPF_JEQ, R0, 0, OUT);
  a.Emit(Mov64Imm(R1, 1));
  a.Emit(AtomicAdd(BPF_DW, R0, R1, 0));
  a.Bind(OUT);
  a.Emit(Mov64Reg(R0, R9));
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

  // new XdpArp(mac: Buffer(6), maxAddresses = 16384): creates the maps (each family up to maxAddresses) and loads the
  // program; attach() separately.
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
      addrs6_ = CreateMap(env, BPF_MAP_TYPE_HASH, 16, 1, max, BPF_F_NO_PREALLOC, "lbctl_nd_addrs");
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
      prog = L2Program(addrs_, addrs6_, counters_, mac_);
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
      snprintf(attr.prog_name, sizeof attr.prog_name, "%s", "lbctl_l2");
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
    for (int* fd : {&link_, &prog_, &counters_, &addrs6_, &addrs_}) {
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

  // set(address: Buffer(4) IPv4 | Buffer(16) IPv6, present: boolean): answer for it in the kernel, or stop at once.
  Napi::Value Set(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Live(env);
    size_t len = info[0].IsBuffer() ? info[0].As<Napi::Buffer<uint8_t>>().Length() : 0;
    if (len != 4 && len != 16) throw Napi::TypeError::New(env, "address must be a 4-byte (IPv4) or 16-byte (IPv6) Buffer (network order)");
    const uint8_t* key = info[0].As<Napi::Buffer<uint8_t>>().Data();
    if (!info[1].IsBoolean()) throw Napi::TypeError::New(env, "set(address, present: boolean)");
    bpf_attr attr{};
    attr.map_fd = static_cast<uint32_t>(len == 4 ? addrs_ : addrs6_);
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

  // addresses() → the maps' keys: 4-byte Buffers (IPv4) first, then 16-byte ones (IPv6): what the kernel answers for
  // right now.
  Napi::Value Addresses(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Live(env);
    Napi::Array out = Napi::Array::New(env);
    for (auto [fd, size] : {std::pair<int, size_t>{addrs_, 4}, {addrs6_, 16}}) {
      uint8_t key[16], next[16];
      bool first = true;
      for (uint32_t n = 0; n < (1u << 21); n++) {
        bpf_attr attr{};
        attr.map_fd = static_cast<uint32_t>(fd);
        attr.key = first ? 0 : Ptr(key);
        attr.next_key = Ptr(next);
        if (Bpf(BPF_MAP_GET_NEXT_KEY, &attr) < 0) {
          if (errno == ENOENT) break;
          throw ErrnoError(env, errno, "bpf(BPF_MAP_GET_NEXT_KEY)");
        }
        out.Set(out.Length(), Napi::Buffer<uint8_t>::Copy(env, next, size));
        memcpy(key, next, size);
        first = false;
      }
    }
    return out;
  }

  // stats() → {answered, passed, ndpAnswered, ndpPassed}: ARP requests answered in the kernel and ARP frames passed on
  // to user space; neighbor solicitations answered and passed on (totals).
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
      static const char* const names[kCounters] = {"answered", "passed", "ndpAnswered", "ndpPassed"};
      o.Set(names[k], Napi::Number::New(env, static_cast<double>(sum)));
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
  int addrs_ = -1, addrs6_ = -1, counters_ = -1, prog_ = -1, link_ = -1;
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
