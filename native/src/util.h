// Shared helpers: errno → JS errors carrying code/errno/syscall, address parsing, a libuv poll wrapper.
#pragma once
#include <napi.h>
#include <uv.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <functional>
#include <string>

namespace lbctl {

// An Error like Node's own system errors: message "syscall: strerror", .code "EPERM", .errno, .syscall.
// `hint` is appended to the message (e.g. which capability is missing).
Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const std::string& hint = "");

// Parse `text` as an IPv4/IPv6 address for a socket of `family` (4|6). An IPv4 address on an IPv6 socket becomes
// ::ffff:a.b.c.d, as the kernel reports such peers. Throws a TypeError on bad input.
void ParseAddress(Napi::Env env, const std::string& text, int family, uint16_t port, sockaddr_storage* out, socklen_t* len);

// The text form and port of a socket address.
std::string FormatAddress(const sockaddr_storage& ss, uint16_t* port);

int FamilyArg(const Napi::Value& v);   // 4|6 → AF_INET|AF_INET6, else throws
uint16_t PortArg(const Napi::Value& v);  // an integer 0–65535, else throws a RangeError (never truncated)

// Closes an fd when the scope ends (also when a Napi call throws midway), unless released.
class FdGuard {
 public:
  explicit FdGuard(int fd) : fd_(fd) {}
  ~FdGuard() {
    if (fd_ >= 0) ::close(fd_);
  }
  FdGuard(const FdGuard&) = delete;
  FdGuard& operator=(const FdGuard&) = delete;
  int get() const { return fd_; }
  int release() {
    int f = fd_;
    fd_ = -1;
    return f;
  }

 private:
  int fd_;
};
int FdArg(const Napi::Value& v);       // a non-negative integer, else throws
int SocketDomain(int fd);              // AF_INET/AF_INET6 of an fd (SO_DOMAIN)

// A readable-fd watcher on the Node event loop. `onReadable` runs on the main thread inside a HandleScope and an
// async context, so promises it resolves settle at once. Exceptions thrown by JS become uncaught exceptions.
class Poller {
 public:
  Poller(Napi::Env env, int fd, const char* resourceName, std::function<void()> onReadable);
  ~Poller();
  void Start();
  void Ref();
  void Unref();
  // Stops watching and closes the fd once libuv has released the handle.
  void Close();
  bool closed() const { return handle_ == nullptr; }
  Napi::Env env() const { return env_; }
  // Run JS: callback(args...) with exceptions surfaced as uncaught exceptions.
  void Call(Napi::FunctionReference& fn, const std::initializer_list<napi_value>& args);

 private:
  static void OnPoll(uv_poll_t* h, int status, int events);
  Napi::Env env_;
  int fd_;
  uv_poll_t* handle_ = nullptr;
  std::function<void()> onReadable_;
  Napi::AsyncContext ctx_;
};

}  // namespace lbctl
