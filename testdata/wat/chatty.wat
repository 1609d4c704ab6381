;; Writes `0123456789` to stdout and `abcdefghij` to stderr, each in two writes of five bytes:
;; the output-limit tests cut the results files short.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "0123456789abcdefghij")
  (func $write (param $fd i32) (param $at i32)
    (i32.store (i32.const 0) (local.get $at))
    (i32.store (i32.const 4) (i32.const 5))
    (drop (call $fd_write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 8))))
  (func (export "_start")
    (call $write (i32.const 1) (i32.const 16))
    (call $write (i32.const 1) (i32.const 21))
    (call $write (i32.const 2) (i32.const 26))
    (call $write (i32.const 2) (i32.const 31)))
)
