{
  "targets": [
    {
      "target_name": "linalg",
      "sources": ["src/addon.cc", "src/elementwise.cc", "src/kernels.cc"],
      "defines": ["NAPI_VERSION=8"],
      # Baseline instruction set only (no -march): the kernels pick an AVX2/FMA clone at load
      # time where the CPU has one (see src/kernels.cc), so a build runs on any CPU of its
      # architecture, including one packaged on another machine.
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-O3", "-std=c++17", "-fexceptions"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "OTHER_CPLUSPLUSFLAGS": ["-O3"]
      },
      "msvs_settings": {
        "VCCLCompilerTool": { "ExceptionHandling": 1, "AdditionalOptions": ["/std:c++17", "/O2"] }
      }
    }
  ]
}
