;;; test_iskra.el --- iskra.el end to end beside eglot + pylsp -*- lexical-binding: t; -*-

;; A Python buffer where eglot runs pylsp (the user's own language server) and iskra-mode
;; runs iskra-ls: ghost text while typing, accept / accept word / accept line / next /
;; dismiss, a code action that edits and creates files, Ask, and pylsp still answering.

;;; Code:

(require 'eglot)
(require 'iskra)
(load (expand-file-name "helpers.el" (file-name-directory load-file-name)))

(setq iskra-settings '(:completion (:debounceMs 0 :adaptiveDebounce :json-false)))
(setq eglot-server-programs '((python-mode . ("pylsp"))))
(add-hook 'python-mode-hook #'eglot-ensure)
(add-hook 'python-mode-hook #'iskra-mode)

(defun iskra-test-ghost (what expected)
  "Wait for the ghost text EXPECTED."
  (iskra-test-wait what (lambda () (equal (iskra-ghost-text) expected))))

(iskra-test-run
 (lambda ()
   (let* ((root (iskra-test-workspace
                 '(("calc.py" . "def add(a, b):\n    return\n\n\nx = 1\n"))))
          (file (expand-file-name "calc.py" root)))
     (find-file file)
     ;; eglot-ensure connects after the next command: a person's first keystroke.
     (global-set-key (kbd "<f12>") #'ignore)
     (iskra-test-type "<f12>")
     (iskra-test-wait "eglot with pylsp" (lambda () (eglot-managed-p)) 30)
     (iskra-test-wait "iskra-ls ready"
                      (lambda () (equal (plist-get iskra--status :state) "ready")) 30)
     (iskra-test-note 'servers (list (jsonrpc-name (eglot-current-server))
                                     (jsonrpc-name iskra--server)))

     ;; Ghost text while typing, TAB accepts it.
     (goto-char (point-min)) (forward-line 1) (end-of-line)
     (iskra-test-type "SPC")
     (iskra-test-ghost "ghost text after typing" "a + b")
     (iskra-test-type "TAB")
     (iskra-test-eq "accepted" (iskra-test-line 2) "    return a + b")
     (iskra-test-eq "ghost after accept" (iskra-ghost-text) nil)

     ;; Accept a word, then the line; M-] (next) keeps the one suggestion.
     (goto-char (point-min)) (forward-line 2)
     (iskra-test-type "y SPC = SPC")
     (iskra-test-ghost "the second suggestion" "add(1, 2) + add(3, 4)")
     (iskra-test-type "M-]")
     (iskra-test-eq "next with one suggestion" (iskra-ghost-text) "add(1, 2) + add(3, 4)")
     (iskra-test-type "M-<right>")
     (iskra-test-eq "a word accepted" (iskra-test-line 3) "y = add")
     (iskra-test-eq "the rest still shown" (iskra-ghost-text) "(1, 2) + add(3, 4)")
     (iskra-test-type "C-M-<right>")
     (iskra-test-eq "the line accepted" (iskra-test-line 3) "y = add(1, 2) + add(3, 4)")

     ;; C-g dismisses without inserting.
     (iskra-test-type "RET z SPC = SPC")
     (iskra-test-ghost "the third suggestion" "3")
     (iskra-test-type "C-g")
     (iskra-test-eq "dismissed" (iskra-ghost-text) nil)
     (iskra-test-eq "nothing inserted" (iskra-test-line 4) "z = ")

     ;; pylsp still serves this buffer beside Iskra.
     (goto-char (point-min)) (forward-word 2)
     (let ((hover (jsonrpc-request (eglot-current-server) :textDocument/hover
                                   (eglot--TextDocumentPositionParams))))
       (iskra-test-note 'pylsp-hover (format "%S" hover))
       (unless hover (error "pylsp gave no hover for `add'")))

     ;; A code action on the selected line: edits this buffer, creates helpers.py.
     (goto-char (point-min))
     (search-forward "x = 1")
     (set-mark (line-beginning-position)) (activate-mark)
     (cl-letf (((symbol-function 'completing-read)
                (lambda (_prompt titles &rest _)
                  (iskra-test-note 'actions titles)
                  (or (seq-find (lambda (title) (string-match-p "Refactor selection" title))
                                titles)
                      (error "No Refactor selection action in %S" titles)))))
       (iskra-code-action))
     (deactivate-mark)
     (iskra-test-wait "the action's edit" (lambda () (save-excursion
                                                      (goto-char (point-min))
                                                      (search-forward "x = 2" nil t)))
                      20)
     (iskra-test-wait "helpers.py" (lambda () (find-buffer-visiting
                                               (expand-file-name "helpers.py" root))))
     (iskra-test-wait "the action's message"
                      (lambda () (string-match-p "Moved the helper" (iskra-test-messages))))

     ;; Ask on the cursor line.
     (goto-char (point-min)) (search-forward "x = 2")
     (iskra-ask "set x to 10")
     (iskra-test-wait "the Ask edit" (lambda () (save-excursion
                                                 (goto-char (point-min))
                                                 (search-forward "x = 10" nil t)))
                      20)
     (iskra-test-wait "the Ask message"
                      (lambda () (string-match-p "Set x to 10\\." (iskra-test-messages))))
     (save-some-buffers t)
     (iskra-test-note 'calc (with-temp-buffer (insert-file-contents file) (buffer-string)))
     (iskra-test-note 'lighter (iskra--lighter))
     (unless (eglot-managed-p) (error "eglot stopped managing the buffer"))
     (iskra-shutdown))))

;;; test_iskra.el ends here
