{
  "targets": [
    {
      "target_name": "vae_lab_blas",
      "sources": ["src/blas_kernels.c", "src/fused_kernels.c", "src/pixel_kernels.c", "src/parallel.c", "src/conv_kernels.c"],
      "cflags": ["-O3", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=fast", "-std=c11"],
      "conditions": [
        ["OS=='mac'", {
          "libraries": ["-framework Accelerate"],
          "xcode_settings": { "OTHER_CFLAGS": ["-O3", "-fno-math-errno", "-fno-trapping-math", "-ffp-contract=fast"] }
        }],
        ["OS!='mac' and OS!='win'", {
          "cflags": ["-pthread"],
          "libraries": ["-lopenblas", "-pthread"]
        }]
      ]
    }
  ]
}
