;;; iskra.el --- Iskra AI ghost text and code actions beside your own language server -*- lexical-binding: t; -*-

;; Version: 0.1.0
;; Package-Requires: ((emacs "28.1") (jsonrpc "1.0.14"))
;; Keywords: tools, convenience, languages
;; URL: https://github.com/iskra-ls/iskra-ls

;;; Commentary:

;; `iskra-mode' starts the `iskra-ls' language server on its own JSON-RPC connection (one per
;; project), the way copilot.el runs GitHub's: eglot or lsp-mode keep running your own
;; language server (pylsp, pyright, gopls, ...) in the same buffer, untouched.
;;
;; - Ghost text: `textDocument/inlineCompletion' answers are shown as an overlay at point while
;;   you type (after `iskra-idle-delay'), or when you ask (`iskra-complete').
;;   TAB accepts, M-<right> accepts a word, C-M-<right> a line, M-] / M-[ show the next /
;;   previous suggestion, C-g dismisses (see `iskra-completion-map').
;; - `iskra-code-action' lists Iskra's code actions for the region or point and runs one;
;;   `iskra-ask' sends a free-form instruction. The model's edits arrive as one
;;   `workspace/applyEdit', applied to buffers as one undoable change each.
;; - `iskra-status' shows the day's quota; the mode line shows what is left.
;;
;; Set-up: put `iskra-ls' on PATH (`pipx install .' in an iskra-ls checkout), sign in once
;; with `iskra-ls login', then
;;
;;   (add-to-list 'load-path "~/src/iskra-ls/editors/emacs")
;;   (require 'iskra)
;;   (add-hook 'prog-mode-hook #'iskra-mode)
;;
;; Positions are exchanged in UTF-32 (code points), which is what Emacs columns count.

;;; Code:

(require 'cl-lib)
(require 'jsonrpc)
(require 'project)
(require 'subr-x)
(require 'url-util)

(defgroup iskra nil
  "Iskra AI completions and code actions."
  :group 'tools
  :prefix "iskra-")

(defcustom iskra-server-command '("iskra-ls")
  "How to start the Iskra language server."
  :type '(repeat string))

(defcustom iskra-server-environment nil
  "Extra environment for the server, e.g. (\"ISKRA_API_URL=http://127.0.0.1:8787\").
Hand a token over as ISKRA_TOKEN=... here rather than in `iskra-settings'."
  :type '(repeat string))

(defcustom iskra-settings nil
  "Server settings (section `iskra'), a plist with camelCase keys as on the wire.
E.g. (:completion (:mode \"manual\") :actions (:model \"qwen3-coder-plus\"))."
  :type 'sexp)

(defcustom iskra-idle-delay 0.2
  "Seconds after the last edit before ghost text is asked for.
nil: only when asked (`iskra-complete').  The server adds its own
debounce and spends requests sparingly."
  :type '(choice (const :tag "Only when asked" nil) number))

(defface iskra-ghost-face '((t :inherit shadow))
  "Face of the ghost text.")

(defvar iskra-completion-map
  (let ((map (make-sparse-keymap)))
    (define-key map (kbd "TAB") #'iskra-accept)
    (define-key map (kbd "<tab>") #'iskra-accept)
    (define-key map (kbd "M-<right>") #'iskra-accept-word)
    (define-key map (kbd "C-M-<right>") #'iskra-accept-line)
    (define-key map (kbd "M-]") #'iskra-next)
    (define-key map (kbd "M-[") #'iskra-previous)
    (define-key map (kbd "C-g") #'iskra-dismiss)
    map)
  "Keys active while ghost text is shown.")

(defvar iskra-mode-map (make-sparse-keymap)
  "Keys of `iskra-mode'.
None by default: bind `iskra-complete', `iskra-code-action' and
`iskra-ask' where you like.")

;;; The connection: one server per project root

(defvar iskra--servers (make-hash-table :test #'equal)
  "Project root -> its `jsonrpc-process-connection'.")

(defvar iskra--status nil "The last `iskra/status' payload (a plist).")

(defvar-local iskra--server nil "This buffer's connection.")
(defvar-local iskra--version 0 "The version of this buffer last sent to the server.")
(defvar-local iskra--change-start nil "Start of the change under way, as an LSP position.")
(defvar-local iskra--change-end nil "End of the change under way, as an LSP position.")

(defconst iskra--empty (make-hash-table) "An empty JSON object.")

(defun iskra--root ()
  "The workspace folder of this buffer."
  (expand-file-name
   (or (when-let ((project (project-current))) (project-root project))
       (locate-dominating-file default-directory ".git")
       default-directory)))

(defun iskra--uri (path)
  "The file URI of PATH."
  (concat "file://" (url-hexify-string (expand-file-name path) url-path-allowed-chars)))

(defun iskra--path (uri)
  "The local path of the file URI URI."
  (decode-coding-string (url-unhex-string (string-remove-prefix "file://" uri)) 'utf-8))

(defun iskra--position (&optional pos)
  "POS (default point) as an LSP position, counted in code points."
  (save-excursion
    (save-restriction
      (widen)
      (goto-char (or pos (point)))
      (list :line (1- (line-number-at-pos)) :character (- (point) (line-beginning-position))))))

(defun iskra--point (position)
  "The buffer position of the LSP POSITION (code points)."
  (save-excursion
    (save-restriction
      (widen)
      (goto-char (point-min))
      (forward-line (plist-get position :line))
      (min (line-end-position) (+ (point) (plist-get position :character))))))

(defun iskra--connect (root)
  "Start a server for ROOT and initialize it; return the connection."
  (let* ((process-environment (append iskra-server-environment process-environment))
         (name (format "iskra %s" (abbreviate-file-name root)))
         (default-directory root)
         (conn (make-instance
                'jsonrpc-process-connection
                :name name
                :process (lambda ()
                           (make-process :name name :command iskra-server-command
                                         :connection-type 'pipe :coding 'utf-8-emacs-unix
                                         :noquery t
                                         :stderr (get-buffer-create (format "*%s stderr*" name))))
                :notification-dispatcher #'iskra--on-notification
                :request-dispatcher #'iskra--on-request
                :on-shutdown (lambda (_conn) (remhash root iskra--servers)))))
    (jsonrpc-request
     conn :initialize
     (list :processId (emacs-pid)
           :clientInfo (list :name "iskra.el" :version "0.1.0")
           :rootUri (iskra--uri root)
           :workspaceFolders (vector (list :uri (iskra--uri root) :name (file-name-nondirectory
                                                                          (directory-file-name root))))
           :initializationOptions (list :iskra (or iskra-settings iskra--empty))
           :capabilities
           (list :general (list :positionEncodings ["utf-32"])
                 :workspace (list :configuration t :applyEdit t
                                  :workspaceEdit (list :documentChanges t
                                                       :resourceOperations ["create" "rename" "delete"]))
                 :window (list :workDoneProgress t)
                 :textDocument (list :synchronization (list :didSave t)
                                     :inlineCompletion iskra--empty
                                     :codeAction (list :codeActionLiteralSupport
                                                       (list :codeActionKind
                                                             (list :valueSet ["" "quickfix" "refactor" "source"]))))))
     :timeout 60)  ; a first start on a busy machine imports a lot
    (jsonrpc-notify conn :initialized iskra--empty)
    (puthash root conn iskra--servers)
    conn))

(defun iskra--on-notification (_conn method params)
  "Handle the server's notification METHOD with PARAMS."
  (pcase method
    ('iskra/status (setq iskra--status params) (force-mode-line-update t))
    ('window/showMessage (message "%s" (plist-get params :message)))
    ('$/progress
     (when-let ((text (plist-get (plist-get params :value) :message)))
       (message "Iskra: %s" text)))
    (_ nil)))

(defun iskra--on-request (_conn method params)
  "Answer the server's request METHOD with PARAMS."
  (pcase method
    ('workspace/configuration (vector (or iskra-settings nil)))
    ('workspace/applyEdit (iskra--apply-workspace-edit (plist-get params :edit)))
    ('window/workDoneProgress/create nil)
    ('window/showMessageRequest
     (let* ((actions (append (plist-get params :actions) nil))
            (titles (mapcar (lambda (a) (plist-get a :title)) actions))
            (choice (and titles (completing-read (concat (plist-get params :message) " ")
                                                 titles nil t))))
       (seq-find (lambda (a) (equal (plist-get a :title) choice)) actions)))
    (_ (signal 'jsonrpc-error `((jsonrpc-error-code . -32601)
                                (jsonrpc-error-message . ,(format "%s: not supported" method)))))))

;;; Document synchronisation (incremental, sent at once: requests never see a stale text)

(defun iskra--did-open ()
  (setq iskra--version 1)
  (jsonrpc-notify iskra--server :textDocument/didOpen
                  (list :textDocument (list :uri (iskra--uri buffer-file-name)
                                            :languageId (replace-regexp-in-string
                                                         "\\(-ts\\)?-mode\\'" ""
                                                         (symbol-name major-mode))
                                            :version iskra--version
                                            :text (save-restriction (widen) (buffer-string))))))

(defun iskra--before-change (beg end)
  (setq iskra--change-start (iskra--position beg)
        iskra--change-end (iskra--position end)))

(defun iskra--after-change (beg end _old-length)
  (when (and iskra--server iskra--change-start)
    (cl-incf iskra--version)
    (jsonrpc-notify iskra--server :textDocument/didChange
                    (list :textDocument (list :uri (iskra--uri buffer-file-name)
                                              :version iskra--version)
                          :contentChanges
                          (vector (list :range (list :start iskra--change-start
                                                     :end iskra--change-end)
                                        :text (buffer-substring-no-properties beg end)))))
    (setq iskra--change-start nil)))

(defun iskra--did-save ()
  (jsonrpc-notify iskra--server :textDocument/didSave
                  (list :textDocument (list :uri (iskra--uri buffer-file-name)))))

(defun iskra--did-close ()
  (when (and iskra--server (jsonrpc-running-p iskra--server))
    (jsonrpc-notify iskra--server :textDocument/didClose
                    (list :textDocument (list :uri (iskra--uri buffer-file-name))))))

;;; Ghost text

(defvar-local iskra--items nil "The suggestions shown, each (START-MARKER END-MARKER TEXT COMMAND).")
(defvar-local iskra--index 0 "Which of `iskra--items' is shown.")
(defvar-local iskra--overlay nil)
(defvar-local iskra--showing nil "Non-nil while ghost text is shown (activates the keys).")
(defvar-local iskra--timer nil)
(defvar-local iskra--asked nil "(TICK . POINT) of the last request: its answer is for that state.")
(defvar-local iskra--shown-at nil "(TICK . POINT) where the ghost text is shown: it stays there.")

(defvar iskra--emulation-alist nil)
(add-to-list 'emulation-mode-map-alists 'iskra--emulation-alist)

(defun iskra--item (raw)
  "The item (START END TEXT COMMAND) of the server's RAW item.
nil when it cannot be shown at point."
  (let* ((text (plist-get raw :insertText))
         (text (if (stringp text) text (plist-get text :value)))
         (range (plist-get raw :range))
         (start (if range (iskra--point (plist-get range :start)) (point)))
         (end (if range (iskra--point (plist-get range :end)) (point))))
    (when (and (stringp text) (<= start (point)))
      (let ((s (copy-marker start)) (e (copy-marker end t)))
        (list s e text (plist-get raw :command))))))

(defun iskra--rest (item)
  "The part of ITEM's text not yet typed before point, or nil if it does not fit."
  (let ((typed (buffer-substring-no-properties (nth 0 item) (point)))
        (text (nth 2 item)))
    (and (<= (nth 0 item) (point)) (string-prefix-p typed text) (substring text (length typed)))))

(defun iskra--show ()
  "Show the current item's rest at point."
  (iskra--hide-overlay)
  (when-let* ((item (nth iskra--index iskra--items))
              (rest (iskra--rest item))
              ((not (string-empty-p rest))))
    (let ((ghost (propertize rest 'face 'iskra-ghost-face)))
      (put-text-property 0 1 'cursor t ghost)
      (setq iskra--overlay (make-overlay (point) (point) nil t nil))
      (overlay-put iskra--overlay 'after-string ghost)
      (overlay-put iskra--overlay 'iskra t)
      (setq iskra--showing t
            iskra--shown-at (cons (buffer-chars-modified-tick) (point)))
      (setq iskra--emulation-alist `((iskra--showing . ,iskra-completion-map))))))

(defun iskra--hide-overlay ()
  (when iskra--overlay (delete-overlay iskra--overlay))
  (setq iskra--overlay nil iskra--showing nil))

(defun iskra-dismiss ()
  "Hide the ghost text."
  (interactive)
  (iskra--hide-overlay)
  (setq iskra--items nil))

(defun iskra-ghost-text ()
  "The ghost text shown in this buffer, or nil."
  (and iskra--overlay (substring-no-properties (overlay-get iskra--overlay 'after-string))))

(defun iskra--request-completion (invoked)
  "Ask for inline completions at point; INVOKED when the user asked."
  (when (and iskra--server (jsonrpc-running-p iskra--server))
    (let ((buffer (current-buffer))
          (asked (cons (buffer-chars-modified-tick) (point))))
      (setq iskra--asked asked)
      (jsonrpc-async-request
       iskra--server :textDocument/inlineCompletion
       (list :textDocument (list :uri (iskra--uri buffer-file-name))
             :position (iskra--position)
             :context (list :triggerKind (if invoked 1 2)))
       :success-fn
       (lambda (result)
         (when (buffer-live-p buffer)
           (with-current-buffer buffer
             (when (equal asked (cons (buffer-chars-modified-tick) (point)))
               (let ((raw (if (plist-member result :items) (plist-get result :items) result)))
                 (setq iskra--items (delq nil (mapcar #'iskra--item (append raw nil)))
                       iskra--index 0)
                 (if iskra--items (iskra--show)
                   (when invoked (message "Iskra: no suggestion here"))))))))
       :error-fn (lambda (err) (message "Iskra: %s" (plist-get err :message)))
       :timeout-fn #'ignore))))

(defun iskra-complete ()
  "Ask Iskra for a suggestion at point now (an invoked request, not debounced)."
  (interactive)
  (iskra--request-completion t))

(defun iskra--accepted (item)
  "Tell the server ITEM was accepted (its command), without waiting."
  (when-let ((command (nth 3 item)))
    (jsonrpc-async-request iskra--server :workspace/executeCommand
                           (list :command (plist-get command :command)
                                 :arguments (plist-get command :arguments))
                           :success-fn #'ignore :error-fn #'ignore :timeout-fn #'ignore)))

(defun iskra-accept ()
  "Insert the whole suggestion (it replaces the range the server gave)."
  (interactive)
  (when-let ((item (nth iskra--index iskra--items)))
    (iskra--hide-overlay)
    (setq iskra--items nil)
    (let ((start (marker-position (nth 0 item))) (end (marker-position (nth 1 item))))
      (goto-char start)
      (delete-region start (max end start))
      (insert (nth 2 item)))
    (iskra--accepted item)))

(defun iskra--accept-piece (regexp)
  "Insert the start of the suggestion's rest that matches REGEXP.
The rest stays shown."
  (when-let* ((item (nth iskra--index iskra--items))
              (rest (iskra--rest item)))
    (let ((piece (if (string-match regexp rest) (match-string 0 rest) rest)))
      (insert (if (string-empty-p piece) rest piece))
      (if (string-empty-p (or (iskra--rest item) ""))
          (progn (iskra-dismiss) (iskra--accepted item))
        (iskra--show)))))

(defun iskra-accept-word ()
  "Insert the next word of the suggestion."
  (interactive)
  (iskra--accept-piece "\\`\\(?:\n[ \t]*\\)?[ \t]*\\(?:\\(?:\\sw\\|\\s_\\)+\\|[^ \t\n[:alnum:]_]+\\)"))

(defun iskra-accept-line ()
  "Insert the suggestion up to the end of its current line."
  (interactive)
  (iskra--accept-piece "\\`\n?[^\n]*"))

(defun iskra-next (&optional step)
  "Show the next suggestion (STEP items on)."
  (interactive)
  (when iskra--items
    (setq iskra--index (mod (+ iskra--index (or step 1)) (length iskra--items)))
    (iskra--show)
    (when (= (length iskra--items) 1) (message "Iskra: this is the only suggestion"))))

(defun iskra-previous ()
  "Show the previous suggestion."
  (interactive)
  (iskra-next -1))

(defconst iskra--own-commands
  '(iskra-accept iskra-accept-word iskra-accept-line iskra-next iskra-previous iskra-dismiss
    iskra-complete)
  "Commands that work on the ghost text and must not hide it or ask again.")

(defvar-local iskra--last-tick nil)

(defun iskra--post-command ()
  "Hide ghost text once point moves or the text changes; after an edit, ask again."
  (unless (or (memq this-command iskra--own-commands)
              (equal iskra--shown-at (cons (buffer-chars-modified-tick) (point))))
    (let ((tick (buffer-chars-modified-tick)))
      (iskra-dismiss)
      (when (and iskra-idle-delay (not (equal tick iskra--last-tick)))
        (when iskra--timer (cancel-timer iskra--timer))
        (let ((buffer (current-buffer)))
          (setq iskra--timer
                (run-with-timer iskra-idle-delay nil
                                (lambda ()
                                  (when (buffer-live-p buffer)
                                    (with-current-buffer buffer
                                      (when (equal tick (buffer-chars-modified-tick))
                                        (iskra--request-completion nil))))))))))
    (setq iskra--last-tick (buffer-chars-modified-tick))))

;;; Workspace edits from actions

(defun iskra--apply-text-edits (edits)
  "Apply the LSP EDITS to this buffer as one undoable change.
All EDITS are against the text before any of them."
  (let ((spans (mapcar (lambda (e)
                         (let ((range (plist-get e :range)))
                           (list (copy-marker (iskra--point (plist-get range :start)))
                                 (copy-marker (iskra--point (plist-get range :end)) t)
                                 (plist-get e :newText))))
                       (append edits nil)))
        (group (prepare-change-group)))
    (unwind-protect
        (save-excursion
          (save-restriction
            (widen)
            (activate-change-group group)
            (dolist (span spans)
              (goto-char (nth 0 span))
              (delete-region (nth 0 span) (nth 1 span))
              (insert (nth 2 span)))
            (accept-change-group group)
            (undo-amalgamate-change-group group)))
      (dolist (span spans) (set-marker (nth 0 span) nil) (set-marker (nth 1 span) nil)))))

(defun iskra--document-edit (change)
  "Apply one TextDocumentEdit CHANGE; signal an error when its version is stale."
  (let* ((doc (plist-get change :textDocument))
         (buffer (find-file-noselect (iskra--path (plist-get doc :uri))))
         (version (plist-get doc :version)))
    (with-current-buffer buffer
      (when (and version iskra--server (/= version iskra--version))
        (error "%s changed since Iskra read it" (buffer-name)))
      (iskra--apply-text-edits (plist-get change :edits)))))

(defun iskra--resource-operation (change)
  "Apply one create/rename/delete CHANGE."
  (pcase (plist-get change :kind)
    ("create"
     (let ((path (iskra--path (plist-get change :uri))))
       (make-directory (file-name-directory path) t)
       (unless (file-exists-p path) (write-region "" nil path nil 'silent))
       (find-file-noselect path)))
    ("rename"
     (let ((old (iskra--path (plist-get change :oldUri)))
           (new (iskra--path (plist-get change :newUri))))
       (make-directory (file-name-directory new) t)
       (rename-file old new)
       (when-let ((buffer (find-buffer-visiting old)))
         (with-current-buffer buffer (set-visited-file-name new t t)))))
    ("delete"
     (let ((path (iskra--path (plist-get change :uri))))
       (when-let ((buffer (find-buffer-visiting path))) (kill-buffer buffer))
       (if (file-directory-p path) (delete-directory path t) (delete-file path))))))

(defun iskra--apply-workspace-edit (edit)
  "Apply the WorkspaceEdit EDIT; answer `workspace/applyEdit'."
  (condition-case err
      (progn
        (dolist (change (append (plist-get edit :documentChanges) nil))
          (if (plist-get change :kind)
              (iskra--resource-operation change)
            (iskra--document-edit change)))
        (cl-loop for (uri edits) on (plist-get edit :changes) by #'cddr
                 do (iskra--document-edit
                     (list :textDocument (list :uri (substring (symbol-name uri) 1))
                           :edits edits)))
        (list :applied t))
    (error (list :applied :json-false :failureReason (error-message-string err)))))

;;; Code actions, Ask, status

(defun iskra--range ()
  "The region, or the current line, as an LSP range."
  (if (use-region-p)
      (list :start (iskra--position (region-beginning)) :end (iskra--position (region-end)))
    (list :start (iskra--position (line-beginning-position))
          :end (iskra--position (line-end-position)))))

(defun iskra--run (command arguments)
  "Run the server COMMAND with ARGUMENTS; the server shows the outcome itself."
  (message "Iskra: working on it…")
  (jsonrpc-async-request iskra--server :workspace/executeCommand
                         (list :command command :arguments arguments)
                         :success-fn #'ignore
                         :error-fn (lambda (err) (message "Iskra: %s" (plist-get err :message)))
                         :timeout 3600 :timeout-fn #'ignore))

(defun iskra-code-action ()
  "Choose one of Iskra's code actions for the region (or point) and run it."
  (interactive)
  (iskra--require-server)
  (let* ((range (if (use-region-p) (iskra--range)
                  (list :start (iskra--position) :end (iskra--position))))
         (actions (append (jsonrpc-request
                           iskra--server :textDocument/codeAction
                           (list :textDocument (list :uri (iskra--uri buffer-file-name))
                                 :range range
                                 :context (list :diagnostics [] :triggerKind 1)))
                          nil))
         (titles (mapcar (lambda (a) (plist-get a :title)) actions)))
    (if (null actions)
        (message "Iskra: no actions here")
      (let* ((title (completing-read "Iskra action: " titles nil t))
             (action (seq-find (lambda (a) (equal (plist-get a :title) title)) actions))
             (command (plist-get action :command))
             (command (if (stringp command) action command)))
        (iskra--run (plist-get command :command) (plist-get command :arguments))))))

(defun iskra-ask (instruction)
  "Send INSTRUCTION about the region (or the current line) to Iskra."
  (interactive "sAsk Iskra: ")
  (iskra--require-server)
  (iskra--run "iskra.ask" (vector (list :uri (iskra--uri buffer-file-name)
                                        :range (iskra--range)
                                        :instruction instruction))))

(defun iskra-status ()
  "Show the day's quota."
  (interactive)
  (iskra--require-server)
  (let ((status (jsonrpc-request iskra--server :workspace/executeCommand
                                 (list :command "iskra.status" :arguments []))))
    (setq iskra--status status)
    (message "Iskra: %s, %s of %s requests left today"
             (plist-get status :state) (plist-get status :remaining) (plist-get status :limit))))

(defun iskra--lighter ()
  (let ((remaining (plist-get iskra--status :remaining))
        (limit (plist-get iskra--status :limit)))
    (if (and remaining limit) (format " Iskra:%s/%s" remaining limit) " Iskra")))

(defun iskra--require-server ()
  (unless (and iskra--server (jsonrpc-running-p iskra--server))
    (user-error "Iskra is not running in this buffer: M-x iskra-mode")))

;;; The minor mode

(defconst iskra--hooks
  '((before-change-functions . iskra--before-change)
    (after-change-functions . iskra--after-change)
    (after-save-hook . iskra--did-save)
    (kill-buffer-hook . iskra--did-close)
    (post-command-hook . iskra--post-command))
  "The buffer-local hooks `iskra-mode' adds.")

;;;###autoload
(define-minor-mode iskra-mode
  "Iskra ghost text and code actions in this buffer.
Runs beside any other language server (eglot, lsp-mode)."
  :lighter (:eval (iskra--lighter))
  :keymap iskra-mode-map
  (if iskra-mode
      (cond
       ((not buffer-file-name)
        (setq iskra-mode nil)
        (message "Iskra: this buffer has no file"))
       ((not (executable-find (car iskra-server-command)))
        (setq iskra-mode nil)
        (message "Iskra: `%s' was not found: pipx install . in an iskra-ls checkout, or set \
`iskra-server-command'" (car iskra-server-command)))
       (t
        (let ((root (iskra--root)))
          (setq iskra--server (or (let ((conn (gethash root iskra--servers)))
                                    (and conn (jsonrpc-running-p conn) conn))
                                  (iskra--connect root))))
        (iskra--did-open)
        (pcase-dolist (`(,hook . ,fn) iskra--hooks) (add-hook hook fn nil t))))
    (iskra-dismiss)
    (iskra--did-close)
    (pcase-dolist (`(,hook . ,fn) iskra--hooks) (remove-hook hook fn t))
    (setq iskra--server nil)))

(defun iskra-shutdown ()
  "Stop every Iskra server."
  (interactive)
  (maphash (lambda (_root conn)
             (when (jsonrpc-running-p conn)
               (ignore-errors (jsonrpc-request conn :shutdown nil :timeout 3))
               (ignore-errors (jsonrpc-notify conn :exit nil))))
           iskra--servers)
  (clrhash iskra--servers))

(add-hook 'kill-emacs-hook #'iskra-shutdown)

(provide 'iskra)
;;; iskra.el ends here
