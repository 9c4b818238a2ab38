;;; iskra_package.el --- the README's iskra.el set-up, as written -*- lexical-binding: t; -*-

;; HOME holds src/iskra-ls (the checkout), so the snippet's load-path is right as written.
;; A Python buffer gets iskra-mode from prog-mode-hook, ghost text while typing, and the
;; snippet's keys.

;;; Code:

(load (expand-file-name "../emacs/helpers.el" (file-name-directory load-file-name)))
(load (getenv "ISKRA_SNIPPET"))

(iskra-test-run
 (lambda ()
   (let ((root (iskra-test-workspace '(("calc.py" . "def add(a, b):\n    return\n")))))
     (find-file (expand-file-name "calc.py" root))
     (unless (bound-and-true-p iskra-mode) (error "iskra-mode is not on in a Python buffer"))
     (iskra-test-eq "C-c i i" (key-binding (kbd "C-c i i")) 'iskra-complete)
     (iskra-test-eq "C-c i a" (key-binding (kbd "C-c i a")) 'iskra-code-action)
     (iskra-test-eq "C-c i q" (key-binding (kbd "C-c i q")) 'iskra-ask)
     (iskra-test-wait "iskra-ls ready"
                      (lambda () (equal (plist-get iskra--status :state) "ready")) 30)
     (goto-char (point-min)) (forward-line 1) (end-of-line)
     (iskra-test-type "SPC")
     (iskra-test-wait "ghost text" (lambda () (equal (iskra-ghost-text) "a + b")))
     (iskra-test-type "TAB")
     (iskra-test-eq "accepted" (iskra-test-line 2) "    return a + b")
     (iskra-shutdown))))
;;; iskra_package.el ends here
