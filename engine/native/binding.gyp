{
  "targets": [
    {
      "target_name": "corral_native",
      "sources": ["corral.c"],
      "cflags": ["-O2", "-std=c11", "-Wall", "-Wextra", "-Wno-unused-parameter"],
      "defines": ["NAPI_VERSION=8"]
    }
  ]
}
