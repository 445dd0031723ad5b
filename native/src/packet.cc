// AF_PACKET for the layer-2 responder: a raw socket bound to one interface and EtherType, with a classic BPF filter
// attached before the bind so no unfiltered frame is ever queued, and frames delivered to JS from the event loop.
#include <linux/ethtool.h>
#include <linux/filter.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>
#include <vector>

#include "util.h"

#ifndef PACKET_IGNORE_OUTGOING
#define PACKET_IGNORE_OUTGOING 23
#endif

namespace lbctl {

static const char* kRawHint = "CAP_NET_RAW is needed (run as root or grant the capability: setcap cap_net_raw+ep, "
                              "or add NET_RAW to the container's securityContext.capabilities)";

class PacketSocket : public Napi::ObjectWrap<PacketSocket> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "PacketSocket", {
      InstanceMethod("send", &PacketSocket::Send), InstanceMethod("addMembership", &PacketSocket::AddMembership),
      InstanceMethod("dropMembership", &PacketSocket::DropMembership), InstanceMethod("stats", &PacketSocket::Stats),
      InstanceMethod("close", &PacketSocket::Close), InstanceMethod("ref", &PacketSocket::RefPoll),
      InstanceMethod("unref", &PacketSocket::UnrefPoll),
    });
  }

  // new PacketSocket(ifindex, ethertype, filter: number[][] | null, onFrames(data: Buffer, ends: Uint32Array, types: Uint8Array))
  // filter is classic BPF: [[code, jt, jf, k], ...].
  PacketSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<PacketSocket>(info) {
    Napi::Env env = info.Env();
    if (!info[0].IsNumber() || !info[1].IsNumber() || !info[3].IsFunction()) {
      throw Napi::TypeError::New(env, "new PacketSocket(ifindex, ethertype, filter, onFrames)");
    }
    ifindex_ = info[0].As<Napi::Number>().Int32Value();
    uint16_t proto = static_cast<uint16_t>(info[1].As<Napi::Number>().Uint32Value());
    onFrame_ = Napi::Persistent(info[3].As<Napi::Function>());
    // Protocol 0: receives nothing until bind() names the EtherType, after the filter is in place.
    fd_ = socket(AF_PACKET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) throw ErrnoError(env, errno, "socket(AF_PACKET)", errno == EPERM ? kRawHint : "");
    try {
      if (info[2].IsArray()) AttachFilter(env, info[2].As<Napi::Array>());
      int one = 1;
      // Our own transmissions would otherwise come back to us (kernel ≥ 4.20; older kernels: pkttype check below).
      setsockopt(fd_, SOL_PACKET, PACKET_IGNORE_OUTGOING, &one, sizeof one);
      sockaddr_ll sll{};
      sll.sll_family = AF_PACKET;
      sll.sll_protocol = htons(proto);
      sll.sll_ifindex = ifindex_;
      if (bind(fd_, reinterpret_cast<sockaddr*>(&sll), sizeof sll) < 0) {
        throw ErrnoError(env, errno, "bind(AF_PACKET)", errno == ENODEV ? "no interface with that index" : "");
      }
      poller_ = std::make_unique<Poller>(env, fd_, "lbctl:PacketSocket", [this] { OnReadable(); });
    } catch (...) {
      ::close(fd_);
      fd_ = -1;
      throw;
    }
    poller_->Start();
    Ref();
  }

 private:
  void AttachFilter(Napi::Env env, Napi::Array prog) {
    std::vector<sock_filter> code(prog.Length());
    if (code.empty() || code.size() > BPF_MAXINSNS) throw Napi::RangeError::New(env, "BPF program must have 1–4096 instructions");
    for (uint32_t i = 0; i < prog.Length(); i++) {
      Napi::Value v = prog.Get(i);
      if (!v.IsArray() || v.As<Napi::Array>().Length() != 4) throw Napi::TypeError::New(env, "BPF instruction must be [code, jt, jf, k]");
      Napi::Array ins = v.As<Napi::Array>();
      code[i].code = static_cast<uint16_t>(ins.Get(0u).As<Napi::Number>().Uint32Value());
      code[i].jt = static_cast<uint8_t>(ins.Get(1u).As<Napi::Number>().Uint32Value());
      code[i].jf = static_cast<uint8_t>(ins.Get(2u).As<Napi::Number>().Uint32Value());
      code[i].k = ins.Get(3u).As<Napi::Number>().Uint32Value();
    }
    sock_fprog fprog{static_cast<unsigned short>(code.size()), code.data()};
    if (setsockopt(fd_, SOL_SOCKET, SO_ATTACH_FILTER, &fprog, sizeof fprog) < 0) {
      throw ErrnoError(env, errno, "setsockopt(SO_ATTACH_FILTER)", "the kernel rejected the BPF program");
    }
  }

  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (fd_ < 0) throw Napi::Error::New(env, "packet socket is closed");
    if (!info[0].IsBuffer()) throw Napi::TypeError::New(env, "send(frame: Buffer)");
    auto buf = info[0].As<Napi::Buffer<uint8_t>>();
    // Bound sockets send on the bound interface; the frame carries its own Ethernet header.
    ssize_t n = send(fd_, buf.Data(), buf.Length(), 0);
    if (n < 0) throw ErrnoError(env, errno, "send(AF_PACKET)", errno == EPERM ? kRawHint : "");
    return Napi::Number::New(env, n);
  }

  Napi::Value Membership(const Napi::CallbackInfo& info, int op, const char* name) {
    Napi::Env env = info.Env();
    if (!info[0].IsBuffer() || info[0].As<Napi::Buffer<uint8_t>>().Length() != 6) throw Napi::TypeError::New(env, "MAC must be a 6-byte Buffer");
    packet_mreq mr{};
    mr.mr_ifindex = ifindex_;
    mr.mr_type = PACKET_MR_MULTICAST;
    mr.mr_alen = 6;
    memcpy(mr.mr_address, info[0].As<Napi::Buffer<uint8_t>>().Data(), 6);
    if (setsockopt(fd_, SOL_PACKET, op, &mr, sizeof mr) < 0) throw ErrnoError(env, errno, name);
    return env.Undefined();
  }

  // Solicited-node groups (RFC 4861 §7.2.1) are not joined by the kernel for addresses it does not carry, so a NIC
  // with a multicast filter would drop the NS; membership programs the filter. Counted per socket, dropped on close.
  Napi::Value AddMembership(const Napi::CallbackInfo& info) { return Membership(info, PACKET_ADD_MEMBERSHIP, "setsockopt(PACKET_ADD_MEMBERSHIP)"); }
  Napi::Value DropMembership(const Napi::CallbackInfo& info) { return Membership(info, PACKET_DROP_MEMBERSHIP, "setsockopt(PACKET_DROP_MEMBERSHIP)"); }

  // Kernel counters since the last call: frames queued to us, and frames dropped because our queue was full.
  Napi::Value Stats(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    tpacket_stats st{};
    socklen_t l = sizeof st;
    if (fd_ < 0 || getsockopt(fd_, SOL_PACKET, PACKET_STATISTICS, &st, &l) < 0) throw ErrnoError(env, fd_ < 0 ? EBADF : errno, "getsockopt(PACKET_STATISTICS)");
    Napi::Object o = Napi::Object::New(env);
    o.Set("packets", st.tp_packets);
    o.Set("drops", st.tp_drops);
    return o;
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (fd_ >= 0) {
      poller_->Close();
      fd_ = -1;
      Unref();
    }
    return info.Env().Undefined();
  }

  Napi::Value RefPoll(const Napi::CallbackInfo& info) {
    if (fd_ >= 0) poller_->Ref();
    return info.Env().Undefined();
  }

  Napi::Value UnrefPoll(const Napi::CallbackInfo& info) {
    if (fd_ >= 0) poller_->Unref();
    return info.Env().Undefined();
  }

  // Frames are delivered in batches — one JS call per readable event, not per frame — as (data, ends, types): the
  // frames back to back in one Buffer, each frame's end offset, each frame's sll_pkttype. Under a flood this halves
  // the CPU per frame; src/lib/native/index.ts splits the batch for callers.
  void OnReadable() {
    data_.clear();
    ends_.clear();
    types_.clear();
    // Bounded batch so a flood cannot starve the rest of the event loop.
    for (int i = 0; i < 256 && fd_ >= 0; i++) {
      sockaddr_ll from{};
      socklen_t fl = sizeof from;
      ssize_t n = recvfrom(fd_, buf_, sizeof buf_, 0, reinterpret_cast<sockaddr*>(&from), &fl);
      if (n < 0) break;
      if (from.sll_pkttype == PACKET_OUTGOING) continue;
      data_.insert(data_.end(), buf_, buf_ + n);
      ends_.push_back(static_cast<uint32_t>(data_.size()));
      types_.push_back(from.sll_pkttype);
    }
    if (ends_.empty() || fd_ < 0) return;
    Napi::Env env = poller_->env();
    // JS may close this socket and drop it inside the callback; stay alive until the callback has returned.
    Ref();
    auto ends = Napi::Uint32Array::New(env, ends_.size());
    memcpy(ends.Data(), ends_.data(), ends_.size() * sizeof(uint32_t));
    auto types = Napi::Uint8Array::New(env, types_.size());
    memcpy(types.Data(), types_.data(), types_.size());
    poller_->Call(onFrame_, {Napi::Buffer<uint8_t>::Copy(env, data_.data(), data_.size()), ends, types});
    Unref();
  }

  uint8_t buf_[65536];
  std::vector<uint8_t> data_;
  std::vector<uint32_t> ends_;
  std::vector<uint8_t> types_;
  int fd_ = -1;
  int ifindex_ = 0;
  Napi::FunctionReference onFrame_;
  std::unique_ptr<Poller> poller_;
};

// interfaceInfo(name) → {index, mac, hwType, mtu, flags, driver} in the caller's network namespace (ioctl, so no /sys needed).
static Napi::Value InterfaceInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (!info[0].IsString()) throw Napi::TypeError::New(env, "interfaceInfo(name)");
  std::string name = info[0].As<Napi::String>();
  if (name.empty() || name.size() >= IFNAMSIZ) throw Napi::RangeError::New(env, "interface name must be 1–15 characters");
  // Guarded: o.Set can throw (JS exceptions are C++ exceptions here) between the ioctls.
  FdGuard sock(socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0));
  int s = sock.get();
  if (s < 0) throw ErrnoError(env, errno, "socket");
  ifreq ifr{};
  strncpy(ifr.ifr_name, name.c_str(), IFNAMSIZ - 1);
  Napi::Object o = Napi::Object::New(env);
  auto io = [&](unsigned long req, const char* what) {
    if (ioctl(s, req, &ifr) < 0) {
      int e = errno;
      throw ErrnoError(env, e, what, e == ENODEV ? "no interface named " + name : "");
    }
  };
  io(SIOCGIFINDEX, "ioctl(SIOCGIFINDEX)");
  o.Set("index", ifr.ifr_ifindex);
  io(SIOCGIFHWADDR, "ioctl(SIOCGIFHWADDR)");
  o.Set("mac", Napi::Buffer<uint8_t>::Copy(env, reinterpret_cast<uint8_t*>(ifr.ifr_hwaddr.sa_data), 6));
  o.Set("hwType", ifr.ifr_hwaddr.sa_family);
  io(SIOCGIFMTU, "ioctl(SIOCGIFMTU)");
  o.Set("mtu", ifr.ifr_mtu);
  io(SIOCGIFFLAGS, "ioctl(SIOCGIFFLAGS)");
  o.Set("flags", ifr.ifr_flags);
  // The driver's name (ethtool -i), e.g. "veth": which XDP mode works depends on it. "" when the driver will not say.
  ethtool_drvinfo di{};
  di.cmd = ETHTOOL_GDRVINFO;
  ifr.ifr_data = reinterpret_cast<char*>(&di);
  o.Set("driver", ioctl(s, SIOCETHTOOL, &ifr) == 0 ? std::string(di.driver, strnlen(di.driver, sizeof di.driver)) : std::string());
  return o;
}

void InitPacket(Napi::Env env, Napi::Object exports) {
  exports.Set("PacketSocket", PacketSocket::Init(env));
  exports.Set("interfaceInfo", Napi::Function::New(env, InterfaceInfo));
}

}  // namespace lbctl
