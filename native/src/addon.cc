// lbctl's only native code: socket options and socket kinds Node does not offer. See ../README.md for the API.
#include <napi.h>

namespace lbctl {
void InitTcp(Napi::Env env, Napi::Object exports);
void InitUdp(Napi::Env env, Napi::Object exports);
void InitPacket(Napi::Env env, Napi::Object exports);
void InitXdp(Napi::Env env, Napi::Object exports);
}  // namespace lbctl

static Napi::Object Init(Napi::Env env, Napi::Object exports) {
  lbctl::InitTcp(env, exports);
  lbctl::InitUdp(env, exports);
#ifndef LBCTL_NO_PACKET
  lbctl::InitPacket(env, exports);
  lbctl::InitXdp(env, exports);
#endif
  exports.Set("abiVersion", Napi::Number::New(env, 1));
  return exports;
}

NODE_API_MODULE(lbctl_native, Init)
