// UDP for BFD (RFC 5881): Node's dgram cannot report a datagram's received TTL, and single-hop BFD must drop anything
// not received with TTL/hop limit 255 (§5, GTSM). This socket sends with a chosen TTL and reports each datagram's
// TTL from IP_RECVTTL / IPV6_RECVHOPLIMIT control messages.
#include <net/if.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <memory>

#include "util.h"

namespace lbctl {

class UdpSocket : public Napi::ObjectWrap<UdpSocket> {
 public:
  static Napi::Function Init(Napi::Env env) {
    return DefineClass(env, "UdpSocket", {
      InstanceMethod("bind", &UdpSocket::Bind), InstanceMethod("send", &UdpSocket::Send),
      InstanceMethod("setTtl", &UdpSocket::SetTtl), InstanceMethod("bindToDevice", &UdpSocket::BindToDevice),
      InstanceMethod("close", &UdpSocket::Close), InstanceMethod("ref", &UdpSocket::RefPoll),
      InstanceMethod("unref", &UdpSocket::UnrefPoll), InstanceAccessor("fd", &UdpSocket::Fd, nullptr),
    });
  }

  // new UdpSocket(family, onMessage(data: Buffer, address: string, port: number, ttl: number))
  UdpSocket(const Napi::CallbackInfo& info) : Napi::ObjectWrap<UdpSocket>(info) {
    Napi::Env env = info.Env();
    family_ = FamilyArg(info[0]);
    if (!info[1].IsFunction()) throw Napi::TypeError::New(env, "onMessage must be a function");
    onMessage_ = Napi::Persistent(info[1].As<Napi::Function>());
    // The guard closes the socket if anything below throws (a constructor that throws runs no destructor).
    FdGuard fd(socket(family_, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0));
    if (fd.get() < 0) throw ErrnoError(env, errno, "socket");
    int one = 1;
    int r = family_ == AF_INET ? setsockopt(fd.get(), IPPROTO_IP, IP_RECVTTL, &one, sizeof one)
                               : setsockopt(fd.get(), IPPROTO_IPV6, IPV6_RECVHOPLIMIT, &one, sizeof one);
    if (r < 0) throw ErrnoError(env, errno, "setsockopt(RECVTTL)");
    poller_ = std::make_unique<Poller>(env, fd.get(), "lbctl:UdpSocket", [this] { OnReadable(); });
    fd_ = fd.release();  // the poller owns it now (Poller::Close closes it)
  }

 private:
  Napi::Value Bind(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsString() || !info[1].IsNumber()) throw Napi::TypeError::New(env, "bind(address, port)");
    sockaddr_storage ss;
    socklen_t len;
    ParseAddress(env, info[0].As<Napi::String>(), family_, PortArg(info[1]), &ss, &len);
    int one = 1;
    setsockopt(fd_, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    if (bind(fd_, reinterpret_cast<sockaddr*>(&ss), len) < 0) throw ErrnoError(env, errno, "bind");
    if (!started_) {
      poller_->Start();
      Ref();  // keep this object alive while the event loop may call into it
      started_ = true;
    }
    return env.Undefined();
  }

  Napi::Value Send(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!info[0].IsBuffer() || !info[1].IsString() || !info[2].IsNumber()) throw Napi::TypeError::New(env, "send(buffer, address, port)");
    auto buf = info[0].As<Napi::Buffer<uint8_t>>();
    sockaddr_storage ss;
    socklen_t len;
    ParseAddress(env, info[1].As<Napi::String>(), family_, PortArg(info[2]), &ss, &len);
    ssize_t n = sendto(fd_, buf.Data(), buf.Length(), 0, reinterpret_cast<sockaddr*>(&ss), len);
    if (n < 0) throw ErrnoError(env, errno, "sendto");
    return Napi::Number::New(env, n);
  }

  Napi::Value SetTtl(const Napi::CallbackInfo& info) {
    int v = info[0].As<Napi::Number>().Int32Value();
    if (v < 1 || v > 255) throw Napi::RangeError::New(info.Env(), "ttl must be 1–255");
    int r = family_ == AF_INET ? setsockopt(fd_, IPPROTO_IP, IP_TTL, &v, sizeof v)
                               : setsockopt(fd_, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, sizeof v);
    if (r < 0) throw ErrnoError(info.Env(), errno, "setsockopt(ttl)");
    return info.Env().Undefined();
  }

  Napi::Value BindToDevice(const Napi::CallbackInfo& info) {
    std::string dev = info[0].As<Napi::String>();
    if (setsockopt(fd_, SOL_SOCKET, SO_BINDTODEVICE, dev.c_str(), dev.size()) < 0) {
      throw ErrnoError(info.Env(), errno, "setsockopt(SO_BINDTODEVICE)", errno == EPERM ? "CAP_NET_RAW is needed" : "");
    }
    return info.Env().Undefined();
  }

  Napi::Value Close(const Napi::CallbackInfo& info) {
    if (!poller_->closed()) {
      poller_->Close();
      if (started_) Unref();
      started_ = false;
    }
    fd_ = -1;
    return info.Env().Undefined();
  }

  Napi::Value RefPoll(const Napi::CallbackInfo& info) {
    poller_->Ref();
    return info.Env().Undefined();
  }

  Napi::Value UnrefPoll(const Napi::CallbackInfo& info) {
    poller_->Unref();
    return info.Env().Undefined();
  }

  Napi::Value Fd(const Napi::CallbackInfo& info) { return Napi::Number::New(info.Env(), fd_); }

  void OnReadable() {
    uint8_t buf[65536];
    Ref();  // JS may close and drop this socket inside the callback: stay alive until the loop is done
    for (int i = 0; i < 64 && !poller_->closed(); i++) {
      sockaddr_storage from;
      iovec iov{buf, sizeof buf};
      alignas(cmsghdr) char ctrl[256];
      msghdr msg{};
      msg.msg_name = &from;
      msg.msg_namelen = sizeof from;
      msg.msg_iov = &iov;
      msg.msg_iovlen = 1;
      msg.msg_control = ctrl;
      msg.msg_controllen = sizeof ctrl;
      ssize_t n = recvmsg(fd_, &msg, 0);
      if (n < 0) break;  // EAGAIN: drained; other errors (ICMP unreachable) are not datagrams
      int ttl = -1;
      for (cmsghdr* c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
        if ((c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_TTL) ||
            (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_HOPLIMIT)) {
          memcpy(&ttl, CMSG_DATA(c), sizeof ttl);
        }
      }
      uint16_t port = 0;
      std::string addr = FormatAddress(from, &port);
      Napi::Env env = poller_->env();
      poller_->Call(onMessage_, {Napi::Buffer<uint8_t>::Copy(env, buf, n), Napi::String::New(env, addr),
                                 Napi::Number::New(env, port), Napi::Number::New(env, ttl)});
    }
    Unref();
  }

  int family_;
  int fd_ = -1;
  bool started_ = false;
  Napi::FunctionReference onMessage_;
  std::unique_ptr<Poller> poller_;
};

void InitUdp(Napi::Env env, Napi::Object exports) { exports.Set("UdpSocket", UdpSocket::Init(env)); }

}  // namespace lbctl
