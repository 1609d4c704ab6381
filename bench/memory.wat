;; A guest that takes 1 GiB of linear memory, the way a program's allocator does: in steps
;; (1,023 steps of 16 pages, then 15, from 1 page to 16,384), then writes one byte in every
;; 4 KiB page so that all of it is resident. bench/memory.sh measures the peak RSS of a run.
(module
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (func (export "_start") (local $p i32) (local $i i32)
    (block $grown
      (loop $grow
        (br_if $grown (i32.ge_u (local.get $i) (i32.const 1023)))
        (drop (memory.grow (i32.const 16)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $grow)))
    (drop (memory.grow (i32.const 15)))
    ;; 1 GiB exactly, or the guest says so with exit code 1.
    (if (i32.ne (memory.size) (i32.const 16384)) (then (call $exit (i32.const 1))))
    (block $touched
      (loop $touch
        (br_if $touched (i32.ge_u (local.get $p) (i32.const 0x40000000)))
        (i32.store8 (local.get $p) (i32.const 1))
        (local.set $p (i32.add (local.get $p) (i32.const 4096)))
        (br $touch)))
    (call $exit (i32.const 0))))
