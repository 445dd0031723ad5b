#include "util.h"

#include <arpa/inet.h>
#include <string.h>
#include <unistd.h>

namespace lbctl {

Napi::Error ErrnoError(Napi::Env env, int err, const char* syscall, const std::string& hint) {
  std::string msg = std::string(syscall) + ": " + strerror(err);
  if (!hint.empty()) msg += " — " + hint;
  Napi::Error e = Napi::Error::New(env, msg);
  e.Set("code", Napi::String::New(env, uv_err_name(-err)));
  e.Set("errno", Napi::Number::New(env, err));
  e.Set("syscall", Napi::String::New(env, syscall));
  return e;
}

void ParseAddress(Napi::Env env, const std::string& text, int family, uint16_t port, sockaddr_storage* out, socklen_t* len) {
  memset(out, 0, sizeof *out);
  in_addr a4;
  in6_addr a6;
  bool is4 = inet_pton(AF_INET, text.c_str(), &a4) == 1;
  bool is6 = !is4 && inet_pton(AF_INET6, text.c_str(), &a6) == 1;
  if (!is4 && !is6) throw Napi::TypeError::New(env, "not an IP address: " + text);
  if (family == AF_INET) {
    if (!is4) throw Napi::TypeError::New(env, "an IPv6 address on an IPv4 socket: " + text);
    auto* s = reinterpret_cast<sockaddr_in*>(out);
    s->sin_family = AF_INET;
    s->sin_port = htons(port);
    s->sin_addr = a4;
    *len = sizeof *s;
    return;
  }
  auto* s = reinterpret_cast<sockaddr_in6*>(out);
  s->sin6_family = AF_INET6;
  s->sin6_port = htons(port);
  if (is4) {
    // IPv4-mapped (RFC 4291 §2.5.5.2): how a dual-stack socket sees IPv4 peers.
    s->sin6_addr.s6_addr[10] = 0xff;
    s->sin6_addr.s6_addr[11] = 0xff;
    memcpy(&s->sin6_addr.s6_addr[12], &a4, 4);
  } else {
    s->sin6_addr = a6;
  }
  *len = sizeof *s;
}

std::string FormatAddress(const sockaddr_storage& ss, uint16_t* port) {
  char buf[INET6_ADDRSTRLEN] = "";
  if (ss.ss_family == AF_INET) {
    auto* s = reinterpret_cast<const sockaddr_in*>(&ss);
    inet_ntop(AF_INET, &s->sin_addr, buf, sizeof buf);
    if (port) *port = ntohs(s->sin_port);
  } else if (ss.ss_family == AF_INET6) {
    auto* s = reinterpret_cast<const sockaddr_in6*>(&ss);
    inet_ntop(AF_INET6, &s->sin6_addr, buf, sizeof buf);
    if (port) *port = ntohs(s->sin6_port);
  }
  return buf;
}

uint16_t PortArg(const Napi::Value& v) {
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : -1;
  if (!v.IsNumber() || d < 0 || d > 65535 || d != static_cast<double>(static_cast<int64_t>(d))) {
    throw Napi::RangeError::New(v.Env(), "port must be an integer 0–65535");
  }
  return static_cast<uint16_t>(d);
}

int FamilyArg(const Napi::Value& v) {
  if (v.IsNumber()) {
    int f = v.As<Napi::Number>().Int32Value();
    if (f == 4) return AF_INET;
    if (f == 6) return AF_INET6;
  }
  throw Napi::TypeError::New(v.Env(), "family must be 4 or 6");
}

int FdArg(const Napi::Value& v) {
  if (!v.IsNumber() || v.As<Napi::Number>().Int32Value() < 0) throw Napi::TypeError::New(v.Env(), "fd must be a non-negative integer");
  return v.As<Napi::Number>().Int32Value();
}

int SocketDomain(int fd) {
  int d = 0;
  socklen_t l = sizeof d;
  if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &d, &l) < 0) return -1;
  return d;
}

Poller::Poller(Napi::Env env, int fd, const char* resourceName, std::function<void()> onReadable)
    : env_(env), fd_(fd), onReadable_(std::move(onReadable)), ctx_(env, resourceName) {
  uv_loop_t* loop = nullptr;
  napi_get_uv_event_loop(env, &loop);
  handle_ = new uv_poll_t;
  int r = uv_poll_init_socket(loop, handle_, fd);
  if (r != 0) {
    delete handle_;
    handle_ = nullptr;
    throw ErrnoError(env, -r, "uv_poll_init");
  }
  handle_->data = this;
}

Poller::~Poller() { Close(); }

void Poller::Start() {
  if (handle_) uv_poll_start(handle_, UV_READABLE, OnPoll);
}

void Poller::Ref() {
  if (handle_) uv_ref(reinterpret_cast<uv_handle_t*>(handle_));
}

void Poller::Unref() {
  if (handle_) uv_unref(reinterpret_cast<uv_handle_t*>(handle_));
}

void Poller::Close() {
  if (!handle_) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
    return;
  }
  uv_poll_stop(handle_);
  // The fd must stay open until libuv has removed it from epoll; the close callback closes it.
  handle_->data = reinterpret_cast<void*>(static_cast<intptr_t>(fd_));
  uv_close(reinterpret_cast<uv_handle_t*>(handle_), [](uv_handle_t* h) {
    ::close(static_cast<int>(reinterpret_cast<intptr_t>(h->data)));
    delete reinterpret_cast<uv_poll_t*>(h);
  });
  handle_ = nullptr;
  fd_ = -1;
}

void Poller::OnPoll(uv_poll_t* h, int status, int events) {
  auto* self = static_cast<Poller*>(h->data);
  if (!self || status < 0) return;
  Napi::HandleScope scope(self->env_);
  self->onReadable_();
}

void Poller::Call(Napi::FunctionReference& fn, const std::initializer_list<napi_value>& args) {
  try {
    fn.MakeCallback(Napi::Object::New(env_), args, ctx_);
  } catch (const Napi::Error& e) {
    napi_fatal_exception(env_, e.Value());
  }
}

}  // namespace lbctl
