;;; eglot_complete.el --- the README's eglot set-up and its iskra-complete, as a person uses them -*- lexical-binding: t; -*-

;; The snippet (ISKRA_SNIPPET) is loaded as written. In a Python buffer managed by eglot with
;; iskra-ls: delete a line, type `y = ad', press C-c i at once: the suggestion must replace
;; the word before the cursor, and the server must have completed the text as it is now.

;;; Code:

(load (expand-file-name "../emacs/helpers.el" (file-name-directory load-file-name)))
(load (getenv "ISKRA_SNIPPET"))
(require 'eglot)
(add-hook 'python-mode-hook #'eglot-ensure)

(iskra-test-run
 (lambda ()
   (let ((root (iskra-test-workspace
                '(("calc.py" . "def add(a, b):\n    return a + b\n\nstale = 1\n")))))
     (find-file (expand-file-name "calc.py" root))
     (global-set-key (kbd "<f12>") #'ignore)
     (iskra-test-type "<f12>")  ; eglot-ensure connects after a command
     (iskra-test-wait "eglot with iskra-ls" (lambda () (eglot-managed-p)) 30)
     (iskra-test-note 'server (jsonrpc-name (eglot-current-server)))
     (goto-char (point-min)) (forward-line 3)
     (iskra-test-type "C-k C-k y SPC = SPC a d C-c i")
     (iskra-test-eq "the completed line" (iskra-test-line 4) "y = add(3, 4)")
     (iskra-test-note 'text (buffer-string)))))
;;; eglot_complete.el ends here
