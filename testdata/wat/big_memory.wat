;; Declares an exported memory of at least 10 pages (640 KiB) and prints `ran`: under a smaller
;; memory limit it must fail before anything runs (hidden_memory.wat covers an unexported one).
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 10)
  (data (i32.const 16) "ran\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))
    (i32.store (i32.const 4) (i32.const 4))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))
)
