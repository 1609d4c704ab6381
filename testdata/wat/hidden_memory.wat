;; A memory of at least 20 pages that is not exported: only instantiation can see its minimum.
(module
  (memory 20)
  (func (export "_start"))
)
