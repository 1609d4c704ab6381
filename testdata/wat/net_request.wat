;; A guest of Bacalhau's `wasi:http/requests` for the network tests. argv[1..] is
;;   METHOD URL HEADERS BODY HEADERS_CAPACITY BODY_CAPACITY
;; (numbers in decimal; HEADERS may hold "\n"; empty HEADERS or BODY pass length 0). It calls
;; `http_request` once and prints
;;   result R
;; and, when R is 0,
;;   status S            (`-` when no status pointer was passed)
;;   headers N           then the N bytes written and a newline
;;   body M              then the M bytes written and a newline
;; Other entrypoints change one argument to provoke an error, or grow memory first:
;; `no_status` (status pointer 0), `zero_body_pointer`, `status_out_of_bounds`,
;; `url_out_of_bounds`, `grown` (two pages, so the body limit is 80% of 128 KiB).
;;
;; Memory: 0..16 the iovec and nwritten of `$print`; 1024 argv; 2048..8192 argv strings;
;; 8192/8196 the header and body capacity slots; 8200 the status slot; 8256.. labels;
;; 8320..8352 digits; 12288..16384 the header buffer; 16384.. the body buffer (one page).
(module
  (import "wasi:http/requests" "http_request"
    (func $http_request (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_get" (func $args_get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)

  (global $status_ptr (mut i32) (i32.const 8200))
  (global $body_buf (mut i32) (i32.const 16384))
  ;; 0: the URL is argv[2] itself.
  (global $url_ptr (mut i32) (i32.const 0))

  (data (i32.const 8256) "result ")
  (data (i32.const 8264) "status ")
  (data (i32.const 8272) "headers ")
  (data (i32.const 8280) "body ")
  (data (i32.const 8288) "-\n")

  (func $print (param $ptr i32) (param $len i32)
    (i32.store (i32.const 0) (local.get $ptr))
    (i32.store (i32.const 4) (local.get $len))
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8))))

  (func $newline (call $print (i32.const 8289) (i32.const 1)))

  ;; $n in decimal (unsigned), then a newline.
  (func $print_num (param $n i32)
    (local $p i32)
    (local.set $p (i32.const 8352))
    (loop $digits
      (local.set $p (i32.sub (local.get $p) (i32.const 1)))
      (i32.store8 (local.get $p)
        (i32.add (i32.const 48) (i32.rem_u (local.get $n) (i32.const 10))))
      (local.set $n (i32.div_u (local.get $n) (i32.const 10)))
      (br_if $digits (local.get $n)))
    (call $print (local.get $p) (i32.sub (i32.const 8352) (local.get $p)))
    (call $newline))

  (func $arg (param $i i32) (result i32)
    (i32.load (i32.add (i32.const 1024) (i32.mul (local.get $i) (i32.const 4)))))

  (func $strlen (param $p i32) (result i32)
    (local $n i32)
    (block $done
      (loop $scan
        (br_if $done (i32.eqz (i32.load8_u (i32.add (local.get $p) (local.get $n)))))
        (local.set $n (i32.add (local.get $n) (i32.const 1)))
        (br $scan)))
    (local.get $n))

  (func $arglen (param $i i32) (result i32)
    (call $strlen (call $arg (local.get $i))))

  (func $argnum (param $i i32) (result i32)
    (local $p i32) (local $end i32) (local $n i32)
    (local.set $p (call $arg (local.get $i)))
    (local.set $end (i32.add (local.get $p) (call $strlen (local.get $p))))
    (block $done
      (loop $digit
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (local.set $n
          (i32.add (i32.mul (local.get $n) (i32.const 10))
                   (i32.sub (i32.load8_u (local.get $p)) (i32.const 48))))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $digit)))
    (local.get $n))

  (func $main
    (local $result i32) (local $url i32)
    (drop (call $args_sizes_get (i32.const 12) (i32.const 16)))
    (drop (call $args_get (i32.const 1024) (i32.const 2048)))
    (local.set $url (call $arg (i32.const 2)))
    (if (global.get $url_ptr) (then (local.set $url (global.get $url_ptr))))
    (i32.store (i32.const 8192) (call $argnum (i32.const 5)))
    (i32.store (i32.const 8196) (call $argnum (i32.const 6)))
    (i32.store (i32.const 8200) (i32.const 0))
    (local.set $result
      (call $http_request
        (call $argnum (i32.const 1))
        (local.get $url) (call $arglen (i32.const 2))
        (call $arg (i32.const 3)) (call $arglen (i32.const 3))
        (call $arg (i32.const 4)) (call $arglen (i32.const 4))
        (i32.const 12288) (i32.const 8192)
        (global.get $body_buf) (i32.const 8196)
        (global.get $status_ptr)))
    (call $print (i32.const 8256) (i32.const 7))
    (call $print_num (local.get $result))
    (if (local.get $result) (then (return)))
    (call $print (i32.const 8264) (i32.const 7))
    (if (global.get $status_ptr)
      (then (call $print_num (i32.load (i32.const 8200))))
      (else (call $print (i32.const 8288) (i32.const 2))))
    (call $print (i32.const 8272) (i32.const 8))
    (call $print_num (i32.load (i32.const 8192)))
    (call $print (i32.const 12288) (i32.load (i32.const 8192)))
    (call $newline)
    (call $print (i32.const 8280) (i32.const 5))
    (call $print_num (i32.load (i32.const 8196)))
    (call $print (global.get $body_buf) (i32.load (i32.const 8196)))
    (call $newline))

  (func (export "_start") (call $main))
  (func (export "no_status") (global.set $status_ptr (i32.const 0)) (call $main))
  (func (export "zero_body_pointer") (global.set $body_buf (i32.const 0)) (call $main))
  (func (export "status_out_of_bounds") (global.set $status_ptr (i32.const 65534)) (call $main))
  (func (export "url_out_of_bounds") (global.set $url_ptr (i32.const 65530)) (call $main))
  (func (export "grown") (drop (memory.grow (i32.const 1))) (call $main))
)
