;; A guest that never returns: the per-component timeout must stop it (504), not the server.
(module
  (memory (export "memory") 1)
  (func (export "_start")
    (loop $forever (br $forever))))
