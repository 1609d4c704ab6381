;; The entry module of the import-by-path case: uses_memlib.wat with its import module named
;; "modules/memlib.wat", a path in the guest's filesystem rather than a declared import module.
(module
  (import "modules/memlib.wat" "memory" (memory 1))
  ;; WASI functions reach guest memory through the "memory" export, so re-export the import.
  (export "memory" (memory 0))
  (import "modules/memlib.wat" "greet" (func $greet (param i32) (result i32)))
  (import "modules/memlib.wat" "calls" (global $calls (mut i32)))
  (import "modules/memlib.wat" "table" (table 1 funcref))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (call $greet (i32.const 64)))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))
    (if (i32.ne (global.get $calls) (i32.const 1)) (then unreachable))
    ;; and its table's function 0 returns 7.
    (if (i32.ne (call_indirect (result i32) (i32.const 0)) (i32.const 7)) (then unreachable)))
)
