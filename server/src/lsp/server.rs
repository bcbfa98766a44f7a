//! The backend: shared state and the `LanguageServer` handlers.
//!
//! Handlers are thin: they take the lock, call into [`super::document`] or the module of their
//! feature ([`super::code_action`], [`super::hover`], [`super::completion`]...), release the
//! lock, and only then await anything. Every request handler runs under [`guarded`].
//! Document notifications never await at all: what they publish goes through the
//! [`Outbox`], in the order the edits were applied.

use std::collections::{HashMap, HashSet};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use serde_json::Value;
use tower_lsp_server::jsonrpc::{Error, Result};
use tower_lsp_server::ls_types::{
    CodeActionKind, CodeActionOptions, CodeActionParams, CodeActionProviderCapability,
    CodeActionResponse, CompletionItem, CompletionOptions, CompletionParams, CompletionResponse,
    ConfigurationItem, DidChangeConfigurationParams, DidChangeTextDocumentParams,
    DidCloseTextDocumentParams, DidOpenTextDocumentParams, DocumentFormattingParams,
    DocumentHighlight, DocumentHighlightParams, DocumentLink, DocumentLinkOptions,
    DocumentLinkParams, DocumentOnTypeFormattingOptions, DocumentOnTypeFormattingParams,
    DocumentRangeFormattingParams, DocumentSymbolParams, DocumentSymbolResponse, FoldingRange,
    FoldingRangeParams, FoldingRangeProviderCapability, GotoDefinitionParams,
    GotoDefinitionResponse, Hover, HoverParams, HoverProviderCapability, InitializeParams,
    InitializeResult, InitializedParams, InlayHint, InlayHintParams, Location, MessageType, OneOf,
    PositionEncodingKind, PrepareRenameResponse, ReferenceParams, RenameOptions, RenameParams,
    SelectionRange, SelectionRangeParams, SelectionRangeProviderCapability,
    SemanticTokensDeltaParams, SemanticTokensFullDeltaResult, SemanticTokensFullOptions,
    SemanticTokensOptions, SemanticTokensParams, SemanticTokensRangeParams,
    SemanticTokensRangeResult, SemanticTokensResult, SemanticTokensServerCapabilities,
    ServerCapabilities, ServerInfo, SignatureHelp, SignatureHelpOptions, SignatureHelpParams,
    TextDocumentPositionParams, TextDocumentSyncCapability, TextDocumentSyncKind,
    TextDocumentSyncOptions, TextEdit, Uri, WorkDoneProgressOptions, WorkspaceEdit,
    WorkspaceSymbolParams, WorkspaceSymbolResponse,
};
use tower_lsp_server::{Client, LanguageServer};

use super::code_action::{self, FIX_ALL_KIND};
use super::config::{self, SECTION};
use super::document::Document;
use super::outbox::{Outbox, Outgoing};
use super::{
    completion, folding, formatting, hints, hover, links, log, navigation, on_type_formatting,
    rename, selection, signature, symbols, tokens, workspace_symbols,
};
use crate::rules::Config;
use crate::text::Encoding;

/// Session-wide state set by `initialize` and configuration changes.
#[derive(Debug, Default)]
struct Session {
    /// The negotiated position encoding.
    encoding: Encoding,
    /// Whether the client answers `workspace/configuration`.
    pull_configuration: bool,
    /// The client's settings.
    settings: Config,
    /// Problems found during `initialize`, shown on `initialized` (notifications sent before
    /// then are dropped).
    early_problems: Vec<String>,
    /// Whether the client takes snippets in completion items.
    snippets: bool,
    /// Whether the client takes nested document symbols (else `SymbolInformation[]`).
    hierarchical_symbols: bool,
    /// Whether the client resolves completion items' documentation lazily.
    resolve_documentation: bool,
    /// Whether the client registers file watchers on request (`watched.rs`).
    watch_files: bool,
}

/// The state the request handlers read, shared with the requests answered beside
/// `tower-lsp-server`'s router ([`super::direct`]).
#[derive(Debug, Default)]
pub struct Shared {
    session: Mutex<Session>,
    documents: Mutex<HashMap<Uri, Document>>,
    /// The documentation of the last completion answer (for `completionItem/resolve`).
    completion_docs: Mutex<completion::Kept>,
}

impl Shared {
    /// The negotiated position encoding.
    pub fn encoding(&self) -> Encoding {
        lock(&self.session).encoding
    }

    /// Whether the client takes nested document symbols.
    pub fn hierarchical_symbols(&self) -> bool {
        lock(&self.session).hierarchical_symbols
    }

    /// The open documents, locked.
    pub fn documents(&self) -> MutexGuard<'_, HashMap<Uri, Document>> {
        lock(&self.documents)
    }
}

/// The language server.
#[derive(Debug)]
pub struct Backend {
    client: Client,
    outbox: Outbox,
    shared: Arc<Shared>,
    /// Problems already shown to the user (each is shown once).
    reported: Mutex<HashSet<String>>,
    /// Set when `shutdown` was received; read by [`super::run_stdio`] for the exit code.
    shut_down: Arc<AtomicBool>,
    /// ShellCheck runs, after the debounce (`lsp/shellcheck.rs`).
    shellcheck: super::shellcheck::ShellCheck,
}

/// Locks `mutex`, recovering the data when a panic poisoned it (state stays usable: every
/// update under these locks leaves it consistent).
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Runs the synchronous part of a request handler. A panic (a bug) is logged and answered with an
/// internal error instead of ending the session; a lock it poisoned is recovered by [`lock`].
pub(super) fn guarded<T>(what: &str, f: impl FnOnce() -> Result<T>) -> Result<T> {
    catch_unwind(AssertUnwindSafe(f)).unwrap_or_else(|payload| {
        log(format_args!(
            "{what} failed (panicked: {}); answered with an internal error",
            panic_message(payload.as_ref())
        ));
        Err(Error::internal_error())
    })
}

/// The message of a panic payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(ToString::to_string)
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_string())
}

/// The error for a request about a document that is not open.
pub(super) fn not_open(uri: &Uri) -> Error {
    Error::invalid_params(format!(
        "layerwise: document {} is not open (send textDocument/didOpen first)",
        uri.as_str()
    ))
}

impl Backend {
    /// A backend answering through `client`; `shut_down` is set on `shutdown`. Notifications of
    /// its own go to `frames` (whole frames for the output) when given, else through `client`.
    pub fn new(
        client: Client,
        shut_down: Arc<AtomicBool>,
        frames: Option<super::outbox::Queue>,
    ) -> Self {
        Self {
            outbox: Outbox::spawn(client.clone(), frames),
            client,
            shared: Arc::default(),
            reported: Mutex::new(HashSet::new()),
            shut_down,
            shellcheck: super::shellcheck::ShellCheck::default(),
        }
    }

    fn encoding(&self) -> Encoding {
        self.shared.encoding()
    }

    /// The state shared with the requests answered beside the router.
    pub fn shared(&self) -> Arc<Shared> {
        Arc::clone(&self.shared)
    }

    /// Shows each problem once (and logs it).
    fn report(&self, problems: Vec<String>) {
        if problems.is_empty() {
            return;
        }
        let mut reported = lock(&self.reported);
        for problem in problems {
            if reported.insert(problem.clone()) {
                log(&problem);
                self.outbox.push(Outgoing::Message {
                    kind: MessageType::WARNING,
                    text: format!("layerwise: {problem}"),
                });
            }
        }
    }

    /// Replaces the client settings and re-analyses every open document.
    fn apply_settings(&self, settings: &Value) {
        let (config, problems) = config::from_client_settings(settings);
        lock(&self.shared.session).settings = config;
        self.report(problems);
        self.reanalyse_all();
    }

    /// Re-analyses and republishes every open document.
    fn reanalyse_all(&self) {
        let (settings, enc) = {
            let session = lock(&self.shared.session);
            (session.settings.clone(), session.encoding)
        };
        let mut problems = Vec::new();
        {
            let mut documents = lock(&self.shared.documents);
            for (uri, doc) in documents.iter_mut() {
                if let Some(out) = doc.analyse(uri, &settings, enc, &mut problems) {
                    self.outbox.push(out);
                }
            }
        }
        self.report(problems);
    }

    /// After a panic while applying or analysing a change, the document's state cannot be
    /// trusted (an edit may be half applied): stop tracking it, clear its diagnostics, and tell
    /// the user once. Its next `didChange` is ignored as for any document that is not open;
    /// reopening it starts afresh.
    fn forget_after_panic(
        &self,
        uri: &Uri,
        what: &str,
        payload: &(dyn std::any::Any + Send),
        problems: &mut Vec<String>,
    ) {
        log(format_args!(
            "{what} for {} failed (panicked: {})",
            uri.as_str(),
            panic_message(payload)
        ));
        lock(&self.shared.documents).remove(uri);
        self.outbox.push(Outgoing::Diagnostics {
            uri: uri.clone(),
            version: None,
            diagnostics: Vec::new(),
        });
        problems.push(format!(
            "an internal error stopped the analysis of {}; close and reopen it to start again",
            uri.as_str()
        ));
    }

    /// Asks the client for our settings section and applies the answer.
    async fn pull_settings(&self) {
        let item = ConfigurationItem {
            scope_uri: None,
            section: Some(SECTION.to_string()),
        };
        match self.client.configuration(vec![item]).await {
            Ok(values) => match values.into_iter().next() {
                // `null`: the client has no settings for us; keep `initializationOptions`.
                None | Some(Value::Null) => {}
                Some(settings) => self.apply_settings(&settings),
            },
            Err(e) => log(format_args!("workspace/configuration failed: {e}")),
        }
    }
}

impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let offered = params
            .capabilities
            .general
            .as_ref()
            .and_then(|general| general.position_encodings.as_deref())
            .unwrap_or_default();
        let encoding = Encoding::negotiate(offered.iter().map(PositionEncodingKind::as_str));
        let pull_configuration = params
            .capabilities
            .workspace
            .as_ref()
            .and_then(|workspace| workspace.configuration)
            .unwrap_or(false);
        let snippets = params
            .capabilities
            .text_document
            .as_ref()
            .and_then(|text| text.completion.as_ref())
            .and_then(|completion| completion.completion_item.as_ref())
            .and_then(|item| item.snippet_support)
            .unwrap_or(false);
        let resolve_documentation = params
            .capabilities
            .text_document
            .as_ref()
            .and_then(|text| text.completion.as_ref())
            .and_then(|completion| completion.completion_item.as_ref())
            .and_then(|item| item.resolve_support.as_ref())
            .is_some_and(|support| support.properties.iter().any(|p| p == "documentation"));
        let hierarchical_symbols = params
            .capabilities
            .text_document
            .as_ref()
            .and_then(|text| text.document_symbol.as_ref())
            .and_then(|symbol| symbol.hierarchical_document_symbol_support)
            .unwrap_or(false);
        {
            let mut session = lock(&self.shared.session);
            session.encoding = encoding;
            session.hierarchical_symbols = hierarchical_symbols;
            session.resolve_documentation = resolve_documentation;
            session.pull_configuration = pull_configuration;
            session.snippets = snippets;
            session.watch_files = super::watched::supported(&params);
            if let Some(options) = &params.initialization_options {
                let (settings, problems) = config::from_client_settings(options);
                session.settings = settings;
                session.early_problems = problems;
            }
        }
        Ok(InitializeResult {
            capabilities: capabilities(encoding),
            server_info: Some(ServerInfo {
                name: "layerwise".to_string(),
                version: Some(env!("CARGO_PKG_VERSION").to_string()),
            }),
            offset_encoding: None,
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        let (pull, problems) = {
            let mut session = lock(&self.shared.session);
            (
                session.pull_configuration,
                std::mem::take(&mut session.early_problems),
            )
        };
        self.report(problems);
        let watch = lock(&self.shared.session).watch_files;
        if watch {
            let registered = self
                .client
                .register_capability(vec![super::watched::registration()])
                .await;
            if let Err(e) = registered {
                log(format_args!("the client refused the file watchers: {e}"));
            }
        }
        if pull {
            self.pull_settings().await;
        }
    }

    async fn did_change_watched_files(
        &self,
        _: tower_lsp_server::ls_types::DidChangeWatchedFilesParams,
    ) {
        super::watched::changed(&mut lock(&self.shared.documents));
    }

    async fn shutdown(&self) -> Result<()> {
        self.shut_down.store(true, Ordering::SeqCst);
        Ok(())
    }

    async fn did_open(&self, params: DidOpenTextDocumentParams) {
        let item = params.text_document;
        let (settings, enc) = {
            let session = lock(&self.shared.session);
            (session.settings.clone(), session.encoding)
        };
        let mut problems = Vec::new();
        let uri = item.uri.clone();
        let opened = catch_unwind(AssertUnwindSafe(|| {
            let mut documents = lock(&self.shared.documents);
            let mut doc = Document::open(&item.uri, item.text, item.version);
            if let Some(out) = doc.analyse(&item.uri, &settings, enc, &mut problems) {
                self.outbox.push(out);
                let (outbox, uri) = (self.outbox.clone(), item.uri.clone());
                self.shellcheck
                    .schedule(self.shared(), outbox, uri, item.version);
            }
            documents.insert(item.uri, doc);
        }));
        if let Err(payload) = opened {
            self.forget_after_panic(&uri, "didOpen", payload.as_ref(), &mut problems);
        }
        self.report(problems);
    }

    async fn did_change(&self, params: DidChangeTextDocumentParams) {
        let id = params.text_document;
        let (settings, enc) = {
            let session = lock(&self.shared.session);
            (session.settings.clone(), session.encoding)
        };
        let mut problems = Vec::new();
        let changed = catch_unwind(AssertUnwindSafe(|| {
            let mut documents = lock(&self.shared.documents);
            let Some(doc) = documents.get_mut(&id.uri) else {
                log(format_args!(
                    "ignored didChange for {}: the document is not open",
                    id.uri.as_str()
                ));
                return;
            };
            if id.version <= doc.version {
                log(format_args!(
                    "ignored didChange for {}: version {} is not after the current version {}",
                    id.uri.as_str(),
                    id.version,
                    doc.version
                ));
                return;
            }
            doc.apply_changes(&params.content_changes, id.version, enc);
            if let Some(out) = doc.analyse(&id.uri, &settings, enc, &mut problems) {
                self.outbox.push(out);
                let (outbox, uri) = (self.outbox.clone(), id.uri.clone());
                self.shellcheck
                    .schedule(self.shared(), outbox, uri, id.version);
            }
        }));
        if let Err(payload) = changed {
            self.forget_after_panic(&id.uri, "didChange", payload.as_ref(), &mut problems);
        }
        self.report(problems);
    }

    async fn did_close(&self, params: DidCloseTextDocumentParams) {
        let uri = params.text_document.uri;
        self.shellcheck.forget(&uri);
        let closed = lock(&self.shared.documents).remove(&uri);
        match closed {
            Some(doc) => super::document::release(doc),
            None => log(format_args!(
                "didClose for {}, which is not open",
                uri.as_str()
            )),
        }
        self.outbox.push(Outgoing::Diagnostics {
            uri,
            version: None,
            diagnostics: Vec::new(),
        });
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        if config::carries_settings(&params.settings) {
            self.apply_settings(&params.settings);
        } else if lock(&self.shared.session).pull_configuration {
            self.pull_settings().await;
        } else {
            // Nothing to read; `.layerwise.toml` files may have changed, though.
            self.reanalyse_all();
        }
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        let enc = self.encoding();
        guarded("codeAction", || {
            let documents = lock(&self.shared.documents);
            let uri = &params.text_document.uri;
            let doc = documents.get(uri).ok_or_else(|| not_open(uri))?;
            let actions = code_action::actions(uri, doc, &params.range, &params.context, enc);
            Ok(Some(actions))
        })
    }

    async fn hover(&self, params: HoverParams) -> Result<Option<Hover>> {
        let enc = self.encoding();
        guarded("hover", || {
            let documents = lock(&self.shared.documents);
            let at = params.text_document_position_params;
            let doc = documents
                .get(&at.text_document.uri)
                .ok_or_else(|| not_open(&at.text_document.uri))?;
            Ok(hover::hover(doc, at.position, enc))
        })
    }

    async fn completion(&self, params: CompletionParams) -> Result<Option<CompletionResponse>> {
        let (enc, snippets, deferred) = {
            let session = lock(&self.shared.session);
            (
                session.encoding,
                session.snippets,
                session.resolve_documentation,
            )
        };
        guarded("completion", || {
            let documents = lock(&self.shared.documents);
            let at = params.text_document_position;
            let doc = documents
                .get(&at.text_document.uri)
                .ok_or_else(|| not_open(&at.text_document.uri))?;
            let mut items = completion::completion(doc, at.position, enc, snippets);
            if deferred {
                completion::defer_documentation(
                    &mut items,
                    &mut lock(&self.shared.completion_docs),
                );
            }
            Ok(Some(CompletionResponse::Array(items)))
        })
    }

    async fn completion_resolve(&self, item: CompletionItem) -> Result<CompletionItem> {
        guarded("completionItem/resolve", || {
            Ok(completion::resolve(
                item,
                &lock(&self.shared.completion_docs),
            ))
        })
    }

    async fn goto_definition(
        &self,
        params: GotoDefinitionParams,
    ) -> Result<Option<GotoDefinitionResponse>> {
        let enc = self.encoding();
        guarded("definition", || {
            let documents = lock(&self.shared.documents);
            let at = params.text_document_position_params;
            let uri = &at.text_document.uri;
            let doc = documents.get(uri).ok_or_else(|| not_open(uri))?;
            Ok(navigation::definition(uri, doc, at.position, enc))
        })
    }

    async fn references(&self, params: ReferenceParams) -> Result<Option<Vec<Location>>> {
        let enc = self.encoding();
        guarded("references", || {
            let documents = lock(&self.shared.documents);
            let at = params.text_document_position;
            let uri = &at.text_document.uri;
            let doc = documents.get(uri).ok_or_else(|| not_open(uri))?;
            let declarations = params.context.include_declaration;
            Ok(Some(navigation::references(
                uri,
                doc,
                at.position,
                enc,
                declarations,
            )))
        })
    }

    async fn document_highlight(
        &self,
        params: DocumentHighlightParams,
    ) -> Result<Option<Vec<DocumentHighlight>>> {
        let enc = self.encoding();
        guarded("documentHighlight", || {
            let documents = lock(&self.shared.documents);
            let at = params.text_document_position_params;
            let uri = &at.text_document.uri;
            let doc = documents.get(uri).ok_or_else(|| not_open(uri))?;
            Ok(Some(navigation::highlight(doc, at.position, enc)))
        })
    }

    async fn prepare_rename(
        &self,
        params: TextDocumentPositionParams,
    ) -> Result<Option<PrepareRenameResponse>> {
        let enc = self.encoding();
        guarded("prepareRename", || {
            let documents = lock(&self.shared.documents);
            let uri = &params.text_document.uri;
            let doc = documents.get(uri).ok_or_else(|| not_open(uri))?;
            Ok(rename::prepare(doc, params.position, enc))
        })
    }

    async fn rename(&self, params: RenameParams) -> Result<Option<WorkspaceEdit>> {
        let enc = self.encoding();
        guarded("rename", || {
            let documents = lock(&self.shared.documents);
            let at = params.text_document_position;
            let uri = &at.text_document.uri;
            let doc = documents.get(uri).ok_or_else(|| not_open(uri))?;
            rename::rename(uri, doc, at.position, &params.new_name, enc).map(Some)
        })
    }

    async fn folding_range(&self, params: FoldingRangeParams) -> Result<Option<Vec<FoldingRange>>> {
        guarded("foldingRange", || {
            let documents = lock(&self.shared.documents);
            let uri = &params.text_document.uri;
            let doc = documents.get(uri).ok_or_else(|| not_open(uri))?;
            Ok(Some(folding::folding_ranges(doc)))
        })
    }

    async fn selection_range(
        &self,
        params: SelectionRangeParams,
    ) -> Result<Option<Vec<SelectionRange>>> {
        let enc = self.encoding();
        guarded("selectionRange", || {
            let documents = lock(&self.shared.documents);
            let uri = &params.text_document.uri;
            let doc = documents.get(uri).ok_or_else(|| not_open(uri))?;
            Ok(Some(selection::selection_ranges(
                doc,
                &params.positions,
                enc,
            )))
        })
    }

    async fn document_link(&self, params: DocumentLinkParams) -> Result<Option<Vec<DocumentLink>>> {
        let enc = self.encoding();
        guarded("documentLink", || {
            let documents = lock(&self.shared.documents);
            let uri = &params.text_document.uri;
            let doc = documents.get(uri).ok_or_else(|| not_open(uri))?;
            Ok(Some(links::document_links(doc, enc)))
        })
    }

    async fn semantic_tokens_full(
        &self,
        params: SemanticTokensParams,
    ) -> Result<Option<SemanticTokensResult>> {
        let enc = self.encoding();
        guarded("semanticTokens/full", || {
            let mut documents = lock(&self.shared.documents);
            let uri = &params.text_document.uri;
            let doc = documents.get_mut(uri).ok_or_else(|| not_open(uri))?;
            let mut kept = doc.semantic_tokens.take();
            let answer = tokens::full(doc, &mut kept, enc);
            doc.semantic_tokens = kept;
            Ok(Some(SemanticTokensResult::Tokens(answer)))
        })
    }

    async fn semantic_tokens_full_delta(
        &self,
        params: SemanticTokensDeltaParams,
    ) -> Result<Option<SemanticTokensFullDeltaResult>> {
        let enc = self.encoding();
        guarded("semanticTokens/full/delta", || {
            let mut documents = lock(&self.shared.documents);
            let uri = &params.text_document.uri;
            let doc = documents.get_mut(uri).ok_or_else(|| not_open(uri))?;
            let mut kept = doc.semantic_tokens.take();
            let answer = tokens::full_delta(doc, &mut kept, &params.previous_result_id, enc);
            doc.semantic_tokens = kept;
            Ok(Some(answer))
        })
    }

    async fn semantic_tokens_range(
        &self,
        params: SemanticTokensRangeParams,
    ) -> Result<Option<SemanticTokensRangeResult>> {
        let enc = self.encoding();
        guarded("semanticTokens/range", || {
            let documents = lock(&self.shared.documents);
            let uri = &params.text_document.uri;
            let doc = documents.get(uri).ok_or_else(|| not_open(uri))?;
            Ok(Some(SemanticTokensRangeResult::Tokens(
                tokens::semantic_tokens(doc, Some(params.range), enc),
            )))
        })
    }

    async fn signature_help(&self, params: SignatureHelpParams) -> Result<Option<SignatureHelp>> {
        let enc = self.encoding();
        guarded("signatureHelp", || {
            let documents = lock(&self.shared.documents);
            let at = params.text_document_position_params;
            let uri = &at.text_document.uri;
            let doc = documents.get(uri).ok_or_else(|| not_open(uri))?;
            Ok(signature::signature_help(doc, at.position, enc))
        })
    }

    async fn inlay_hint(&self, params: InlayHintParams) -> Result<Option<Vec<InlayHint>>> {
        let enc = self.encoding();
        guarded("inlayHint", || {
            let documents = lock(&self.shared.documents);
            let uri = &params.text_document.uri;
            let doc = documents.get(uri).ok_or_else(|| not_open(uri))?;
            let mut out = hints::inlay_hints(doc, params.range, enc);
            out.extend(super::context_hints::context_hints(
                doc,
                uri,
                params.range,
                enc,
            ));
            Ok(Some(out))
        })
    }

    async fn formatting(&self, params: DocumentFormattingParams) -> Result<Option<Vec<TextEdit>>> {
        let enc = self.encoding();
        guarded("formatting", || {
            let documents = lock(&self.shared.documents);
            let uri = &params.text_document.uri;
            let doc = documents.get(uri).ok_or_else(|| not_open(uri))?;
            Ok(Some(formatting::format(doc, &params.options, None, enc)))
        })
    }

    async fn range_formatting(
        &self,
        params: DocumentRangeFormattingParams,
    ) -> Result<Option<Vec<TextEdit>>> {
        let enc = self.encoding();
        guarded("rangeFormatting", || {
            let documents = lock(&self.shared.documents);
            let uri = &params.text_document.uri;
            let doc = documents.get(uri).ok_or_else(|| not_open(uri))?;
            Ok(Some(formatting::format(
                doc,
                &params.options,
                Some(params.range),
                enc,
            )))
        })
    }

    async fn on_type_formatting(
        &self,
        params: DocumentOnTypeFormattingParams,
    ) -> Result<Option<Vec<TextEdit>>> {
        let enc = self.encoding();
        guarded("onTypeFormatting", || {
            let documents = lock(&self.shared.documents);
            let at = &params.text_document_position;
            let uri = &at.text_document.uri;
            let doc = documents.get(uri).ok_or_else(|| not_open(uri))?;
            let edits =
                on_type_formatting::on_type(doc, at.position, &params.ch, &params.options, enc);
            Ok(Some(edits))
        })
    }

    async fn document_symbol(
        &self,
        params: DocumentSymbolParams,
    ) -> Result<Option<DocumentSymbolResponse>> {
        let enc = self.encoding();
        let hierarchical = self.shared.hierarchical_symbols();
        guarded("documentSymbol", || {
            let documents = lock(&self.shared.documents);
            let uri = &params.text_document.uri;
            let doc = documents.get(uri).ok_or_else(|| not_open(uri))?;
            Ok(Some(if hierarchical {
                DocumentSymbolResponse::Nested(symbols::symbols(doc, enc))
            } else {
                DocumentSymbolResponse::Flat(symbols::flat(uri, &symbols::outline(doc, enc)))
            }))
        })
    }

    async fn symbol(
        &self,
        params: WorkspaceSymbolParams,
    ) -> Result<Option<WorkspaceSymbolResponse>> {
        let enc = self.encoding();
        guarded("workspace/symbol", || {
            let documents = lock(&self.shared.documents);
            let found = workspace_symbols::search(&documents, &params.query, enc);
            Ok(Some(WorkspaceSymbolResponse::Flat(found)))
        })
    }
}

/// What this server offers, positions in `encoding`.
fn capabilities(encoding: Encoding) -> ServerCapabilities {
    ServerCapabilities {
        position_encoding: Some(PositionEncodingKind::new(encoding.as_lsp_name())),
        text_document_sync: Some(TextDocumentSyncCapability::Options(
            TextDocumentSyncOptions {
                open_close: Some(true),
                change: Some(TextDocumentSyncKind::INCREMENTAL),
                ..TextDocumentSyncOptions::default()
            },
        )),
        code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
            code_action_kinds: Some(vec![
                CodeActionKind::QUICKFIX,
                CodeActionKind::REFACTOR_REWRITE,
                CodeActionKind::REFACTOR_EXTRACT,
                FIX_ALL_KIND,
            ]),
            ..CodeActionOptions::default()
        })),
        hover_provider: Some(HoverProviderCapability::Simple(true)),
        document_symbol_provider: Some(OneOf::Left(true)),
        workspace_symbol_provider: Some(OneOf::Left(true)),
        definition_provider: Some(OneOf::Left(true)),
        signature_help_provider: Some(SignatureHelpOptions {
            trigger_characters: Some(
                signature::TRIGGERS
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            ),
            retrigger_characters: None,
            work_done_progress_options: WorkDoneProgressOptions::default(),
        }),
        inlay_hint_provider: Some(OneOf::Left(true)),
        document_formatting_provider: Some(OneOf::Left(true)),
        document_range_formatting_provider: Some(OneOf::Left(true)),
        document_on_type_formatting_provider: Some(DocumentOnTypeFormattingOptions {
            first_trigger_character: on_type_formatting::FIRST.to_string(),
            more_trigger_character: Some(
                on_type_formatting::MORE
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            ),
        }),
        document_link_provider: Some(DocumentLinkOptions {
            resolve_provider: Some(false),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        }),
        semantic_tokens_provider: Some(SemanticTokensServerCapabilities::SemanticTokensOptions(
            SemanticTokensOptions {
                legend: tokens::legend(),
                full: Some(SemanticTokensFullOptions::Delta { delta: Some(true) }),
                range: Some(true),
                work_done_progress_options: WorkDoneProgressOptions::default(),
            },
        )),
        folding_range_provider: Some(FoldingRangeProviderCapability::Simple(true)),
        selection_range_provider: Some(SelectionRangeProviderCapability::Simple(true)),
        references_provider: Some(OneOf::Left(true)),
        document_highlight_provider: Some(OneOf::Left(true)),
        rename_provider: Some(OneOf::Right(RenameOptions {
            prepare_provider: Some(true),
            work_done_progress_options: WorkDoneProgressOptions::default(),
        })),
        completion_provider: Some(CompletionOptions {
            trigger_characters: Some(
                completion::TRIGGERS
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
            ),
            resolve_provider: Some(true),
            ..CompletionOptions::default()
        }),
        ..ServerCapabilities::default()
    }
}

#[cfg(test)]
mod tests {
    use super::guarded;
    use tower_lsp_server::jsonrpc::{Error, Result};

    #[test]
    fn a_panicking_handler_is_an_internal_error() {
        let answer: Result<u32> = guarded("test", || {
            let empty: Vec<u32> = Vec::new();
            Ok(empty[3])
        });
        assert_eq!(answer, Err(Error::internal_error()));
        assert_eq!(guarded("test", || Ok(5)), Ok(5));
        let refused: Result<u32> = guarded("test", || Err(Error::invalid_params("x")));
        assert_eq!(refused, Err(Error::invalid_params("x")));
    }
}
