// A tiny eBPF assembler: one constructor per instruction form (struct bpf_insn from <linux/bpf.h>), and jumps to
// named labels resolved when the program is finished. Written for lbctl's XDP program; see docs/instruction-set in
// the kernel tree for the encoding.
#pragma once
#include <linux/bpf.h>
#include <stdint.h>
#include <string.h>

#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace lbctl {
namespace xdpasm {

enum Reg : uint8_t { R0 = 0, R1, R2, R3, R4, R5, R6, R7, R8, R9, R10 };

inline bpf_insn Insn(uint8_t code, uint8_t dst, uint8_t src, int16_t off, int32_t imm) {
  bpf_insn i;
  memset(&i, 0, sizeof i);
  i.code = code;
  i.dst_reg = dst & 0xf;
  i.src_reg = src & 0xf;
  i.off = off;
  i.imm = imm;
  return i;
}

// Two bytes as a 16-bit load from memory sees them (host order, as BPF loads are): for comparing with BPF_H loads.
inline int32_t Half(uint8_t first, uint8_t second) {
  uint8_t b[2] = {first, second};
  uint16_t v;
  memcpy(&v, b, 2);
  return v;
}

inline bpf_insn Alu64Imm(uint8_t op, uint8_t dst, int32_t imm) { return Insn(BPF_ALU64 | op | BPF_K, dst, 0, 0, imm); }
inline bpf_insn Alu64Reg(uint8_t op, uint8_t dst, uint8_t src) { return Insn(BPF_ALU64 | op | BPF_X, dst, src, 0, 0); }
inline bpf_insn Mov64Imm(uint8_t dst, int32_t imm) { return Alu64Imm(BPF_MOV, dst, imm); }
inline bpf_insn Mov64Reg(uint8_t dst, uint8_t src) { return Insn(BPF_ALU64 | BPF_MOV | BPF_X, dst, src, 0, 0); }
// dst = *(size *)(src + off)
inline bpf_insn LdxMem(uint8_t size, uint8_t dst, uint8_t src, int16_t off) { return Insn(BPF_LDX | size | BPF_MEM, dst, src, off, 0); }
// *(size *)(dst + off) = src
inline bpf_insn StxMem(uint8_t size, uint8_t dst, uint8_t src, int16_t off) { return Insn(BPF_STX | size | BPF_MEM, dst, src, off, 0); }
// *(size *)(dst + off) = imm
inline bpf_insn StMem(uint8_t size, uint8_t dst, int16_t off, int32_t imm) { return Insn(BPF_ST | size | BPF_MEM, dst, 0, off, imm); }
// lock *(size *)(dst + off) += src  (BPF_ATOMIC with imm BPF_ADD: the encoding BPF_XADD always had)
inline bpf_insn AtomicAdd(uint8_t size, uint8_t dst, uint8_t src, int16_t off) { return Insn(BPF_STX | size | 0xc0, dst, src, off, BPF_ADD); }
inline bpf_insn Call(int32_t helper) { return Insn(BPF_JMP | BPF_CALL, 0, 0, 0, helper); }
inline bpf_insn Exit() { return Insn(BPF_JMP | BPF_EXIT, 0, 0, 0, 0); }

class Asm {
 public:
  void Emit(const bpf_insn& i) { code_.push_back(i); }

  // if (dst op imm) goto label
  void Jump(uint8_t op, uint8_t dst, int32_t imm, int label) { Fixup(label), Emit(Insn(BPF_JMP | op | BPF_K, dst, 0, 0, imm)); }
  // if (dst op src) goto label
  void JumpReg(uint8_t op, uint8_t dst, uint8_t src, int label) { Fixup(label), Emit(Insn(BPF_JMP | op | BPF_X, dst, src, 0, 0)); }
  void Goto(int label) { Fixup(label), Emit(Insn(BPF_JMP | BPF_JA, 0, 0, 0, 0)); }

  // dst = the map with this fd (a two-slot 64-bit immediate load the kernel rewrites to the map's address)
  void LdMapFd(uint8_t dst, int fd) {
    Emit(Insn(BPF_LD | BPF_DW | BPF_IMM, dst, BPF_PSEUDO_MAP_FD, 0, fd));
    Emit(Insn(0, 0, 0, 0, 0));
  }

  void Bind(int label) {
    if (labels_.count(label)) throw std::logic_error("label " + std::to_string(label) + " bound twice");
    labels_[label] = code_.size();
  }

  std::vector<bpf_insn> Finish() {
    for (const auto& [at, label] : fixups_) {
      auto l = labels_.find(label);
      if (l == labels_.end()) throw std::logic_error("label " + std::to_string(label) + " never bound");
      long off = static_cast<long>(l->second) - static_cast<long>(at) - 1;
      if (off < INT16_MIN || off > INT16_MAX) throw std::logic_error("jump out of range");
      code_[at].off = static_cast<int16_t>(off);
    }
    return code_;
  }

 private:
  void Fixup(int label) { fixups_.emplace_back(code_.size(), label); }
  std::vector<bpf_insn> code_;
  std::map<int, size_t> labels_;
  std::vector<std::pair<size_t, int>> fixups_;
};

}  // namespace xdpasm
}  // namespace lbctl
