// TCP for BGP: sockets Node adopts (net.Socket({fd}) / server.listen({fd})) with the options Node lacks:
// TCP_MD5SIG (RFC 2385), IP_TTL/IPV6_UNICAST_HOPS (eBGP multihop) and IP_MINTTL/IPV6_MINHOPCOUNT (GTSM, RFC 5082).
// The TTL setters work on any socket fd, TCP or UDP.
#include <fcntl.h>
#include <netinet/tcp.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "util.h"

#ifndef IP_MINTTL
#define IP_MINTTL 21
#endif
#ifndef IPV6_MINHOPCOUNT
#define IPV6_MINHOPCOUNT 73
#endif

namespace lbctl {

static Napi::Value TcpSocket(const Napi::CallbackInfo& info) {
  int family = FamilyArg(info[0]);
  int fd = socket(family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd < 0) throw ErrnoError(info.Env(), errno, "socket");
  return Napi::Number::New(info.Env(), fd);
}

static Napi::Value SetMd5(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info[0]);
  if (!info[1].IsString()) throw Napi::TypeError::New(env, "peer must be an IP address string");
  int domain = SocketDomain(fd);
  if (domain != AF_INET && domain != AF_INET6) throw ErrnoError(env, errno ? errno : EINVAL, "getsockopt(SO_DOMAIN)");
  struct tcp_md5sig sig;
  memset(&sig, 0, sizeof sig);
  socklen_t len = 0;
  ParseAddress(env, info[1].As<Napi::String>(), domain, 0, reinterpret_cast<sockaddr_storage*>(&sig.tcpm_addr), &len);
  bool remove = info[2].IsNull() || info[2].IsUndefined();
  if (!remove) {
    if (!info[2].IsString()) throw Napi::TypeError::New(env, "key must be a string or null");
    std::string key = info[2].As<Napi::String>();
    if (key.empty() || key.size() > TCP_MD5SIG_MAXKEYLEN) {
      throw Napi::RangeError::New(env, "TCP MD5 key must be 1–80 bytes");
    }
    sig.tcpm_keylen = key.size();
    memcpy(sig.tcpm_key, key.data(), key.size());
  }
  if (setsockopt(fd, IPPROTO_TCP, TCP_MD5SIG, &sig, sizeof sig) < 0) {
    if (remove && errno == ENOENT) return env.Undefined();  // no key for that peer: already removed
    throw ErrnoError(env, errno, "setsockopt(TCP_MD5SIG)", errno == ENOPROTOOPT ? "kernel built without CONFIG_TCP_MD5SIG" : "");
  }
  return env.Undefined();
}

static void SetIntOpt(const Napi::CallbackInfo& info, int level4, int opt4, int level6, int opt6, const char* name, int lo, int hi) {
  Napi::Env env = info.Env();
  int fd = FdArg(info[0]);
  int family = FamilyArg(info[1]);
  if (!info[2].IsNumber()) throw Napi::TypeError::New(env, std::string(name) + " must be a number");
  int v = info[2].As<Napi::Number>().Int32Value();
  if (v < lo || v > hi) throw Napi::RangeError::New(env, std::string(name) + " must be " + std::to_string(lo) + "–" + std::to_string(hi));
  int r = family == AF_INET ? setsockopt(fd, level4, opt4, &v, sizeof v) : setsockopt(fd, level6, opt6, &v, sizeof v);
  if (r < 0) throw ErrnoError(env, errno, family == AF_INET ? "setsockopt(IPPROTO_IP)" : "setsockopt(IPPROTO_IPV6)", name);
}

static Napi::Value SetTtl(const Napi::CallbackInfo& info) {
  SetIntOpt(info, IPPROTO_IP, IP_TTL, IPPROTO_IPV6, IPV6_UNICAST_HOPS, "ttl", 1, 255);
  return info.Env().Undefined();
}

static Napi::Value SetMinTtl(const Napi::CallbackInfo& info) {
  // 0 turns the check off. Enforced by the kernel for TCP only; UDP users check the TTL reported by UdpSocket.
  SetIntOpt(info, IPPROTO_IP, IP_MINTTL, IPPROTO_IPV6, IPV6_MINHOPCOUNT, "minTtl", 0, 255);
  return info.Env().Undefined();
}

static Napi::Value Bind(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  int fd = FdArg(info[0]);
  int family = FamilyArg(info[1]);
  if (!info[2].IsString() || !info[3].IsNumber()) throw Napi::TypeError::New(env, "bind(fd, family, address, port)");
  int port = info[3].As<Napi::Number>().Int32Value();
  if (port < 0 || port > 65535) throw Napi::RangeError::New(env, "port must be 0–65535");
  sockaddr_storage ss;
  socklen_t len;
  ParseAddress(env, info[2].As<Napi::String>(), family, port, &ss, &len);
  if (bind(fd, reinterpret_cast<sockaddr*>(&ss), len) < 0) {
    throw ErrnoError(env, errno, "bind", errno == EACCES ? "ports below 1024 need CAP_NET_BIND_SERVICE" : "");
  }
  return env.Undefined();
}

static Napi::Value Listen(const Napi::CallbackInfo& info) {
  int fd = FdArg(info[0]);
  int backlog = info[1].IsNumber() ? info[1].As<Napi::Number>().Int32Value() : 511;
  if (listen(fd, backlog) < 0) throw ErrnoError(info.Env(), errno, "listen");
  return info.Env().Undefined();
}

static Napi::Value SetReuseAddr(const Napi::CallbackInfo& info) {
  int fd = FdArg(info[0]);
  int one = 1;
  if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) < 0) throw ErrnoError(info.Env(), errno, "setsockopt(SO_REUSEADDR)");
  return info.Env().Undefined();
}

static Napi::Value Close(const Napi::CallbackInfo& info) {
  int fd = FdArg(info[0]);
  if (close(fd) < 0 && errno != EBADF) throw ErrnoError(info.Env(), errno, "close");
  return info.Env().Undefined();
}

// getsockopt(IP_TTL / IPV6_UNICAST_HOPS): lets tests observe what setTtl did.
static Napi::Value GetTtl(const Napi::CallbackInfo& info) {
  int fd = FdArg(info[0]);
  int family = FamilyArg(info[1]);
  int v = 0;
  socklen_t l = sizeof v;
  int r = family == AF_INET ? getsockopt(fd, IPPROTO_IP, IP_TTL, &v, &l) : getsockopt(fd, IPPROTO_IPV6, IPV6_UNICAST_HOPS, &v, &l);
  if (r < 0) throw ErrnoError(info.Env(), errno, "getsockopt(ttl)");
  return Napi::Number::New(info.Env(), v);
}

void InitTcp(Napi::Env env, Napi::Object exports) {
  exports.Set("tcpSocket", Napi::Function::New(env, TcpSocket));
  exports.Set("setMd5", Napi::Function::New(env, SetMd5));
  exports.Set("setTtl", Napi::Function::New(env, SetTtl));
  exports.Set("getTtl", Napi::Function::New(env, GetTtl));
  exports.Set("setMinTtl", Napi::Function::New(env, SetMinTtl));
  exports.Set("bind", Napi::Function::New(env, Bind));
  exports.Set("listen", Napi::Function::New(env, Listen));
  exports.Set("setReuseAddr", Napi::Function::New(env, SetReuseAddr));
  exports.Set("close", Napi::Function::New(env, Close));
}

}  // namespace lbctl
