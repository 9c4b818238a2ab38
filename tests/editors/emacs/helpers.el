;;; helpers.el --- driving real Emacs in batch for the Iskra tests -*- lexical-binding: t; -*-

;; A test is a body run by `iskra-test-run': it writes a JSON report whose `result' must be
;; the explicit "PASS" (a crash, an error or a hang leaves "FAIL" or no report). Keys are
;; typed with `execute-kbd-macro', so command hooks, keymaps and undo behave as for a person.
;; Waiting is for an event (polled while Emacs reads its processes and runs its timers).

;;; Code:

(require 'cl-lib)
(require 'json)

(defvar iskra-test-report (list (cons 'result "FAIL")) "The report, an alist.")

(defun iskra-test-note (name value)
  "Record VALUE under NAME in the report."
  (setf (alist-get name iskra-test-report) value))

(defun iskra-test-wait (what predicate &optional timeout)
  "Wait until PREDICATE returns non-nil (returned); fail after TIMEOUT s naming WHAT."
  (let ((deadline (+ (float-time) (or timeout 10)))
        value)
    (while (not (setq value (funcall predicate)))
      (when (> (float-time) deadline)
        (error "Timed out waiting for %s" what))
      (accept-process-output nil 0.02))
    value))

(defun iskra-test-eq (name actual expected)
  "Record ACTUAL under NAME; fail unless it equals EXPECTED."
  (iskra-test-note name actual)
  (unless (equal actual expected)
    (error "%s: expected %S, got %S" name expected actual)))

(defun iskra-test-type (keys)
  "Type KEYS (a `kbd' string) as a person would."
  (execute-kbd-macro (kbd keys)))

(defun iskra-test-line (n)
  "The text of line N (1-based) of the current buffer."
  (save-excursion
    (goto-char (point-min))
    (forward-line (1- n))
    (buffer-substring-no-properties (line-beginning-position) (line-end-position))))

(defun iskra-test-messages ()
  "What was said in the echo area so far."
  (with-current-buffer (messages-buffer) (buffer-string)))

(defun iskra-test-workspace (files)
  "A fresh workspace (a git root) holding FILES, an alist of (NAME . TEXT)."
  (let ((root (file-name-as-directory
               (make-temp-file (expand-file-name "ws-" (getenv "ISKRA_TEST_TMP")) t))))
    (make-directory (expand-file-name ".git" root))
    (dolist (file files)
      (with-temp-file (expand-file-name (car file) root) (insert (cdr file))))
    (iskra-test-note 'workspace root)
    root))

(defun iskra-test-run (body)
  "Run BODY, write the report, exit 0 only on PASS."
  (let ((ok nil))
    (condition-case err
        (progn (funcall body) (setq ok t))
      (error (iskra-test-note 'error (error-message-string err))))
    (iskra-test-note 'result (if ok "PASS" "FAIL"))
    (iskra-test-note 'messages (iskra-test-messages))
    (with-temp-file (getenv "ISKRA_TEST_RESULT")
      (insert (json-encode iskra-test-report)))
    (kill-emacs (if ok 0 1))))

(provide 'helpers)
;;; helpers.el ends here
