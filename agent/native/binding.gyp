{
  "targets": [
    {
      "target_name": "meshprobe_raw",
      "sources": ["src/raw_socket.c", "src/echo_set.c", "src/echo_probe.c", "src/sockaddr.c"],
      "defines": ["NAPI_VERSION=8"],
      "cflags": ["-O2", "-Wall", "-Wextra", "-Wno-unused-parameter"]
    }
  ]
}
