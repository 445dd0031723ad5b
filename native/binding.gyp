{
  "targets": [
    {
      "target_name": "lbctl_native",
      "sources": ["src/addon.cc", "src/util.cc", "src/tcp.cc", "src/udp.cc", "src/packet.cc", "src/xdp.cc"],
      "include_dirs": ["<!(node -p \"require('node-addon-api').include_dir\")"],
      "dependencies": ["<!(node -p \"require('node-addon-api').targets\"):node_addon_api_except"],
      "defines": ["NAPI_VERSION=8"],
      "cflags_cc": ["-std=c++17", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "conditions": [["OS!='linux'", {"sources!": ["src/packet.cc", "src/xdp.cc"], "defines": ["LBCTL_NO_PACKET"]}]]
    }
  ]
}
