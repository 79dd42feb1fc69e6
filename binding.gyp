{
  # The optional native Z_2^64 kernel (see native/ring.cc). Built for the baseline ISA: the AVX2 and
  # AVX-512 loops carry per-function target attributes and are chosen at run time. Never add
  # -march=native here: the binary would crash on CPUs without the build machine's extensions.
  "targets": [
    {
      "target_name": "peermpc_ring",
      "sources": [
        "native/ring.cc",
        "native/level_generic.cc",
        "native/level_avx2.cc",
        "native/level_avx512.cc",
        "native/level_avx512ifma.cc"
      ],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions", "-O2"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-O2"],
      "cflags": ["-O3"],
      "cflags_cc": ["-std=c++17", "-fexceptions"],
      "ldflags": ["-pthread"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_OPTIMIZATION_LEVEL": "3",
        "MACOSX_DEPLOYMENT_TARGET": "11.0"
      },
      "msvs_settings": {
        "VCCLCompilerTool": {
          "ExceptionHandling": 1,
          "Optimization": 2,
          "AdditionalOptions": ["/std:c++17"]
        }
      }
    },
    {
      "target_name": "peermpc_prg",
      "sources": ["native/prg.cc"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions", "-O2"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-O2"],
      "cflags": ["-O3"],
      "cflags_cc": ["-std=c++17", "-fexceptions"],
      "ldflags": ["-pthread"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_OPTIMIZATION_LEVEL": "3",
        "MACOSX_DEPLOYMENT_TARGET": "11.0"
      },
      "msvs_settings": {
        "VCCLCompilerTool": {
          "ExceptionHandling": 1,
          "Optimization": 2,
          "AdditionalOptions": ["/std:c++17"]
        }
      }
    },
    {
      # ChaCha20-Poly1305 for Noise (native/aead.cc) through Node's own OpenSSL: no library is linked,
      # the EVP_* symbols resolve against the node binary at load and the headers are node's.
      "target_name": "peermpc_aead",
      "sources": ["native/aead.cc"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions", "-O2"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17", "-O2"],
      "cflags": ["-O3"],
      "cflags_cc": ["-std=c++17", "-fexceptions"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "GCC_OPTIMIZATION_LEVEL": "3",
        "MACOSX_DEPLOYMENT_TARGET": "11.0"
      },
      "msvs_settings": {
        "VCCLCompilerTool": {
          "ExceptionHandling": 1,
          "Optimization": 2,
          "AdditionalOptions": ["/std:c++17"]
        }
      }
    },
    {
      # Shared buffers that are not zeroed (native/alloc.cc, src/util/large-buffers.ts): V8's C++
      # API, since N-API cannot make a SharedArrayBuffer; links nothing.
      "target_name": "peermpc_alloc",
      "sources": ["native/alloc.cc"],
      # never unloaded (alloc.cc's Pin() says why)
      "ldflags": ["-Wl,-z,nodelete"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17"],
      "xcode_settings": {
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "MACOSX_DEPLOYMENT_TARGET": "11.0"
      },
      "msvs_settings": {
        "VCCLCompilerTool": {
          "AdditionalOptions": ["/std:c++17"]
        }
      }
    },
    {
      # SO_REUSEPORT TCP sockets for hole punching (native/sock.cc, src/node/reuseport.ts): uses
      # libuv (uv.h) from the node binary, links nothing. A module with no exports on Windows.
      "target_name": "peermpc_sock",
      "sources": ["native/sock.cc"],
      "defines": ["NAPI_VERSION=8", "NAPI_DISABLE_CPP_EXCEPTIONS"],
      "cflags!": ["-fno-exceptions"],
      "cflags_cc!": ["-fno-exceptions", "-std=gnu++17"],
      "cflags_cc": ["-std=c++17", "-fexceptions"],
      "xcode_settings": {
        "GCC_ENABLE_CPP_EXCEPTIONS": "YES",
        "CLANG_CXX_LANGUAGE_STANDARD": "c++17",
        "MACOSX_DEPLOYMENT_TARGET": "11.0"
      },
      "msvs_settings": {
        "VCCLCompilerTool": {
          "ExceptionHandling": 1,
          "AdditionalOptions": ["/std:c++17"]
        }
      }
    }
  ]
}
